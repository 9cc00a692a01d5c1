"""The archiving job: past events leave the site a set time after they end, at most hourly.

Scheduled from the reconciler like the retention purge. The period is `[content]
archive_after_days` of hiroba.toml (180 days by default); see intake/services/stale_content.
"""

from __future__ import annotations

import logging

from intake.outbox import ARCHIVE_PAST
from intake.runtime import Runtime
from intake.services.stale_content import archive_past as archive_due

from .context import runtime

log = logging.getLogger(__name__)

SCHEDULE_KEY = "hiroba:archive-scheduled"
ARCHIVE_JOB = "hiroba-archive"  # the job's id: the reconciler must not take it for a rebuild
INTERVAL_SECONDS = 3600


def archive_past() -> str:
    """Archive every live event over for longer than the period (idempotent)."""
    done = archive_due(runtime())
    if done:
        log.info("archived %d past post(s)", len(done))
    return f"archived {len(done)} post(s)"


def schedule_archiving(rt: Runtime) -> bool:
    """Enqueue the archiving job unless it was enqueued within the hour; True when it was."""
    if not rt.redis.set(SCHEDULE_KEY, 1, nx=True, ex=INTERVAL_SECONDS):
        return False
    rt.queue.enqueue(
        ARCHIVE_PAST,
        job_id=ARCHIVE_JOB,
        job_timeout=1800,
        result_ttl=3600,
        failure_ttl=86400,
        description="archive past events",
    )
    return True
