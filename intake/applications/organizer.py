"""Organizers' view of their own events: counts, applicants, attendance and cancellation.

An organizer is the account that posted the event (a group or an individual). Another
account asking for the event, or for one of its applications, gets NotFound: the web
layer answers 404, so guessing URLs does not even reveal that the event exists. Every
read of applicants' personal data is written to the audit log with its record count.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..accounts.models import EntrySource
from ..errors import NotFound
from ..models import Application, Post
from ..protection import audit
from ..runtime import Runtime
from ..store import transaction
from ..validation import N_
from . import services as applications
from .models import ApplicationStatus

# The statuses an organizer counts and mails together.
CONFIRMED = frozenset({ApplicationStatus.CONFIRMED})
WAITING = frozenset({ApplicationStatus.WAITLISTED})
CANCELLED = frozenset({ApplicationStatus.CANCELLED})
STATUS_LABELS: dict[str, str] = {
    ApplicationStatus.RECEIVED: "受付処理中",
    ApplicationStatus.CONFIRMED: "参加確定",
    ApplicationStatus.WAITLISTED: "キャンセル待ち",
    ApplicationStatus.CANCELLED: "キャンセル",
}
PERSONAL = ("name", "address", "phone", "email")
# How an application came in (applications.source): the organizer's list and export say it.
SOURCE_LABELS: dict[str, str] = {
    EntrySource.WEB: N_("ウェブ"),
    EntrySource.PHONE: N_("電話"),
    EntrySource.PAPER: N_("紙"),
}


@dataclass
class Tally:
    """People and forms of one state."""

    people: int = 0
    forms: int = 0

    def add(self, party_size: int) -> None:
        self.people += party_size
        self.forms += 1


@dataclass
class Counts:
    """An event's applications by state (no personal data)."""

    confirmed: Tally = field(default_factory=Tally)
    waiting: Tally = field(default_factory=Tally)
    cancelled: Tally = field(default_factory=Tally)
    received: Tally = field(default_factory=Tally)

    def add(self, status: str, party_size: int) -> None:
        if status in CONFIRMED:
            self.confirmed.add(party_size)
        elif status in WAITING:
            self.waiting.add(party_size)
        elif status in CANCELLED:
            self.cancelled.add(party_size)
        else:
            self.received.add(party_size)


@dataclass
class EventSummary:
    """One of the organizer's events with its counts."""

    post: Post
    counts: Counts


@dataclass
class Applicant:
    """One application, opened for its organizer."""

    id: int
    status: str
    party_size: int
    created_at: datetime
    attended: bool
    name: str
    address: str
    phone: str
    email: str
    answers: list[tuple[str, str]] = field(default_factory=list)
    source: str = EntrySource.WEB

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def source_label(self) -> str:
        return SOURCE_LABELS.get(self.source, self.source)


@dataclass
class EventApplicants:
    """An event's counts, its confirmed and waiting lists in order, and the cancelled ones."""

    post: Post
    counts: Counts
    confirmed: list[Applicant]
    waiting: list[Applicant]
    others: list[Applicant]
    questions: list[str]

    @property
    def records(self) -> int:
        return len(self.confirmed) + len(self.waiting) + len(self.others)


def own_event(session: Session, account_id: int, post_id: int) -> Post:
    """Return the caller's own event, or raise NotFound (also for someone else's)."""
    post = session.get(Post, post_id)
    if post is None or post.account_id != account_id:
        raise NotFound(f"post {post_id}")
    return post


def own_application(
    session: Session, account_id: int, post_id: int, application_id: int
) -> Application:
    """Return an application to the caller's own event, locked, or raise NotFound."""
    own_event(session, account_id, post_id)
    application = session.get(Application, application_id, with_for_update=True)
    if application is None or application.post_id != post_id:
        raise NotFound(f"application {application_id}")
    return application


def event_title(rt: Runtime, account_id: int, post_id: int) -> str:
    """Return the title of the caller's own event, or raise NotFound."""
    with rt.sessions() as session:
        return own_event(session, account_id, post_id).title


def counts_of(session: Session, post_id: int) -> Counts:
    """Return the counts of one event's applications."""
    counts = Counts()
    rows = session.execute(
        select(Application.status, Application.party_size).where(Application.post_id == post_id)
    )
    for status, party_size in rows:
        counts.add(status, party_size)
    return counts


