"""Housekeeping jobs the reconciler enqueues at most once an hour (retention, archiving)."""

from __future__ import annotations

from intake.runtime import Runtime

INTERVAL_SECONDS = 3600


def enqueue_hourly(rt: Runtime, schedule_key: str, func: str, job_id: str, what: str) -> bool:
    """Enqueue func unless schedule_key says it was enqueued within the hour; True when it was.

    The fixed job id keeps the reconciler from taking the job for a rebuild.
    """
    if not rt.redis.set(schedule_key, 1, nx=True, ex=INTERVAL_SECONDS):
        return False
    rt.queue.enqueue(
        func,
        job_id=job_id,
        job_timeout=1800,
        result_ttl=3600,
        failure_ttl=86400,
        description=what,
    )
    return True
