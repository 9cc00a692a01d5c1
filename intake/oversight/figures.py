"""The ward's report (区への報告): counts for a period, month by month, never personal data.

Each figure is measured by SQL (COUNT with GROUP BY) for every month of the period and
for the whole period, so a count's total is the sum of its months, while "accounts
active at the end" is taken at each month's end and the median time to a decision is
the median over the months' decisions together.

What each figure counts (days are JST):
- registrations: individual and group accounts registered (by kind, and by source: the
  web form or paper entered by a moderator);
- accounts active at the end: individual and group accounts approved before the end and
  active today (the database keeps no history of later stops or withdrawals);
- posts: posts first published in the period (`approved_at`), by kind, 分野 and 地域;
- moderation: decisions (approved, approved with edits, refused) on registrations, posts,
  edits of live posts and group profiles; the median hours from submission to decision
  (registrations, posts and edits);
- takedowns: posts unpublished by a moderator (緊急非公開);
- events held: event posts on the site (or archived after) starting in the period;
- applications made in the period, by their status today, and those marked attended;
- inquiries received, by category and by status today;
- ledger: hand-overs of personal data (個人情報管理簿) and the records they held.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from statistics import median

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from ..accounts.models import AccountStatus
from ..applications.models import ApplicationStatus
from ..inquiries.models import CATEGORIES, STATUS_LABELS, InquiryStatus
from ..models import Account, Application, Decision, Inquiry, Post, PostRevision
from ..moderation.models import DecisionAction
from ..office.records import LedgerEntry
from ..posts.models import PostStatus
from ..taxonomy import AREAS, POST_KINDS, TOPICS
from ..validation import N_
from .periods import Period

Value = int | float | None
MEMBER_KINDS = ("individual", "group")
UNSET = "unset"  # posts without a 分野 or 地域 (or with a key the deployment dropped)

SECTIONS: dict[str, str] = {
    "registrations": N_("登録"),
    "accounts": N_("アカウント"),
    "posts_kind": N_("掲載された投稿（種類別）"),
    "posts_topic": N_("掲載された投稿（分野別）"),
    "posts_area": N_("掲載された投稿（地域別）"),
    "moderation": N_("審査"),
    "events": N_("イベントと緊急非公開"),
    "applications": N_("参加申込"),
    "inquiries_category": N_("お問い合わせ（種類別）"),
    "inquiries_status": N_("お問い合わせ（対応状況別）"),
    "ledger": N_("個人情報の受け渡し（管理簿）"),
}


@dataclass(frozen=True)
class Line:
    """One figure of the report: its key (stable, for JSON), section and label (a msgid)."""

    key: str
    section: str
    label: str


def _lines() -> list[Line]:
    lines = [
        Line("registrations.individual", "registrations", N_("個人の登録")),
        Line("registrations.group", "registrations", N_("団体の登録")),
        Line("registrations.web", "registrations", N_("ウェブからの登録")),
        Line("registrations.paper", "registrations", N_("紙の申請からの登録")),
        Line("accounts.active", "accounts", N_("期末の利用中アカウント")),
    ]
    lines += [Line(f"posts.kind.{k}", "posts_kind", label) for k, label in POST_KINDS.items()]
    for section, name, labels in (("posts_topic", "topic", TOPICS), ("posts_area", "area", AREAS)):
        lines += [Line(f"posts.{name}.{k}", section, label) for k, label in labels.items()]
        lines.append(Line(f"posts.{name}.{UNSET}", section, N_("未設定")))
    lines += [
        Line("moderation.approved", "moderation", N_("承認")),
        Line("moderation.edited", "moderation", N_("修正して承認")),
        Line("moderation.refused", "moderation", N_("却下")),
        Line("moderation.median_hours", "moderation", N_("判断までの時間（中央値、時間）")),
        Line("events.held", "events", N_("開催されたイベント")),
        Line("events.takedowns", "events", N_("緊急非公開")),
        Line("applications.total", "applications", N_("申込")),
        Line("applications.confirmed", "applications", N_("参加確定")),
        Line("applications.waitlisted", "applications", N_("キャンセル待ち")),
        Line("applications.cancelled", "applications", N_("キャンセル")),
        Line("applications.attended", "applications", N_("出席")),
    ]
    lines += [
        Line(f"inquiries.category.{k}", "inquiries_category", label)
        for k, label in CATEGORIES.items()
    ]
    lines += [
        Line(f"inquiries.status.{k}", "inquiries_status", label)
        for k, label in STATUS_LABELS.items()
    ]
    lines += [
        Line("ledger.handovers", "ledger", N_("受け渡しの回数")),
        Line("ledger.records", "ledger", N_("受け渡した記録の数")),
    ]
    return lines


LINES: tuple[Line, ...] = tuple(_lines())


@dataclass(frozen=True)
class Figure:
    """One line's values: one per month of the period, and the whole period's."""

    line: Line
    months: tuple[Value, ...]
    total: Value


@dataclass(frozen=True)
class WardReport:
    """The figures of a period, in the order of LINES."""

    period: Period
    months: tuple[Period, ...]
    figures: tuple[Figure, ...]

    def section(self, key: str) -> list[Figure]:
        return [f for f in self.figures if f.line.section == key]

    def value(self, key: str) -> Value:
        """Return one figure's total (tests and the CLI read figures by key)."""
        return next(f.total for f in self.figures if f.line.key == key)


