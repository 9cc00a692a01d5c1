"""The audit report: the log summarised by actor and action, with anomalies flagged.

Anomalies are bulk views or exports (records per user per hour above a threshold),
access outside office hours (JST), and bursts of failed sign-ins per hour. The same
data structure serves `hiroba audit report` and, later, a page for ward staff.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.models import ACCOUNT_KIND_LABELS, account_word
from ..config import Settings
from ..formatting import dates
from ..models import Account, AuditEntry
from ..protection.access import AccessKind, action_word
from .models import notice_word

SIGNIN_FAILED = "signin_failed"
# Signing in or out reads no one's data: a resident (or staff) doing it at night is no anomaly.
NOT_ACCESS = frozenset({AccessKind.SIGNIN, AccessKind.SIGNOUT})
BULK_WORDS = ("view", "export", "download", "list")
# Reading the office's own registers (the roster, the ledger) shows every line at once: audited,
# but no bulk view of residents' data (their exports still count).
NOT_BULK = frozenset({AccessKind.ROSTER_VIEWED, AccessKind.LEDGER_VIEWED})


@dataclass(frozen=True)
class Policy:
    """What counts as an anomaly."""

    office_start: int = 8 * 60  # minutes after midnight, JST
    office_end: int = 20 * 60
    office_days: frozenset[int] = frozenset(range(5))  # Monday is 0
    bulk_threshold: int = 50
    signin_failures: int = 10

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(
            office_start=settings.office_hours[0],
            office_end=settings.office_hours[1],
            office_days=settings.office_days,
            bulk_threshold=settings.audit_bulk_threshold,
            signin_failures=settings.audit_signin_failures,
        )

    def in_office(self, at: datetime) -> bool:
        """Return True when a JST time falls in office hours on an office day."""
        minute = at.hour * 60 + at.minute
        return at.weekday() in self.office_days and self.office_start <= minute < self.office_end


@dataclass(frozen=True)
class Line:
    """One actor's use of one action: how many entries, and how many records they touched."""

    actor_id: int | None
    actor: str
    action: str
    entries: int
    records: int


@dataclass(frozen=True)
class Anomaly:
    """Something a reviewer should look at."""

    kind: str  # bulk, off_hours, signin_failures
    actor_id: int | None
    actor: str
    at: datetime  # JST: the hour (bulk, signin_failures) or the first access (off_hours)
    count: int
    detail: str


@dataclass
class Report:
    """The audit log since a date, summarised."""

    since: date
    until: datetime
    entries: int = 0
    lines: list[Line] = field(default_factory=list)
    anomalies: list[Anomaly] = field(default_factory=list)


def is_bulk_action(action: str) -> bool:
    """Return True for actions that read or export personal data."""
    return action not in NOT_BULK and any(word in action for word in BULK_WORDS)


def _jst(at: datetime) -> datetime:
    return dates.japan_time(at)


def _actor_names(session: Session, ids: set[int]) -> dict[int, str]:
    names: dict[int, str] = {}
    for account_id, kind, public_name in session.execute(
        select(Account.id, Account.kind, Account.public_name).where(Account.id.in_(ids))
    ):
        names[account_id] = f"#{account_id} {kind} {public_name}".strip()
    return names


def utc_start(day: date) -> datetime:
    """Return the naive UTC time at which a JST date begins."""
    return dates.japan_day_start(day)


def build_report(
    session: Session, since: date, policy: Policy, until: date | None = None
) -> Report:
    """Summarise the entries from since (a JST date), before until if given, and flag
    anomalies."""
    query = select(AuditEntry.at, AuditEntry.actor_id, AuditEntry.action, AuditEntry.count).where(
        AuditEntry.at >= utc_start(since)
    )
    if until is not None:
        query = query.where(AuditEntry.at < utc_start(until))
    rows = session.execute(query.order_by(AuditEntry.seq)).all()
    end = (
        datetime.now(dates.JAPAN)
        if until is None
        else datetime.combine(until, datetime.min.time(), dates.JAPAN)
    )
    report = Report(since=since, until=end.replace(microsecond=0))
    report.entries = len(rows)
    names = _actor_names(session, {r.actor_id for r in rows if r.actor_id is not None})

    def name(actor_id: int | None) -> str:
        if actor_id is None:
            return "(system or anonymous)"
        return names.get(actor_id, f"#{actor_id}")

    per_line: dict[tuple[int | None, str], list[int]] = defaultdict(lambda: [0, 0])
    bulk: Counter[tuple[int | None, datetime]] = Counter()
    off_first: dict[tuple[int, date], datetime] = {}
    off_count: Counter[tuple[int, date]] = Counter()
    failures: Counter[datetime] = Counter()
    for at_utc, actor_id, action, count in rows:
        at = _jst(at_utc)
        hour = at.replace(minute=0, second=0, microsecond=0)
        line = per_line[(actor_id, action)]
        line[0] += 1
        line[1] += count or 0
        if action == SIGNIN_FAILED:
            failures[hour] += 1
            continue
        if is_bulk_action(action):
            bulk[(actor_id, hour)] += count or 0
        if actor_id is not None and action not in NOT_ACCESS and not policy.in_office(at):
            off_first.setdefault((actor_id, at.date()), at)
            off_count[(actor_id, at.date())] += 1
    report.lines = sorted(
        (Line(a, name(a), act, n, r) for (a, act), (n, r) in per_line.items()),
        key=lambda line: (name(line.actor_id), line.action),
    )
    anomalies = [
        Anomaly(
            "bulk",
            a,
            name(a),
            hour,
            n,
            f"{n} records viewed or exported in one hour (threshold {policy.bulk_threshold})",
        )
        for (a, hour), n in bulk.items()
        if n > policy.bulk_threshold
    ]
    anomalies += [
        Anomaly(
            "off_hours",
            a,
            name(a),
            off_first[(a, day)],
            n,
            f"{n} accesses outside office hours on {day.isoformat()}",
        )
        for (a, day), n in off_count.items()
    ]
    anomalies += [
        Anomaly(
            "signin_failures",
            None,
            "",
            hour,
            n,
            f"{n} failed sign-ins in one hour (threshold {policy.signin_failures})",
        )
        for hour, n in failures.items()
        if n >= policy.signin_failures
    ]
    report.anomalies = sorted(anomalies, key=lambda a: (a.at, a.kind))
    return report


def _shown(actor: str) -> str:
    """Return an actor as "#12 運営 name": its role as a word, never the stored kind."""
    number, _, rest = actor.partition(" ")
    kind, _, name = rest.partition(" ")
    role = account_word(ACCOUNT_KIND_LABELS, kind) if kind else ""
    return " ".join(part for part in (number, role, name) if part)


def render(report: Report) -> str:
    """Return the report as plain text for the terminal: actions and anomalies as words."""
    out = [
        f"audit report since {report.since.isoformat()} (JST), "
        f"until {report.until.isoformat()}: {report.entries} entries",
        "",
        "by actor and action:",
    ]
    if not report.lines:
        out.append("  (no entries)")
    for line in report.lines:
        out.append(
            f"  {_shown(line.actor):<40} {action_word(line.action):<28} {line.entries:>6} entries "
            f"{line.records:>7} records"
        )
    out += ["", f"anomalies: {len(report.anomalies)}"]
    for a in report.anomalies:
        who = f" {_shown(a.actor)}" if a.actor else ""
        out.append(f"  [{notice_word(a.kind)}] {dates.format_timestamp(a.at)} JST{who}: {a.detail}")
    return "\n".join(out)
