"""`hiroba watch`: look at builds, workers, failed jobs and the audit chain; open and close
incidents (one alert mail each). A timer runs it every minute."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from .. import redis_keys
from ..formatting import dates
from ..models import utcnow
from ..protection import audit
from ..protection.backup_schedule import last_outcome
from ..runtime import Runtime
from ..site.models import FAILURES, BuildStatus
from . import probes
from .incidents import Incident, Kind, clear_incident, deliver, open_incidents, raise_incident

# The audit chain is walked whole (every entry's hash): once an hour is enough.
AUDIT_EVERY_SECONDS = 3600
# Longer than a run takes, shorter than the timer's minute: two hosts never run at once.
LOCK_SECONDS = 50
# The backup timer runs daily: a last scheduled backup older than this means it stopped.
BACKUP_LATE_HOURS = 36


@dataclass
class WatchReport:
    """What one run found: each check's problem (None: fine) and what changed."""

    problems: dict[Kind, str | None] = field(default_factory=dict)
    opened: list[Incident] = field(default_factory=list)
    resolved: list[Incident] = field(default_factory=list)
    still_open: list[Incident] = field(default_factory=list)
    skipped: bool = False  # another run holds the lock


def _jst(moment: datetime) -> str:
    return f"{dates.format_timestamp(moment)} JST"


def build_problem(rt: Runtime) -> str | None:
    """The last finished build failed (the previous site stays live)."""
    with rt.sessions() as session:
        last = probes.builds(session)
    if last.status not in FAILURES:
        return None
    when = _jst(last.finished_at) if last.finished_at else "時刻不明"
    if last.status == BuildStatus.UNPUBLISHED:
        return (
            f"リビジョン {last.failed_rev} をバケットに公開できませんでした（{when}）。"
            "バケットには前のサイトが公開されたままで、公開は自動で再試行されます。"
            "ログはサイトの状態のページにあります。"
        )
    return (
        f"リビジョン {last.failed_rev} の構築が失敗しました（{when}）。"
        "前のサイトが公開されたままです。ログはサイトの状態のページにあります。"
    )


def worker_problem(rt: Runtime, now: datetime) -> str | None:
    """No rq worker on our queue heartbeated within HIROBA_WORKER_SILENCE_SECONDS."""
    limit = rt.settings.worker_silence_seconds
    found = probes.workers(rt)
    if not found.silent(now, limit):
        return None
    seconds = found.silent_seconds(now)
    if seconds is None:
        return f"キュー {rt.queue.name} に登録されたワーカーがありません。"
    return (
        f"ワーカーの最後の応答から {int(seconds)} 秒たちました（上限 {limit} 秒、"
        f"登録 {found.count} 台、最後の応答 {_jst(found.last_heartbeat or now)}）。"
    )


def jobs_problem(rt: Runtime) -> str | None:
    """Tasks were given up after their tries, or jobs no task owns failed (a task's job that
    failed once is retried by the reconciler: a passing hiccup is no incident)."""
    queues = probes.queues(rt)
    with rt.sessions() as session:
        tasks = probes.owed_tasks(session)
    if not queues.failed_untracked and not tasks.failed:
        return None
    return (
        f"試行を打ち切ったタスク {tasks.failed} 件、失敗したその他のジョブ "
        f"{queues.failed_untracked} 件（rq の失敗ジョブ: "
        + "、".join(f"{role} {count} 件" for role, count in queues.failed.items())
        + "）。"
    )


def audit_problem(rt: Runtime) -> tuple[bool, str | None]:
    """Walk the audit chain once an hour: (walked, problem); not walked leaves it as it is."""
    key = redis_keys.audit_verified(rt.settings.redis_prefix)
    if not rt.redis.set(key, 1, nx=True, ex=AUDIT_EVERY_SECONDS):
        return False, None
    try:
        with rt.sessions() as session:
            verdict = audit.verify(session)
    except BaseException:
        rt.redis.delete(key)  # not walked after all: the next run tries again
        raise
    if verdict.ok:
        return True, None
    return True, f"監査ログの連鎖が壊れています: {verdict.problem}（hiroba audit verify）。"


def backup_problem(rt: Runtime, now: datetime) -> tuple[bool, str | None]:
    """Read the last scheduled backup's record: (known, problem). No record yet (backups not
    scheduled, or not yet run) leaves a `backup` incident, e.g. one reported, as it is."""
    outcome = last_outcome(rt.settings)
    if outcome is None:
        return False, None
    try:
        at = datetime.fromisoformat(str(outcome.get("at", ""))).astimezone(UTC)
    except ValueError:
        return True, "最後の定期バックアップの記録（last-backup.json）が読めません。"
    when = _jst(at.replace(tzinfo=None))
    if not outcome.get("ok"):
        # The error's class only: a message may quote paths or values.
        error = str(outcome.get("error", "")).split(":", 1)[0] or "不明なエラー"
        return True, f"最後の定期バックアップ（{when}）が失敗しました（{error}）。"
    if now - at.replace(tzinfo=None) > timedelta(hours=BACKUP_LATE_HOURS):
        return True, (
            f"最後の定期バックアップは {when} です。{BACKUP_LATE_HOURS} 時間以上、"
            "定期バックアップが行われていません（タイマーを確かめてください）。"
        )
    return True, None


def watch(rt: Runtime, now: datetime | None = None) -> WatchReport:
    """Run every check once, open or close incidents, and retry alerts not yet mailed."""
    moment = now or utcnow()
    report = WatchReport()
    lock = redis_keys.watch_lock(rt.settings.redis_prefix)
    if not rt.redis.set(lock, 1, nx=True, ex=LOCK_SECONDS):
        report.skipped = True
        return report
    try:
        report.problems[Kind.BUILD] = build_problem(rt)
        report.problems[Kind.WORKER] = worker_problem(rt, moment)
        report.problems[Kind.JOBS] = jobs_problem(rt)
        walked, problem = audit_problem(rt)
        if walked:
            report.problems[Kind.AUDIT] = problem
        known, problem = backup_problem(rt, moment)
        if known:
            report.problems[Kind.BACKUP] = problem
        for kind, problem in report.problems.items():
            if problem is None:
                cleared = clear_incident(rt.settings, rt.redis, kind, moment)
                if cleared is not None:
                    report.resolved.append(cleared)
                continue
            opened = raise_incident(rt.settings, rt.redis, kind, problem, moment)
            if opened is not None:
                report.opened.append(opened)
        opened_now = {incident.kind for incident in report.opened}
        for incident in open_incidents(rt.settings, rt.redis):
            if incident.kind in opened_now:
                continue
            if not incident.mailed and deliver(rt.settings, rt.redis, incident):
                incident = Incident(incident.kind, incident.opened_at, incident.detail, True)
            report.still_open.append(incident)
    finally:
        rt.redis.delete(lock)
    return report