def build(session: Session, period: Period) -> WardReport:
    """Measure every figure for each month of the period and for the whole of it."""
    months = tuple(period.months())
    per_month = [measure(session, month) for month in months]
    whole = measure(session, period)
    figures = tuple(
        Figure(line, tuple(m.get(line.key, 0) for m in per_month), whole.get(line.key, 0))
        for line in LINES
    )
    return WardReport(period, months, figures)


def _grouped(
    session: Session,
    column: InstrumentedAttribute[str],
    *where: ColumnElement[bool],
) -> dict[str, int]:
    rows = session.execute(select(column, func.count()).where(*where).group_by(column))
    return {str(key): int(n) for key, n in rows.all()}


def _count(session: Session, *where: ColumnElement[bool]) -> int:
    return int(session.scalar(select(func.count()).where(*where)) or 0)


def _keyed(
    prefix: str, counts: dict[str, int], known: dict[str, str], fallback: str = UNSET
) -> dict[str, int]:
    """Prefix counts' keys, folding keys the taxonomy does not know into fallback."""
    out: dict[str, int] = {}
    for key, n in counts.items():
        name = key if key in known else fallback
        out[f"{prefix}.{name}"] = out.get(f"{prefix}.{name}", 0) + n
    return out


def measure(session: Session, period: Period) -> dict[str, Value]:
    """Return every figure of one period by its key."""
    start, end = period.utc_bounds()
    values: dict[str, Value] = {}
    for part in MEASURES:
        values.update(part(session, start, end, period))
    return values


def _registrations(
    session: Session, start: datetime, end: datetime, _period: Period
) -> dict[str, Value]:
    members = (
        Account.kind.in_(MEMBER_KINDS),
        Account.created_at >= start,
        Account.created_at < end,
    )
    out: dict[str, Value] = {
        f"registrations.{k}": n for k, n in _grouped(session, Account.kind, *members).items()
    }
    for source, n in _grouped(session, Account.source, *members).items():
        out[f"registrations.{source}"] = n
    approved_before_end = (
        select(Decision.subject_id)
        .where(Decision.subject_kind == "account", Decision.action == DecisionAction.APPROVE)
        .where(Decision.created_at < end)
    )
    out["accounts.active"] = _count(
        session,
        Account.kind.in_(MEMBER_KINDS),
        Account.status == AccountStatus.ACTIVE,
        Account.id.in_(approved_before_end),
    )
    return out


