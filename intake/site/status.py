"""The moderators' status panel: what waits, how publishing went, and whether workers live.

Everything here is counts, times and the build log: no personal data. Redis may be down
while the database answers (or the other way round); each half reports its own trouble
instead of failing the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from redis.exceptions import RedisError
from rq import Worker
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..controls import one_line
from ..models import (
    Build,
    Post,
    SiteState,
    utcnow,
)
from ..moderation.waiting import QUEUE_LABELS, count_waiting, waiting_posts_by_kind
from ..runtime import Runtime
from ..uploads import scanning
from ..watching.probes import owed_tasks
from .models import FAILURES, FINISHED


@dataclass
class QueueRow:
    """One line of the waiting-work table."""

    key: str  # a post kind, or a queue of moderation/waiting.py (QUEUE_LABELS) but "posts"
    count: int
    oldest: datetime | None


@dataclass
class WorkerRow:
    """One rq worker as Redis last saw it."""

    name: str
    state: str
    last_heartbeat: datetime | None
    silent_seconds: int | None


@dataclass
class BuildInfo:
    """The last build: when, how long, the result, the way it was made and its log."""

    rev: int
    status: str
    started_at: datetime
    duration_s: float | None
    mode: str  # "incremental", "full"
    log: str


@dataclass
class SetAsidePost:
    """A live post that broke the site build and is kept off the site until fixed."""

    id: int
    title: str


@dataclass
class StatusPanel:
    """Everything the status page shows."""

    posts_by_kind: dict[str, int]
    queues: list[QueueRow]
    oldest_waiting: datetime | None
    requested_rev: int
    built_rev: int
    last_build: BuildInfo | None
    last_failure: BuildInfo | None
    failed_tasks: int
    pending_tasks: int
    rq_length: int | None = None
    rq_failed: int | None = None
    workers: list[WorkerRow] = field(default_factory=list)
    redis_error: str = ""  # the exception's name when Redis did not answer
    set_aside: list[SetAsidePost] = field(default_factory=list)
    # No heartbeat for this long and a worker is taken for dead (HIROBA_WORKER_SILENCE_SECONDS,
    # the same limit as /healthz and `hiroba watch`).
    silence_seconds: int = 300
    # When and where (clamd's socket or host) the virus scanner last did not answer.
    scanner_failure: tuple[datetime, str] | None = None

    @property
    def no_live_worker(self) -> bool:
        """No worker heartbeated within silence_seconds: nothing is being processed."""
        return not self.redis_error and not any(
            w.silent_seconds is not None and w.silent_seconds < self.silence_seconds
            for w in self.workers
        )

    @property
    def silent_workers(self) -> list[WorkerRow]:
        """Workers still registered whose last heartbeat is too old."""
        return [
            w
            for w in self.workers
            if w.silent_seconds is not None and w.silent_seconds >= self.silence_seconds
        ]


# What worker/build/switch.py logs first for a publication that is not a full build: an
# incremental one, or one that also brings in a fresh search index.
INCREMENTAL_NOTES = ("incremental:", "search re-index")


def build_mode(log: str) -> str:
    """Tell an incremental publication from a full build by the note the builder logs first."""
    return "incremental" if log.startswith(INCREMENTAL_NOTES) else "full"


# worker/build/setaside.py ends each build's log with one such line per post it keeps aside.
SET_ASIDE_MARK = "SET ASIDE post "
_SET_ASIDE = re.compile(rf"^{SET_ASIDE_MARK}(\d+)$", re.M)


def set_aside_ids(log: str) -> list[int]:
    """Return the ids of the posts a build's log says are set aside."""
    return [int(n) for n in _SET_ASIDE.findall(log)]


def _set_aside(session: Session) -> list[SetAsidePost]:
    last = session.scalars(
        select(Build).where(Build.status.in_(FINISHED)).order_by(Build.id.desc()).limit(1)
    ).first()
    ids = set_aside_ids(last.log or "") if last else []
    if not ids:
        return []
    posts = session.scalars(select(Post).where(Post.id.in_(ids)).order_by(Post.id))
    return [SetAsidePost(post.id, one_line(post.title)) for post in posts]


def _build_info(build: Build | None) -> BuildInfo | None:
    if build is None:
        return None
    return BuildInfo(
        rev=build.rev,
        status=build.status,
        started_at=build.started_at,
        duration_s=build.duration_s,
        mode=build_mode(build.log or ""),
        log=build.log or "",
    )


def _database_part(session: Session, kinds: tuple[str, ...]) -> StatusPanel:
    found = waiting_posts_by_kind(session)
    by_kind = {kind: found.get(kind, (0, None))[0] for kind in kinds}
    queues = [QueueRow(kind, *found.get(kind, (0, None))) for kind in kinds]
    waiting = count_waiting(session)  # the moderation pages' own counts: one definition
    others = [key for key in QUEUE_LABELS if key != "posts"]  # posts: by kind, above
    queues += [QueueRow(key, waiting.counts[key], waiting.oldest[key]) for key in others]
    stamps = [row.oldest for row in queues if row.oldest is not None and row.count]
    state = session.get(SiteState, 1)
    last = session.scalars(select(Build).order_by(Build.id.desc()).limit(1)).first()
    failure = session.scalars(
        select(Build).where(Build.status.in_(FAILURES)).order_by(Build.id.desc()).limit(1)
    ).first()
    tasks = owed_tasks(session)
    return StatusPanel(
        posts_by_kind=by_kind,
        queues=queues,
        oldest_waiting=min(stamps) if stamps else None,
        requested_rev=state.requested_rev if state else 0,
        built_rev=state.built_rev if state else 0,
        last_build=_build_info(last),
        last_failure=_build_info(failure),
        failed_tasks=tasks.failed,
        pending_tasks=tasks.pending,
        set_aside=_set_aside(session),
    )


def _worker_rows(rt: Runtime, now: datetime) -> list[WorkerRow]:
    rows = []
    for worker in Worker.all(connection=rt.redis, queue=rt.queue):
        beat = worker.last_heartbeat
        if beat is not None and beat.tzinfo is not None:
            beat = beat.astimezone(UTC).replace(tzinfo=None)
        silent = int((now - beat).total_seconds()) if beat is not None else None
        rows.append(WorkerRow(worker.name, str(worker.get_state()), beat, silent))
    return sorted(rows, key=lambda row: row.name)


def status_panel(rt: Runtime, kinds: tuple[str, ...]) -> StatusPanel:
    """Collect the panel: queue depths and ages, builds, the rq queue and the workers."""
    with rt.sessions() as session:
        panel = _database_part(session, kinds)
    panel.silence_seconds = rt.settings.worker_silence_seconds
    try:
        panel.rq_length = rt.queue.count
        panel.rq_failed = rt.queue.failed_job_registry.count
        panel.workers = _worker_rows(rt, utcnow())
        panel.scanner_failure = scanning.last_failure(rt)
    except RedisError as exc:
        panel.redis_error = type(exc).__name__
    return panel
