"""Allocating applications under an event's lock: the statements, built once, and one
batch allocated in arrival order (services.py takes the lock and commits; waiting_room.py
gathers the batch).

Capacity counts people (party_size). Nobody overtakes the waiting list: while anyone
waits, a new applicant waits too. A second application with the phone or email of an
active one takes no place and is answered exactly like a new one; its owner is told by
mail instead, at most DUPLICATE_NOTICES_PER_DAY a day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Integer, bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session

from .. import jobs, outbox
from ..errors import HirobaError, NotFound
from ..models import Application, Post, Task, utcnow
from ..posts.models import POST_LIVE
from ..protection import audit
from ..validation import N_
from .links import local_now
from .models import APPLICATION_HOLDING, ApplicationStatus
from .waiting_room import Waiting

DUPLICATE_NOTICES_PER_DAY = 3


class ApplicationRefused(HirobaError):
    """An application the event cannot take; the message is shown to the applicant."""

    message = N_("この申込は受け付けられませんでした。")

    def __str__(self) -> str:
        return self.message


class ApplicationsClosed(ApplicationRefused):
    message = N_("このイベントの申込受付は終了しました。")


class EventFull(ApplicationRefused):
    message = N_("このイベントは満員のため、申込を受け付けられませんでした。")


class EventChanged(HirobaError):
    """The event's questions or contact fields changed after its form was built: build the
    form again (nothing was stored)."""


class PartyTooLarge(ApplicationRefused):
    message = N_("参加人数がこのイベントの定員を超えています。人数を減らしてください。")


@dataclass(frozen=True)
class Outcome:
    """Where an application stands: its status and, on the waiting list, its position.

    status is "duplicate" when the details had applied already: application_id is then
    the existing application, which took nothing new (never shown to the submitter).
    """

    application_id: int
    post_id: int
    status: str
    position: int | None
    party_size: int
    has_email: bool


# Allocation's statements, built once (a rush runs them thousands of times a minute).
# The UPDATE takes the event's lock (the transaction's first statement: a row lock on
# PostgreSQL; on SQLite it waits for the write lock before reading anything, so no two
# allocations see the same counts) and returns what allocation needs of the event; the
# arrival counter is set once the batch is allocated.
LOCK_FOR_APPLYING = (
    update(Post)
    .where(Post.id == bindparam("post_id"))
    .values(apply_seq=Post.apply_seq + 0)
    .returning(
        Post.apply_seq,
        Post.status,
        Post.accepts_applications,
        Post.apply_until,
        Post.capacity,
        Post.waitlist,
        Post.questions,
        Post.ask_contact,
    )
    .execution_options(synchronize_session=False)
)
# The same, but only when nobody holds the event's row (PostgreSQL; SQLite ignores FOR
# UPDATE: there the writer's flock is tried instead): no row back means busy or no event.
TRY_LOCK_FOR_APPLYING = LOCK_FOR_APPLYING.where(
    Post.id
    == select(Post.id)
    .where(Post.id == bindparam("post_id"))
    .with_for_update(skip_locked=True)
    .scalar_subquery()
)
_SET_ARRIVALS = (
    update(Post)
    .where(Post.id == bindparam("post_id"))
    .values(apply_seq=bindparam("seq", type_=Integer))
    .execution_options(synchronize_session=False)
)
_OF_EVENT = Application.post_id == bindparam("post_id")
# (people confirmed, parties waiting), read in one statement after the lock is taken: on
# PostgreSQL its snapshot starts after the previous holder committed.
_STANDING = select(
    select(func.coalesce(func.sum(Application.party_size), 0))
    .where(_OF_EVENT, Application.status == ApplicationStatus.CONFIRMED)
    .scalar_subquery(),
    select(func.count())
    .where(_OF_EVENT, Application.status == ApplicationStatus.WAITLISTED)
    .scalar_subquery(),
)
# The blind indexes of the batch's emails and phones that an active application holds.
_HELD = select(Application.email_index, Application.phone_index).where(
    _OF_EVENT,
    Application.status.in_(APPLICATION_HOLDING),
    or_(
        Application.email_index.in_(bindparam("indexes", expanding=True)),
        Application.phone_index.in_(bindparam("indexes", expanding=True)),
    ),
)
_INSERT_APPLICATION = insert(Application).returning(Application.id)
_APPLICATION_COLUMNS = (
    "post_id", "status", "party_size", "seq", "email_index", "phone_index", "processed_at",
    "source", "language", "name_enc", "address_enc", "phone_enc", "email_enc", "answers_enc",
    "created_at",
)  # fmt: skip
# On PostgreSQL the application and the task of its mail are one statement (one round
# trip less while the event's row is locked); SQLite has no INSERT inside WITH.
_INSERT_APPLICATION_AND_MAIL = outbox.with_task(
    insert(Application)
    .values({c: bindparam(c, type_=Application.__table__.c[c].type) for c in _APPLICATION_COLUMNS})
    .returning(Application.id)
)


def _existing(
    session: Session, post_id: int, email_index: str | None, phone_index: str | None
) -> list[int]:
    """Return the active applications to the event that share the email or the phone."""
    matches = [
        column == value
        for column, value in (
            (Application.email_index, email_index),
            (Application.phone_index, phone_index),
        )
        if value
    ]
    if not matches:
        return []
    query = select(Application.id).where(
        Application.post_id == post_id, Application.status.in_(APPLICATION_HOLDING), or_(*matches)
    )
    return list(session.scalars(query.order_by(Application.id).limit(2)))


def _notices(session: Session, existing: list[int]) -> list[Task]:
    """Owe each existing application's owner a notice, unless mailed enough today already."""
    since = utcnow() - timedelta(days=1)
    tasks = []
    for application_id in existing:
        sent = session.scalar(
            select(func.count()).where(
                Task.name == jobs.SEND_DUPLICATE_NOTICE,
                Task.subject_id == application_id,
                Task.created_at >= since,
            )
        )
        if int(sent or 0) < DUPLICATE_NOTICES_PER_DAY:
            tasks.append(outbox.add_task(session, jobs.SEND_DUPLICATE_NOTICE, application_id))
    return tasks


