"""The reconciler: finds work the database owes and Redis does not hold, and enqueues it.

It runs when a worker starts and then every HIROBA_RECONCILE_SECONDS. This is what makes
a Redis restart or a killed worker lose nothing: the database is the system of record.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import dataclass

from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from intake import redis_keys
from intake.errors import StoreUnavailable
from intake.jobs import PUBLISH_POST
from intake.models import Post, Task
from intake.outbox import due_tasks, enqueue_rebuild, enqueue_task
from intake.runtime import Runtime

from .build.search import reconcile_search
from .build.switch import build_lock, pending_rev
from .jobs.posts import URGENT
from .publication.banner import sync_banner
from .schedule import (
    schedule_archiving,
    schedule_audit,
    schedule_digest,
    schedule_nightly,
    schedule_retention,
)

log = logging.getLogger(__name__)


@dataclass
class Report:
    tasks: int
    rebuild: bool


def _urgent(session: Session, tasks: list[Task]) -> set[int]:
    """Return the ids of the tasks that publish a post whose removal jumps the queue."""
    subjects = {t.subject_id for t in tasks if t.name == PUBLISH_POST}
    if not subjects:
        return set()
    posts = set(
        session.scalars(select(Post.id).where(Post.id.in_(subjects), Post.status.in_(URGENT)))
    )
    return {t.id for t in tasks if t.name == PUBLISH_POST and t.subject_id in posts}


def reconcile(rt: Runtime) -> Report:
    """Enqueue every due task not already queued, and a rebuild if the site is behind.

    A takedown's owed task goes to the front, as take_down put it first time round.
    """
    queued = set(rt.queue.get_job_ids())
    prefix = rt.settings.redis_prefix
    with rt.sessions() as session:
        tasks = [t for t in due_tasks(session) if redis_keys.task_job(prefix, t.id) not in queued]
        urgent = _urgent(session, tasks)
    for task in tasks:
        if task.id not in urgent:
            enqueue_task(rt.queue, task)
    # at_front puts each task before the one pushed earlier: newest first, so the oldest leads.
    for task in sorted((t for t in tasks if t.id in urgent), key=lambda t: t.id, reverse=True):
        enqueue_task(rt.queue, task, at_front=True)
    rebuild = False
    if pending_rev(rt) is not None and not build_lock(rt.redis, rt.settings).locked():
        # A flag without a queued rebuild job is left over from a lost job: force one.
        periodic = (
            redis_keys.task_job_prefix(prefix),
            redis_keys.retention_job(prefix),
            redis_keys.archive_job(prefix),
            redis_keys.nightly_job(prefix),
        )
        rebuild_queued = any(
            job_id_ is not None and not job_id_.startswith(periodic) for job_id_ in queued
        )
        rebuild = enqueue_rebuild(rt.queue, force=not rebuild_queued)
    if reconcile_search(rt):
        log.info("reconciler enqueued a search re-index")
    # A banner whose end time passed leaves the site here (at most a pass late).
    try:
        sync_banner(rt)
    except Exception as exc:  # noqa: BLE001 - a bucket or disk error must not stop the reconciler
        log.warning("banner stylesheet not written (%s); next pass retries", type(exc).__name__)
    if tasks or rebuild:
        log.info(
            "reconciler enqueued %d task(s)%s", len(tasks), " and a rebuild" if rebuild else ""
        )
    return Report(tasks=len(tasks), rebuild=rebuild)


def count_pass(rt: Runtime) -> None:
    """Count a finished pass under this process's own key (host:pid), kept for ten passes'
    time after the last: what shows that a reconciler is alive and how far it has got."""
    process = f"{socket.gethostname()}:{os.getpid()}"
    key = redis_keys.reconciler_passes(rt.settings.redis_prefix, process)
    with rt.redis.pipeline() as pipe:
        pipe.incr(key)
        pipe.expire(key, max(60, 10 * int(rt.settings.reconcile_seconds)))
        pipe.execute()


def reconcile_forever(rt: Runtime) -> None:
    """Reconcile now and then every interval, surviving Redis or database outages; the
    retention purge and the archiving of past events are enqueued from here at most hourly,
    the nightly full build once a day, the moderators' digest when one is due."""
    while True:
        try:
            reconcile(rt)
            schedule_retention(rt)
            schedule_archiving(rt)
            schedule_nightly(rt)
            schedule_digest(rt)
            schedule_audit(rt)
            count_pass(rt)
        except (RedisError, SQLAlchemyError, StoreUnavailable) as exc:
            log.warning("reconciler pass failed (%s); retrying", type(exc).__name__)
        time.sleep(rt.settings.reconcile_seconds)
