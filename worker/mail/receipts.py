"""Each mail of a task sent once, even when the task runs again.

A mail task sends inside the transaction that marks the task done (worker/tasks.py). When
the worker dies, or the database fails, after the SMTP server has taken the message but
before that commit, the task runs again and would send the same mail a second time. So
the moment the server takes a message, a receipt is written to Redis, named by the task
and the mail's place in it (a task may send several); a run that finds the receipt skips
that mail. What remains is the moment between the server's acceptance and the receipt's
write, and a Redis that lost its data: then a mail may still go twice, never not at all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from redis import Redis
from redis.exceptions import RedisError

from intake import redis_keys

log = logging.getLogger(__name__)

KEEP_SECONDS = 30 * 86400  # well past the last retry of a task


@dataclass
class _Task:
    redis: Redis
    prefix: str
    task_id: int
    sent: int = 0  # mails this run has reached so far


_current: ContextVar[_Task | None] = ContextVar("hiroba_mail_task", default=None)


@contextmanager
def for_task(redis: Redis, prefix: str, task_id: int) -> Iterator[None]:
    """Number the mails sent inside this block as the task's own."""
    token = _current.set(_Task(redis, prefix, task_id))
    try:
        yield
    finally:
        _current.reset(token)


def once(send: Callable[[Callable[[], None]], None]) -> bool:
    """Call send(accepted) unless this task's mail at this place was taken already; send
    calls accepted the moment the server takes the message, which writes the receipt.
    Return True when sent now. Outside a task (alerts, probes), always send."""
    task = _current.get()
    if task is None:
        send(lambda: None)
        return True
    key = redis_keys.mail_receipt(task.prefix, task.task_id, task.sent)
    task.sent += 1
    try:
        taken = bool(task.redis.exists(key))
    except RedisError as exc:
        log.warning(
            "mail receipt of task %s unreadable (%s); sending", task.task_id, type(exc).__name__
        )
        taken = False
    if taken:
        log.info(
            "mail %s of task %s was taken by the server before; not sent again",
            task.sent,
            task.task_id,
        )
        return False

    def accepted() -> None:
        try:
            task.redis.set(key, 1, ex=KEEP_SECONDS)
        except RedisError as exc:
            log.warning(
                "mail receipt of task %s not written (%s)", task.task_id, type(exc).__name__
            )

    send(accepted)
    return True
