"""The archiving job: past events leave the site a set time after they end, at most hourly.

Scheduled from the reconciler like the retention purge. The period is `[content]
archive_after_days` of hiroba.toml (180 days by default); see intake/services/stale_content.
"""

from __future__ import annotations

import logging

from intake import redis_keys
from intake.outbox import ARCHIVE_PAST
from intake.runtime import Runtime
from intake.site.stale import archive_past as archive_due

from .context import runtime
from .hourly import enqueue_hourly

log = logging.getLogger(__name__)


def archive_past() -> str:
    """Archive every live event over for longer than the period (idempotent)."""
    done = archive_due(runtime())
    if done:
        log.info("archived %d past post(s)", len(done))
    return f"archived {len(done)} post(s)"


def schedule_archiving(rt: Runtime) -> bool:
    """Enqueue the archiving job unless it was enqueued within the hour; True when it was."""
    prefix = rt.settings.redis_prefix
    return enqueue_hourly(
        rt,
        redis_keys.archive_schedule(prefix),
        ARCHIVE_PAST,
        redis_keys.archive_job(prefix),  # the reconciler must not take it for a rebuild
        "archive past events",
    )
