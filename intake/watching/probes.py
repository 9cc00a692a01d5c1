"""What the watching reads: the workers' heartbeats, the owed tasks, failed jobs and builds.

Counts, ages and times only: nothing here reads personal data. /healthz, /metrics and
`hiroba watch` share these readings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from rq import Worker
from rq.job import Job, JobStatus
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import redis_keys
from ..models import Build, SiteState, Task, TaskState
from ..outbox import make_queue
from ..runtime import Runtime
from ..site.models import FAILURES, FINISHED


def _naive_utc(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is not None:
        return moment.astimezone(UTC).replace(tzinfo=None)
    return moment


@dataclass(frozen=True)
class Workers:
    """The rq workers registered on our main queue and the freshest heartbeat among them."""

    count: int
    last_heartbeat: datetime | None  # naive UTC, like the database's times

    def silent_seconds(self, now: datetime) -> float | None:
        """Seconds since the freshest heartbeat, None when no worker is registered."""
        if self.last_heartbeat is None:
            return None
        return max(0.0, (now - self.last_heartbeat).total_seconds())

    def silent(self, now: datetime, limit: int) -> bool:
        """No worker, or none heartbeating within limit seconds."""
        seconds = self.silent_seconds(now)
        return seconds is None or seconds >= limit


def workers(rt: Runtime) -> Workers:
    """Read the rq worker registry of our queue (prefixed by HIROBA_REDIS_PREFIX)."""
    registered = Worker.all(connection=rt.redis, queue=rt.queue)
    beats = [beat for w in registered if (beat := _naive_utc(w.last_heartbeat)) is not None]
    return Workers(len(registered), max(beats) if beats else None)


@dataclass(frozen=True)
class OwedTasks:
    """Tasks owed to the worker (pending) and given up (failed), with the oldest owed one."""

    pending: int
    failed: int
    oldest: datetime | None

    def oldest_age(self, now: datetime) -> float:
        """Seconds the oldest owed task has waited (0 when none)."""
        return 0.0 if self.oldest is None else max(0.0, (now - self.oldest).total_seconds())


def owed_tasks(session: Session) -> OwedTasks:
    """Count pending and failed tasks and find when the oldest pending one was written."""
    counts = dict(
        session.execute(
            select(Task.state, func.count())
            .where(Task.state.in_((TaskState.PENDING, TaskState.FAILED)))
            .group_by(Task.state)
        ).all()
    )
    oldest = session.scalar(
        select(func.min(Task.created_at)).where(Task.state == TaskState.PENDING)
    )
    return OwedTasks(
        int(counts.get(TaskState.PENDING, 0)), int(counts.get(TaskState.FAILED, 0)), oldest
    )


@dataclass(frozen=True)
class Queues:
    """Jobs waiting on each of our rq queues and jobs that failed and were not retried since."""

    waiting: dict[str, int]
    failed: dict[str, int]
    # Of those, the jobs no task row owns (rebuilds, the search index, the hourly jobs): a
    # task's job is retried by the reconciler and counts as failed only once it gives up.
    failed_untracked: int = 0


def queue_names(rt: Runtime) -> dict[str, str]:
    """Return our rq queues by role: the main queue and the search re-index queue."""
    prefix = rt.settings.redis_prefix
    return {"main": redis_keys.queue(prefix), "search": redis_keys.search_queue(prefix)}


def queues(rt: Runtime) -> Queues:
    """Read queue lengths and still-failed jobs (a job retried since is not counted)."""
    waiting, failed, untracked = {}, {}, 0
    task_jobs = redis_keys.task_job_prefix(rt.settings.redis_prefix)
    for role, name in queue_names(rt).items():
        queue = make_queue(rt.redis, name)
        waiting[role] = queue.count
        ids = queue.failed_job_registry.get_job_ids()
        jobs = Job.fetch_many(ids, connection=rt.redis, serializer=queue.serializer) if ids else []
        still_failed = [
            job for job in jobs if job is not None and job.get_status() == JobStatus.FAILED
        ]
        failed[role] = len(still_failed)
        untracked += sum(1 for job in still_failed if not job.id.startswith(task_jobs))
    return Queues(waiting, failed, untracked)


@dataclass(frozen=True)
class Builds:
    """The last finished build, and how far the live site is behind the requested revision."""

    status: str  # "ok", "failed" or "" before the first build
    finished_at: datetime | None
    duration_s: float | None
    revisions_behind: int
    failed_rev: int | None  # the revision of the last build when it failed


def builds(session: Session) -> Builds:
    """Read the last finished build and the site's revisions."""
    last = session.scalars(
        select(Build).where(Build.status.in_(FINISHED)).order_by(Build.id.desc()).limit(1)
    ).first()
    state = session.get(SiteState, 1)
    behind = max(0, state.requested_rev - state.built_rev) if state else 0
    if last is None:
        return Builds("", None, None, behind, None)
    return Builds(
        last.status,
        last.finished_at,
        last.duration_s,
        behind,
        last.rev if last.status in FAILURES else None,
    )
