"""Applications to events: allocated at once under a per-event lock, then mailed by the worker.

Allocation happens in the request, inside one transaction that first locks the event's
row (an UPDATE of its arrival counter: a row lock on PostgreSQL, the write lock on
SQLite), so concurrent applicants are served in a single order and each is told at once
whether they are confirmed or waiting, and at which position. The holder of the lock
allocates every application waiting for it (waiting_room.py) in arrival order and commits
once for all of them: one fsync per batch instead of one per application. Capacity
counts people (party_size). Nobody overtakes the waiting list: while anyone waits, a
new applicant waits too, and cancelled places go to the waiting list strictly in order
for as long as the next party fits. The worker only sends the mails (ids only).

A second application with the phone or email of an active one takes no place and is
answered exactly like a new one: the answer must not tell anyone whether those details
applied. The owner of the existing application is told by mail instead (at most
allocation.DUPLICATE_NOTICES_PER_DAY a day, so the form cannot be used to flood them).
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import jobs, outbox
from ..accounts.models import EntrySource
from ..errors import HirobaError, InvalidTransition, NotFound, StoreUnavailable
from ..models import Application, Post, Task, utcnow
from ..posts.models import POST_LIVE
from ..protection import audit
from ..runtime import Runtime
from ..store import serialised_writer, transaction
from . import allocation, waiting_room
from .allocation import (
    ApplicationRefused,
    ApplicationsClosed,
    EventChanged,
    EventFull,
    Outcome,
    PartyTooLarge,
)
from .links import local_now
from .models import APPLICATION_HOLDING, ApplicationStatus, Availability
from .waiting_room import Waiting

# "few" places left: at most this share of the capacity, and never fewer than this count.
FEW_SHARE, FEW_MIN = 0.2, 3
LABELS = {
    Availability.AVAILABLE: "空きあり",
    Availability.FEW: "残りわずか",
    Availability.FULL: "満員",
    Availability.WAITLIST: "キャンセル待ち受付中",
    Availability.CLOSED: "受付終了",
}


@dataclass
class ApplicationData:
    """What an applicant submits; answers follow the order of the event's questions."""

    name: str
    address: str
    phone: str
    email: str
    party_size: int = 1
    answers: list[str | list[str]] = field(default_factory=list)
    language: str = "ja"  # the apply form's: the applicant's mails are written in it


def is_open(post: Post) -> bool:
    """Return True while an event takes applications (live, switched on, before the deadline)."""
    if post.status not in POST_LIVE or not post.accepts_applications:
        return False
    return post.apply_until is None or local_now() <= post.apply_until


def taken_places(session: Session, post_id: int) -> int:
    """Return the people confirmed for an event."""
    taken = session.scalar(
        select(func.sum(Application.party_size)).where(
            Application.post_id == post_id, Application.status == ApplicationStatus.CONFIRMED
        )
    )
    return int(taken or 0)


def _waiting(session: Session, post_id: int) -> int:
    return int(
        session.scalar(
            select(func.count()).where(
                Application.post_id == post_id, Application.status == ApplicationStatus.WAITLISTED
            )
        )
        or 0
    )


def position_of(session: Session, application: Application) -> int | None:
    """Return an application's place on the waiting list (1 is next), or None."""
    if application.status != ApplicationStatus.WAITLISTED:
        return None
    ahead = session.scalar(
        select(func.count()).where(
            Application.post_id == application.post_id,
            Application.status == ApplicationStatus.WAITLISTED,
            Application.seq < (application.seq or 0),
        )
    )
    return int(ahead or 0) + 1