def _posts(session: Session, start: datetime, end: datetime, _period: Period) -> dict[str, Value]:
    published = (Post.approved_at >= start, Post.approved_at < end)
    out: dict[str, Value] = {}
    out.update(_keyed("posts.kind", _grouped(session, Post.kind, *published), POST_KINDS))
    out.update(_keyed("posts.topic", _grouped(session, Post.topic, *published), TOPICS))
    out.update(_keyed("posts.area", _grouped(session, Post.area, *published), AREAS))
    return out


def _moderation(
    session: Session, start: datetime, end: datetime, _period: Period
) -> dict[str, Value]:
    decided = (
        Decision.created_at >= start,
        Decision.created_at < end,
        Decision.action.in_((DecisionAction.APPROVE, DecisionAction.REJECT)),
    )
    edited = func.length(func.coalesce(Decision.edits, "")) > 0
    out: dict[str, Value] = {
        "moderation.approved": _count(
            session, *decided, Decision.action == DecisionAction.APPROVE, ~edited
        ),
        "moderation.edited": _count(
            session, *decided, Decision.action == DecisionAction.APPROVE, edited
        ),
        "moderation.refused": _count(session, *decided, Decision.action == DecisionAction.REJECT),
    }
    waits: list[float] = []
    for kind, model, submitted in (
        ("account", Account, Account.created_at),
        ("post", Post, Post.created_at),
        ("revision", PostRevision, PostRevision.created_at),
    ):
        rows = session.execute(
            select(Decision.created_at, submitted)
            .join(model, model.id == Decision.subject_id)
            .where(*decided, Decision.subject_kind == kind)
        ).all()
        waits += [(at - since).total_seconds() / 3600 for at, since in rows]
    out["moderation.median_hours"] = round(median(waits), 1) if waits else None
    out["events.takedowns"] = _count(
        session,
        Decision.action == DecisionAction.TAKEDOWN,
        Decision.created_at >= start,
        Decision.created_at < end,
    )
    return out


def _events(session: Session, _start: datetime, _end: datetime, period: Period) -> dict[str, Value]:
    first, after = period.local_bounds()
    held = _count(
        session,
        Post.kind == "event",
        Post.status.in_((PostStatus.APPROVED, PostStatus.ARCHIVED)),
        Post.starts_at >= first,
        Post.starts_at < after,
    )
    return {"events.held": held}


def _applications(
    session: Session, start: datetime, end: datetime, _period: Period
) -> dict[str, Value]:
    made = (Application.created_at >= start, Application.created_at < end)
    by_status = _grouped(session, Application.status, *made)
    return {
        "applications.total": sum(by_status.values()),
        "applications.confirmed": by_status.get(ApplicationStatus.CONFIRMED, 0),
        "applications.waitlisted": by_status.get(ApplicationStatus.WAITLISTED, 0),
        "applications.cancelled": by_status.get(ApplicationStatus.CANCELLED, 0),
        "applications.attended": _count(session, *made, Application.attended.is_(True)),
    }


def _inquiries(
    session: Session, start: datetime, end: datetime, _period: Period
) -> dict[str, Value]:
    received = (Inquiry.created_at >= start, Inquiry.created_at < end)
    out: dict[str, Value] = {}
    out.update(
        _keyed(
            "inquiries.category",
            _grouped(session, Inquiry.category, *received),
            CATEGORIES,
            "other",
        )
    )
    statuses = {str(s): "" for s in InquiryStatus}
    by_status = _grouped(session, Inquiry.status, *received)
    out.update(_keyed("inquiries.status", by_status, statuses, InquiryStatus.NEW))
    return out


def _ledger(session: Session, start: datetime, end: datetime, _period: Period) -> dict[str, Value]:
    handed = (LedgerEntry.at >= start, LedgerEntry.at < end)
    handovers, records = session.execute(
        select(func.count(), func.coalesce(func.sum(LedgerEntry.total), 0)).where(*handed)
    ).one()
    return {"ledger.handovers": int(handovers), "ledger.records": int(records)}


MEASURES: tuple[Callable[..., dict[str, Value]], ...] = (
    _registrations,
    _posts,
    _moderation,
    _events,
    _applications,
    _inquiries,
    _ledger,
)
