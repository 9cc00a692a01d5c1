"""The bookkeeping around every owed task: check state, lease, run, mark done."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from redis.exceptions import RedisError
from sqlalchemy.orm import Session

from intake.models import Task, TaskState, utcnow
from intake.outbox import lease
from intake.runtime import Runtime
from intake.store import transaction

from .context import runtime
from .mail import receipts

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


AfterCommit = Callable[[], None] | None


def tracked(fn: Callable[[Runtime, Session, int], AfterCommit]) -> Callable[[int], str]:
    """Wrap fn(rt, session, subject_id) as an idempotent rq job taking a task id.

    fn runs in the same transaction that marks the task done, so its effect and the
    task's completion commit together: running the job twice does the work once. fn may
    return a callable to run once that transaction has committed (such as an enqueue).
    """

    @functools.wraps(fn)
    def job(task_id: int) -> str:
        rt = runtime()
        with transaction(rt.sessions) as session:
            task = session.get(Task, task_id)
            if task is None or task.state != TaskState.PENDING:
                return "skipped"
            lease(task, rt.settings.task_lease_seconds)
        try:
            with transaction(rt.sessions) as session:
                task = session.get(Task, task_id, with_for_update=True)
                if task is None or task.state != TaskState.PENDING:
                    return "skipped"
                with receipts.for_task(rt.redis, rt.settings.redis_prefix, task_id):
                    after = fn(rt, session, task.subject_id)
                task.state = TaskState.DONE
                task.done_at = utcnow()
        except Exception as exc:
            # Any failure is recorded on the task; after MAX_ATTEMPTS it is shown to moderators.
            with transaction(rt.sessions) as session:
                task = session.get(Task, task_id)
                if task is not None:
                    task.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                    if task.attempts >= MAX_ATTEMPTS:
                        task.state = TaskState.FAILED
            raise
        if after is not None:
            try:
                after()
            except RedisError as exc:
                log.warning(
                    "follow-up of task %s not enqueued (%s); the reconciler will",
                    task_id,
                    type(exc).__name__,
                )
        return "done"

    return job
