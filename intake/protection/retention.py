"""Retention: applicants' personal data is purged a set number of days after the event.

An event is due when its end (or, without one, its start) lies more than
HIROBA_RETENTION_DAYS in the past. The purge keeps each application row with its status,
party size and attendance, so the counts per event stay for statistics, and nulls every
sealed column (name, address, phone, email, answers). The organizer's messages to those
applicants go too. Each event's purge is one transaction with one audit entry and count.
The worker's scheduled job and `hiroba purge` both call `purge`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from ..models import (
    BLIND_INDEX_COLUMNS,
    SEALED_COLUMNS,
    Application,
    EventMessage,
    MessageDelivery,
    Post,
    utcnow,
)
from ..runtime import Runtime
from ..store import transaction
from . import audit

# Every sealed column and blind index of an application: what the purge clears.
SEALED = tuple(
    getattr(Application, column)
    for model, column in (*SEALED_COLUMNS, *BLIND_INDEX_COLUMNS)
    if model is Application
)
HOLDS_DATA = or_(*(column.is_not(None) for column in SEALED))


@dataclass(frozen=True)
class DueEvent:
    """One event whose applicants' data is (or would be) purged."""

    post_id: int
    title: str
    held_at: datetime
    applications: int


def due_events(session: Session, days: int, now: datetime | None = None) -> list[DueEvent]:
    """Return the events over for more than days whose applications still hold data."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    held = func.coalesce(Post.ends_at, Post.starts_at)
    rows = session.execute(
        select(Post.id, Post.title, held, func.count(Application.id))
        .join(Application, Application.post_id == Post.id)
        .where(held.is_not(None), held < cutoff, HOLDS_DATA)
        .group_by(Post.id, Post.title, held)
        .order_by(held, Post.id)
    )
    return [DueEvent(int(pid), str(title), at, int(n)) for pid, title, at, n in rows]


def purge_event(session: Session, post_id: int, actor_id: int | None = None) -> int:
    """Null the sealed columns of one event's applications; audit and return how many."""
    ids = list(
        session.scalars(
            select(Application.id)
            .where(Application.post_id == post_id, HOLDS_DATA)
            .with_for_update()
        )
    )
    if ids:
        session.execute(
            update(Application)
            .where(Application.id.in_(ids))
            .values({column.key: None for column in SEALED})
        )
    messages = select(EventMessage.id).where(EventMessage.post_id == post_id)
    session.execute(delete(MessageDelivery).where(MessageDelivery.message_id.in_(messages)))
    session.execute(delete(EventMessage).where(EventMessage.post_id == post_id))
    audit.record(
        session,
        actor_id,
        "purge_personal_data",
        "post",
        post_id,
        count=len(ids),
        detail="retention: applicants' personal data purged after the event",
    )
    return len(ids)


def purge(
    rt: Runtime, dry_run: bool = False, now: datetime | None = None, actor_id: int | None = None
) -> list[DueEvent]:
    """Purge every due event (or, with dry_run, only list them); return what went."""
    with rt.sessions() as session:
        due = due_events(session, rt.settings.retention_days, now)
    if dry_run:
        return due
    done = []
    for event in due:
        with transaction(rt.sessions) as session:
            purged = purge_event(session, event.post_id, actor_id)
        done.append(DueEvent(event.post_id, event.title, event.held_at, purged))
    return done