def apply(
    rt: Runtime,
    post_id: int,
    data: ApplicationData,
    source: EntrySource = EntrySource.WEB,
    entered_by: int | None = None,
    form_of: Post | None = None,
) -> Outcome:
    """Allocate an application at once (confirmed or waiting) and owe its mail to the worker.

    Raise NotFound for an unknown event and an ApplicationRefused for one that is closed,
    full without a waiting list or too small for the party. Details that applied already
    take nothing: the outcome is "duplicate" and the existing applications' owners are
    owed a notice; the caller answers as for a new application. An application staff
    typed in (entered_by, from a phone call or paper) is audited, and its duplicate is
    told to the staff member rather than mailed to the existing application's owner.
    form_of is the post the form was built from when that was not read in this request:
    EventChanged when its questions or contact fields are no longer the event's. From the
    web, it waits in the event's waiting room, for whoever holds the lock (waiting_room.py).
    """
    waiting = waiting_room.sealed(rt.vault, asdict(data), source, form_of)
    if entered_by is not None:
        return _alone(rt, post_id, waiting, entered_by)
    prefix = rt.settings.redis_prefix
    for _attempt in range(3):
        # It enters the room as it first tries the lock (when free: as it takes the room).
        entering: Waiting | None = waiting
        mine: Outcome | HirobaError | None = None
        for rounds in itertools.count():
            try:
                held = _hold(rt, post_id, None, wait=False, entering=entering)
            except RedisError as exc:
                if entering is not None:
                    return _alone(rt, post_id, waiting)  # no waiting room: the lock alone orders
                if mine is not None:
                    return _given(mine)
                raise StoreUnavailable("the waiting room is unreachable") from exc
            if held is None:  # another request holds the lock: it takes what waits
                if entering is not None:
                    try:
                        waiting_room.enter(rt.redis, prefix, post_id, waiting)
                    except RedisError:
                        return _alone(rt, post_id, waiting)
                    entering = None
                said = waiting_room.await_answer(
                    rt.redis, prefix, waiting.token, waiting_room.POLL_SECONDS
                )
                if said is not None:
                    return _heard(said)
                continue
            entering = None
            answers, tasks = held
            mine = answers.pop(waiting.token, mine)
            waiting_room.answer(rt.queue, prefix, answers, tasks)  # one round trip
            if mine is not None and (not answers or rounds >= waiting_room.HOLD_ROUNDS):
                return _given(mine)  # after serving those who came meanwhile
            if mine is None and not answers:
                break  # taken by an earlier holder, which has finished: commit or not
        said = waiting_room.await_answer(
            rt.redis, prefix, waiting.token, waiting_room.ANSWER_WAIT_SECONDS
        )
        stored = _heard(said) if said is not None else _stored(rt, post_id, waiting)
        if stored is not None:
            return stored
    raise StoreUnavailable("the application could not be allocated")


def _alone(rt: Runtime, post_id: int, waiting: Waiting, entered_by: int | None = None) -> Outcome:
    """Allocate one application under the event's lock, outside the waiting room."""
    held = _hold(rt, post_id, waiting, entered_by)
    assert held is not None  # it waits for the lock
    answers, tasks = held
    outbox.enqueue_tasks(rt.queue, tasks)
    return _given(answers[waiting.token])


def _hold(
    rt: Runtime, post_id: int, only: Waiting | None, entered_by: int | None = None,
    wait: bool = True, entering: Waiting | None = None,
) -> tuple[dict[str, Outcome | HirobaError], list[Task]] | None:  # fmt: skip
    """Take the event's lock and allocate what waits (or only one application) in one
    transaction; return each one's outcome or refusal by token, and the tasks owed. An empty
    answer means nothing waited; a failed commit refuses them all with StoreUnavailable.
    wait=False: None at once when another request holds the lock. entering joins the room
    as it is taken (one round trip)."""
    taken: list[Waiting] = []
    try:
        with (
            waiting_room.first_in_process(rt.settings.database_url, post_id, wait) as first,
            serialised_writer(rt.engine, wait) as free,
            transaction(rt.sessions) as session,
        ):
            if not (first and free):
                return None
            # Under the lock: a few statements and the commit (shorter: more a second).
            sql = session.connection()  # core statements: no unit of work, no ORM results
            lock = allocation.LOCK_FOR_APPLYING if wait else allocation.TRY_LOCK_FOR_APPLYING
            event = sql.execute(lock, {"post_id": post_id}).one_or_none()
            if event is None and not wait and session.get(Post, post_id) is not None:
                session.rollback()
                return None  # the event's row is locked
            prefix = rt.settings.redis_prefix
            taken = [only] if only else waiting_room.take(rt.redis, prefix, post_id, entering)
            answers, tasks, wrote = allocation.allocate(session, post_id, event, taken, entered_by)
            if not wrote:
                session.rollback()  # nothing stored: no commit to wait for
    except StoreUnavailable as failed:
        return {w.token: failed for w in taken}, []
    return answers, tasks


# The refusals a holder may answer a waiting request with, by name.
_REFUSALS: dict[str, type[HirobaError]] = {c.__name__: c for c in (
    NotFound, ApplicationsClosed, EventChanged, PartyTooLarge, EventFull, StoreUnavailable,
)}  # fmt: skip


def _heard(said: list[Any]) -> Outcome:
    """Return the outcome an answer carries, or raise the refusal it carries."""
    if said[0] == "outcome":
        return Outcome(*said[1:])
    refusal = _REFUSALS[said[1]]
    raise refusal() if issubclass(refusal, ApplicationRefused) else refusal(said[2])


