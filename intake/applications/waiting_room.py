"""The waiting room of an event's lock: applications wait in Redis, the lock's holder takes them.

Group commit across processes and hosts. An application, sealed, enters the event's
waiting room (a Redis list, in arrival order), then its request tries the event's lock in
the database without queueing on it (PostgreSQL: FOR UPDATE SKIP LOCKED on the event's
row; SQLite: the writers' flock, non-blocking). Whoever gets the lock takes everything
waiting, allocates it in one transaction, commits once, answers each waiting request
under its own token, and takes the room again while more wait. A request that finds the
lock held waits for its answer and tries the lock again every POLL_SECONDS. The database
lock is the only arbiter: the room is taken only under it, so a request that holds the
lock and finds its application gone knows that whoever took it has finished (committed,
rolled back, or died). If no answer comes, the database says whether the application was
stored (its sealed name is unique); if it was not, it enters again. An answer is given
only after the commit, so nobody is told of a commit that did not happen. What waits in
Redis is sealed (ciphertext and blind indexes only) and expires.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, astuple, dataclass
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import outbox, redis_keys
from ..accounts.models import EntrySource
from ..accounts.services import LANGUAGES
from ..crypto import Vault
from ..models import Application, Post, Task

log = logging.getLogger(__name__)

BATCH_MAX = 500  # applications one holder takes at a time
KEEP_SECONDS = 600  # a waiting room, and an answer nobody read, expire after this
ANSWER_WAIT_SECONDS = 2.0  # then the database is asked instead
POLL_SECONDS = 0.05  # while another request holds the lock: then try the lock again
HOLD_ROUNDS = 8  # batches a holder allocates for others after its own, while more wait


@dataclass(frozen=True)
class Waiting:
    """One application waiting for the event's lock: its token and its sealed row.

    values are the application's own columns (sealed fields, blind indexes, party size,
    source, language); facts are the form's questions and contact fields when the form
    was built from an event read earlier (the holder refuses it if they changed).
    """

    token: str
    values: dict[str, Any]
    has_email: bool
    facts: list[str] | None = None


def sealed(
    vault: Vault, data: dict[str, Any], source: EntrySource, form_of: Post | None
) -> Waiting:
    """Return an application (ApplicationData's fields) as it waits for the event's lock:
    sealed, with its token."""
    values = {
        "party_size": data["party_size"],
        "email_index": vault.blind_index(data["email"], "applications.email")
        if data["email"]
        else None,
        "phone_index": vault.blind_index(data["phone"], "applications.phone")
        if data["phone"]
        else None,
        "source": str(source),
        "language": data["language"] if data["language"] in LANGUAGES else "ja",
        "name_enc": vault.seal(data["name"], "applications.name"),
        "address_enc": vault.seal(data["address"], "applications.address"),
        "phone_enc": vault.seal(data["phone"] or None, "applications.phone"),
        "email_enc": vault.seal(data["email"] or None, "applications.email"),
        "answers_enc": vault.seal(
            json.dumps(data["answers"], ensure_ascii=False) if data["answers"] else None,
            "applications.answers",
        ),
    }
    facts = None if form_of is None else [form_of.questions, form_of.ask_contact]
    return Waiting(uuid.uuid4().hex, values, bool(data["email"]), facts)


def enter(redis: Redis, prefix: str, post_id: int, waiting: Waiting) -> None:
    """Put an application at the end of the event's waiting room (one round trip)."""
    room = redis_keys.applying(prefix, post_id)
    with redis.pipeline(transaction=False) as pipe:
        pipe.rpush(room, json.dumps(asdict(waiting), ensure_ascii=False))
        pipe.expire(room, KEEP_SECONDS)
        pipe.execute()


_TRYING: dict[tuple[str, int], threading.Lock] = {}  # by database and event
_TRYING_GUARD = threading.Lock()


@contextmanager
def first_in_process(database: str, post_id: int, wait: bool) -> Iterator[bool]:
    """Yield True to one thread of this process at a time per event (False at once to the
    others, unless wait): the others leave the event's lock to it and wait for their answer,
    since its take includes them, instead of each trying the database's lock (on
    PostgreSQL a transaction and two statements per try, every POLL_SECONDS)."""
    if wait:
        yield True
        return
    with _TRYING_GUARD:
        lock = _TRYING.setdefault((database, post_id), threading.Lock())
    if not lock.acquire(blocking=False):
        yield False
        return
    try:
        yield True
    finally:
        lock.release()


def take(redis: Redis, prefix: str, post_id: int, entering: Waiting | None = None) -> list[Waiting]:
    """Take the applications waiting for the event, oldest first (call only under its lock);
    entering first joins the end of the room, in the same round trip."""
    room = redis_keys.applying(prefix, post_id)
    with redis.pipeline(transaction=True) as pipe:
        if entering is not None:
            pipe.rpush(room, json.dumps(asdict(entering), ensure_ascii=False))
            pipe.expire(room, KEEP_SECONDS)
        pipe.lrange(room, 0, BATCH_MAX - 1)
        pipe.ltrim(room, BATCH_MAX, -1)
        raw = pipe.execute()[-2]
    return [Waiting(**json.loads(item)) for item in raw]


def said(answer: object) -> list[Any]:
    """Return an answer (an outcome, a dataclass, or the refusal) as it travels (JSON)."""
    if isinstance(answer, Exception):
        return ["refused", type(answer).__name__, str(answer)]
    return ["outcome", *astuple(answer)]  # type: ignore[call-overload]


def answer(queue: Queue, prefix: str, answers: Mapping[str, object], tasks: list[Task]) -> None:
    """Enqueue a batch's committed mail tasks and answer the applications waiting for it by
    token, in one round trip (after the commit); a failure leaves the tasks to the
    reconciler and makes the waiting requests ask the database."""
    if not answers and not tasks:
        return
    try:
        with queue.connection.pipeline() as pipe:
            for task in tasks:
                outbox.enqueue_task(queue, task, pipeline=pipe)
            for token, given in answers.items():
                key = redis_keys.applied(prefix, token)
                pipe.rpush(key, json.dumps(said(given), ensure_ascii=False))
                pipe.expire(key, KEEP_SECONDS)
            pipe.execute()
    except RedisError as exc:
        # each waiting request asks the database after ANSWER_WAIT_SECONDS
        log.warning(
            "Redis unreachable (%s); the reconciler will enqueue the batch's mails",
            type(exc).__name__,
        )


def await_answer(redis: Redis, prefix: str, token: str, seconds: float) -> list[Any] | None:
    """Return the answer to one application, or None when none came within seconds."""
    try:
        found = redis.blpop([redis_keys.applied(prefix, token)], timeout=seconds)
    except RedisError:
        return None
    if found is None:
        return None
    return list(json.loads(found[1]))


def stored(session: Session, post_id: int, waiting: Waiting) -> Application | None:
    """Return the application stored from waiting, or None: its sealed name is unique (a fresh
    nonce each time), so it tells whether a holder that never answered had committed it."""
    name_enc = waiting.values["name_enc"]
    found = select(Application).where(
        Application.post_id == post_id, Application.name_enc == name_enc
    )
    return session.scalars(found).first()
