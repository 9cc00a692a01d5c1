"""Work owed to the worker: written as Task rows with the data, then enqueued on rq by name.

The database is the system of record and Redis is transport: a Task is committed in the
same transaction as the submission it concerns, and `enqueue_tasks` only tells rq about
it afterwards. If Redis is down or loses its data, the reconciler finds the pending rows
and enqueues them again; jobs check state first, so running one twice does it once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from redis import Redis
from redis.client import Pipeline
from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy import DateTime, Insert, Integer, String, Text, bindparam, insert, or_, select
from sqlalchemy.orm import Session

from . import redis_keys
from .jobs import REBUILD_SITE
from .models import Task, TaskState, utcnow

log = logging.getLogger(__name__)


TASK_TIMEOUT = 120


def add_task(session: Session, name: str, subject_id: int) -> Task:
    """Record that name(subject_id) is owed; the caller commits it with its data."""
    task = Task(name=name, subject_id=subject_id)
    session.add(task)
    session.flush()
    return task


_INSERT_TASK = insert(Task).returning(Task.id)


def insert_task(session: Session, name: str, subject_id: int) -> Task:
    """Record that name(subject_id) is owed with one INSERT (no unit of work: a hot path).

    The Task returned is not attached to the session; it carries what enqueueing needs.
    """
    values = {"name": name, "subject_id": subject_id}
    task_id = session.connection().execute(_INSERT_TASK, values).scalar_one()
    return Task(id=task_id, name=name, subject_id=subject_id)


def with_task(row: Insert) -> Insert:
    """Return one statement that inserts row (an INSERT ... RETURNING the row's id) and the
    task owed on it, returning (subject id, task id): PostgreSQL's data-modifying WITH, a
    round trip less than insert_task after the row. Execute it with task_values()."""
    new_row = row.cte("new_row")
    owed = select(
        bindparam("task_name", type_=String),
        new_row.c.id,
        bindparam("task_state", type_=String),
        bindparam("task_attempts", type_=Integer),
        bindparam("task_error", type_=Text),
        bindparam("task_created_at", type_=DateTime),
    )
    columns = ["name", "subject_id", "state", "attempts", "last_error", "created_at"]
    statement = insert(Task).from_select(columns, owed, include_defaults=False)
    return statement.returning(Task.subject_id, Task.id)


def task_values(name: str) -> dict[str, object]:
    """Return the task's parameters of a with_task statement (a pending task named name)."""
    return {
        "task_name": name,
        "task_state": TaskState.PENDING,
        "task_attempts": 0,
        "task_error": "",
        "task_created_at": utcnow(),
    }


def make_queue(redis: Redis, name: str) -> Queue:
    """Return the rq queue, with the JSON serializer: only ids travel, never pickles."""
    return Queue(name, connection=redis, serializer="rq.serializers.JSONSerializer")


def enqueue_task(
    queue: Queue, task: Task, at_front: bool = False, pipeline: Pipeline | None = None
) -> None:
    """Put one committed task on the queue (at its front for urgent work: a takedown);
    with a pipeline, only once the caller executes it."""
    queue.enqueue(
        task.name,
        task.id,
        job_id=redis_keys.task_job(redis_keys.queue_prefix(queue.name), task.id),
        job_timeout=TASK_TIMEOUT,
        result_ttl=600,
        failure_ttl=86400,
        description=f"{task.name}(task {task.id})",
        at_front=at_front,
        pipeline=pipeline,
    )


def enqueue_tasks(queue: Queue, tasks: Iterable[Task], at_front: bool = False) -> int:
    """Enqueue committed tasks in one round trip to Redis; when Redis is unreachable, leave
    them to the reconciler."""
    tasks = list(tasks)
    if not tasks:
        return 0
    try:
        with queue.connection.pipeline() as pipeline:
            for task in tasks:
                enqueue_task(queue, task, at_front=at_front, pipeline=pipeline)
            pipeline.execute()
    except RedisError as exc:
        log.warning(
            "Redis unreachable (%s); the reconciler will enqueue the rest", type(exc).__name__
        )
        return 0
    return len(tasks)


def enqueue_rebuild(queue: Queue, force: bool = False, at_front: bool = False) -> bool:
    """Ask for a site rebuild unless one is already queued (it will absorb this request).

    The flag is cleared by the rebuild job as it starts, before it reads the revision,
    so a request that arrives after that read always finds the flag clear. An urgent
    request (a takedown) passes force and at_front: a rebuild already queued may sit
    behind a long queue, so another one goes to the front (the later one finds nothing).
    """
    flag = redis_keys.rebuild_flag(redis_keys.queue_prefix(queue.name))
    if not queue.connection.set(flag, 1, nx=True, ex=3600) and not force:
        return False
    queue.enqueue(
        REBUILD_SITE,
        job_timeout=3600,
        result_ttl=60,
        failure_ttl=86400,
        description="rebuild the public site",
        at_front=at_front,
    )
    return True


def due_tasks(session: Session, limit: int = 5000) -> list[Task]:
    """Return pending tasks that no worker holds a live lease on, oldest first."""
    now = utcnow()
    query = (
        select(Task)
        .where(Task.state == TaskState.PENDING)
        .where(or_(Task.lease_until.is_(None), Task.lease_until < now))
        .order_by(Task.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def lease(task: Task, seconds: int) -> None:
    """Mark task as taken by the current worker for seconds."""
    task.lease_until = utcnow() + timedelta(seconds=seconds)
    task.attempts += 1


def retry_failed(session: Session) -> int:
    """Make every task given up after its tries owed again (after fixing the cause)."""
    failed = list(session.scalars(select(Task).where(Task.state == TaskState.FAILED)))
    for task in failed:
        task.state = TaskState.PENDING
        task.attempts = 0
        task.lease_until = None
    return len(failed)