def events_of(rt: Runtime, account_id: int) -> list[EventSummary]:
    """Return the caller's posts that take applications or have any, newest event first."""
    with rt.sessions() as session:
        with_applications = select(Application.post_id).distinct()
        posts = session.scalars(
            select(Post)
            .where(Post.account_id == account_id)
            .where(Post.accepts_applications.is_(True) | Post.id.in_(with_applications))
            .order_by(func.coalesce(Post.starts_at, Post.created_at).desc(), Post.id.desc())
        ).all()
        return [EventSummary(post, counts_of(session, post.id)) for post in posts]


def questions_of(post: Post) -> list[str]:
    """Return the labels of an event's custom questions, in order."""
    raw: Any = json.loads(post.questions or "[]")
    return [str(q.get("label", "")) if isinstance(q, dict) else str(q) for q in raw or []]


def _answers(rt: Runtime, application: Application, questions: list[str]) -> list[tuple[str, str]]:
    """Return (question, answer) pairs; a checkbox question's choices are joined."""
    raw: Any = json.loads(rt.vault.open(application.answers_enc, "applications.answers") or "[]")
    values = list(raw.values()) if isinstance(raw, dict) else list(raw or [])
    labels = questions + [f"質問{n + 1}" for n in range(len(questions), len(values))]
    return [
        (label, "、".join(map(str, value)) if isinstance(value, list) else str(value or ""))
        for label, value in zip(labels, values, strict=False)
    ]


def open_applicant(rt: Runtime, application: Application, questions: list[str]) -> Applicant:
    """Decrypt one application for its organizer (erased fields read as empty)."""
    opened = {
        name: rt.vault.open(getattr(application, f"{name}_enc"), f"applications.{name}") or ""
        for name in PERSONAL
    }
    return Applicant(
        id=application.id,
        status=application.status,
        party_size=application.party_size,
        created_at=application.created_at,
        attended=bool(application.attended),
        answers=_answers(rt, application, questions),
        source=application.source,
        **opened,
    )


def applications_in_order(session: Session, post_id: int) -> list[Application]:
    """Return an event's applications in the order they arrived (the waiting list's order)."""
    return list(
        session.scalars(
            select(Application)
            .where(Application.post_id == post_id)
            .order_by(func.coalesce(Application.seq, 0), Application.id)
        )
    )


def applicants(rt: Runtime, account_id: int, post_id: int) -> EventApplicants:
    """Return an event's applicants for its organizer, and audit the read with its count."""
    with transaction(rt.sessions) as session:
        post = own_event(session, account_id, post_id)
        questions = questions_of(post)
        result = EventApplicants(post, Counts(), [], [], [], questions)
        for application in applications_in_order(session, post_id):
            result.counts.add(application.status, application.party_size)
            opened = open_applicant(rt, application, questions)
            if application.status in CONFIRMED:
                result.confirmed.append(opened)
            elif application.status in WAITING:
                result.waiting.append(opened)
            else:
                result.others.append(opened)
        audit.record(
            session,
            account_id,
            "view_personal_data",
            "post",
            post_id,
            count=result.records,
            detail="organizer: applicants of own event",
        )
        return result


def mark_attendance(
    rt: Runtime, account_id: int, post_id: int, application_id: int, attended: bool
) -> None:
    """Record whether an applicant came, and audit the change."""
    with transaction(rt.sessions) as session:
        application = own_application(session, account_id, post_id, application_id)
        if application.name_enc is None and application.email_enc is None:
            raise NotFound(f"application {application_id}")  # purged: nothing to mark
        application.attended = attended
        audit.record(
            session,
            account_id,
            "change_personal_data",
            "application",
            application_id,
            detail=f"organizer: attended={'yes' if attended else 'no'}",
        )


def cancel(rt: Runtime, account_id: int, post_id: int, application_id: int) -> list[int]:
    """Cancel an application to the caller's own event; return who the waiting list promoted."""
    with rt.sessions() as session:
        own_application(session, account_id, post_id, application_id)
    return applications.cancel_application(rt, application_id, account_id)
