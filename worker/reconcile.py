"""The reconciler: finds work the database owes and Redis does not hold, and enqueues it.

It runs when a worker starts and then every HIROBA_RECONCILE_SECONDS. This is what makes
a Redis restart or a killed worker lose nothing: the database is the system of record.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from intake.outbox import due_tasks, enqueue_rebuild, enqueue_task, job_id
from intake.runtime import Runtime

from .build import build_lock, pending_rev
from .retention import RETENTION_JOB, schedule_retention

log = logging.getLogger(__name__)


@dataclass
class Report:
    tasks: int
    rebuild: bool


def reconcile(rt: Runtime) -> Report:
    """Enqueue every due task not already queued, and a rebuild if the site is behind."""
    queued = set(rt.queue.get_job_ids())
    with rt.sessions() as session:
        tasks = [t for t in due_tasks(session) if job_id(t.id) not in queued]
    for task in tasks:
        enqueue_task(rt.queue, task)
    rebuild = False
    if pending_rev(rt) is not None and not build_lock(rt.redis, rt.settings).locked():
        # A flag without a queued rebuild job is left over from a lost job: force one.
        rebuild_queued = any(
            job_id_ is not None and not job_id_.startswith(("hiroba-task-", RETENTION_JOB))
            for job_id_ in queued
        )
        rebuild = enqueue_rebuild(rt.queue, force=not rebuild_queued)
    if tasks or rebuild:
        log.info(
            "reconciler enqueued %d task(s)%s", len(tasks), " and a rebuild" if rebuild else ""
        )
    return Report(tasks=len(tasks), rebuild=rebuild)


def reconcile_forever(rt: Runtime) -> None:
    """Reconcile now and then every interval, surviving Redis or database outages; the
    retention purge is enqueued from here at most once an hour."""
    while True:
        try:
            reconcile(rt)
            schedule_retention(rt)
        except (RedisError, SQLAlchemyError) as exc:
            log.warning("reconciler pass failed (%s); retrying", type(exc).__name__)
        time.sleep(rt.settings.reconcile_seconds)