def allocate(
    session: Session, post_id: int, event: Any, taken: list[Waiting],
    entered_by: int | None,
) -> tuple[dict[str, Outcome | HirobaError], list[Task], bool]:  # fmt: skip
    """Allocate applications in arrival order under the event's lock; return the answers,
    the tasks owed and whether anything was written."""
    answers: dict[str, Outcome | HirobaError] = {}
    if not taken:
        return answers, [], False
    if event is None or event.status not in POST_LIVE or not event.accepts_applications:
        return {w.token: NotFound(f"post {post_id}") for w in taken}, [], False
    if event.apply_until is not None and local_now() > event.apply_until:
        return {w.token: ApplicationsClosed() for w in taken}, [], False
    sql = session.connection()
    taken_places_, waiting = (int(n) for n in sql.execute(_STANDING, {"post_id": post_id}).one())
    indexes = {w.values[k] for w in taken for k in ("email_index", "phone_index")} - {None}
    held: set[str] = set()
    if indexes:
        for email_index, phone_index in sql.execute(
            _HELD, {"post_id": post_id, "indexes": sorted(indexes)}
        ):
            held.update(i for i in (email_index, phone_index) if i)
    tasks: list[Task] = []
    seq = event.apply_seq
    for item in taken:
        party_size = int(item.values["party_size"])
        email_index, phone_index = item.values["email_index"], item.values["phone_index"]
        if item.facts is not None and item.facts != [event.questions, event.ask_contact]:
            answers[item.token] = EventChanged(f"post {post_id}")
            continue
        if event.capacity is not None and party_size > event.capacity:
            answers[item.token] = PartyTooLarge()
            continue
        fits = event.capacity is None or (
            waiting == 0 and taken_places_ + party_size <= event.capacity
        )
        if not fits and not event.waitlist:
            answers[item.token] = EventFull()  # refused alike whether or not they applied
            continue
        if email_index in held or phone_index in held:
            existing = _existing(session, post_id, email_index, phone_index)
            tasks += _notices(session, existing) if entered_by is None else []
            answers[item.token] = Outcome(
                existing[0], post_id, "duplicate", None, 0, item.has_email
            )
            continue
        status = ApplicationStatus.CONFIRMED if fits else ApplicationStatus.WAITLISTED
        seq += 1
        now = utcnow()
        values = {
            **item.values, "post_id": post_id, "status": status, "seq": seq,
            "processed_at": now, "created_at": now,
        }  # fmt: skip
        if item.has_email and sql.dialect.name == "postgresql":
            values.update(outbox.task_values(jobs.INGEST_APPLICATION))
            application_id, task_id = sql.execute(_INSERT_APPLICATION_AND_MAIL, values).one()
            tasks.append(Task(id=task_id, name=jobs.INGEST_APPLICATION, subject_id=application_id))
        else:
            application_id = sql.execute(_INSERT_APPLICATION, values).scalar_one()
            if item.has_email:
                tasks.append(outbox.insert_task(session, jobs.INGEST_APPLICATION, application_id))
        if entered_by is not None:
            audit.record(
                session,
                entered_by,
                "enter_personal_data",
                "application",
                application_id,
                count=1,
                detail=f"{values['source']} application",
            )
        held.update(i for i in (email_index, phone_index) if i)
        position = None
        if status == ApplicationStatus.CONFIRMED:
            taken_places_ += party_size
        else:
            waiting += 1  # the arrival counter only grows: everyone waiting arrived before
            position = waiting
        answers[item.token] = Outcome(
            application_id, post_id, status, position, party_size, item.has_email
        )
    if seq != event.apply_seq:
        sql.execute(_SET_ARRIVALS, {"post_id": post_id, "seq": seq})
    return answers, tasks, seq != event.apply_seq or bool(tasks)