def _given(answer: Outcome | HirobaError) -> Outcome:
    if isinstance(answer, HirobaError):
        raise answer
    return answer


def _stored(rt: Runtime, post_id: int, waiting: Waiting) -> Outcome | None:
    """Return the outcome of an application whose holder finished without answering, or None."""
    with rt.sessions() as session:
        row = waiting_room.stored(session, post_id, waiting)
        where = position_of(session, row) if row else None
        return (
            Outcome(row.id, post_id, row.status, where, row.party_size, waiting.has_email)
            if row
            else None
        )


def promote(session: Session, post: Post) -> tuple[list[int], list[Task]]:
    """Confirm waiting applications in order while the next one fits; return ids and mail tasks."""
    promoted: list[int] = []
    tasks: list[Task] = []
    free = None if post.capacity is None else post.capacity - taken_places(session, post.id)
    waiting = session.scalars(
        select(Application)
        .where(Application.post_id == post.id, Application.status == ApplicationStatus.WAITLISTED)
        .order_by(Application.seq, Application.id)
    )
    for application in waiting:
        if free is not None and application.party_size > free:
            break  # strictly in order: a smaller party behind does not overtake
        application.status = ApplicationStatus.CONFIRMED
        application.processed_at = utcnow()
        if free is not None:
            free -= application.party_size
        promoted.append(application.id)
        if application.email_enc is not None:
            tasks.append(outbox.add_task(session, jobs.SEND_PROMOTED, application.id))
    return promoted, tasks


def cancel_application(rt: Runtime, application_id: int, actor_id: int | None = None) -> list[int]:
    """Cancel an application, give its places to the waiting list, and return who was promoted.

    actor_id names the organizer or staff member who cancels (audited); None is the
    applicant through their signed link. Cancelling twice raises InvalidTransition.
    """
    with rt.sessions() as session:
        found = session.get(Application, application_id)
        if found is None:
            raise NotFound(f"application {application_id}")
        post_id = found.post_id
    with serialised_writer(rt.engine), transaction(rt.sessions) as session:
        session.execute(allocation.LOCK_FOR_APPLYING, {"post_id": post_id}).one_or_none()
        application = session.get(Application, application_id)
        post = session.get(Post, post_id)
        assert application is not None and post is not None
        if application.status not in APPLICATION_HOLDING:
            raise InvalidTransition(f"application {application_id} is {application.status}")
        application.status = ApplicationStatus.CANCELLED
        application.cancelled_at = utcnow()
        promoted, tasks = promote(session, post)
        if actor_id is not None:
            audit.record(
                session,
                actor_id,
                "change_personal_data",
                "application",
                application_id,
                detail=f"cancelled; promoted {len(promoted)}",
            )
    outbox.enqueue_tasks(rt.queue, tasks)
    return promoted


@dataclass(frozen=True)
class ApplicationView:
    """What the applicant's own page shows (no personal data beyond what they can confirm)."""

    id: int
    post_id: int
    title: str
    starts_at: object
    status: str
    position: int | None
    party_size: int


def view_application(rt: Runtime, application_id: int) -> ApplicationView:
    """Return an application's standing for its applicant, or raise NotFound."""
    with rt.sessions() as session:
        application = session.get(Application, application_id)
        post = session.get(Post, application.post_id) if application else None
        if application is None or post is None:
            raise NotFound(f"application {application_id}")
        return ApplicationView(
            application.id,
            post.id,
            post.title,
            post.starts_at,
            application.status,
            position_of(session, application),
            application.party_size,
        )


def availability(rt: Runtime, post_id: int) -> dict[str, object]:
    """Return the event's availability for the static page: status, label, places remaining."""
    with rt.sessions() as session:
        post = session.get(Post, post_id)
        if post is None or post.status not in POST_LIVE or not post.accepts_applications:
            raise NotFound(f"post {post_id}")
        remaining: int | None = None
        if post.capacity is not None:
            taken = taken_places(session, post_id)
            waiting = _waiting(session, post_id)
            remaining = max(0, post.capacity - taken) if waiting == 0 else 0
        if not is_open(post):
            status = Availability.CLOSED
        elif remaining is None:
            status = Availability.AVAILABLE
        elif remaining == 0:
            status = Availability.WAITLIST if post.waitlist else Availability.FULL
        elif remaining <= max(FEW_MIN, int(post.capacity * FEW_SHARE) if post.capacity else 0):
            status = Availability.FEW
        else:
            status = Availability.AVAILABLE
    return {"status": status, "label": LABELS[status], "remaining": remaining}
