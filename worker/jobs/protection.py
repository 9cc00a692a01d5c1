"""The retention job: purge applicants' personal data of events long over, at most hourly.

It also sweeps upload folders no row names any more (a crash between an erasure's commit
and its folder removal leaves one; see intake/services/upload_erasure.py).
"""

from __future__ import annotations

import logging

from intake import redis_keys
from intake.outbox import PURGE_EXPIRED
from intake.protection.retention import purge
from intake.runtime import Runtime
from intake.uploads.erasure import sweep_orphans

from .context import runtime
from .hourly import enqueue_hourly

log = logging.getLogger(__name__)


def purge_expired() -> str:
    """Purge every event past its retention period (idempotent: purged rows are skipped)."""
    rt = runtime()
    done = purge(rt)
    with rt.sessions() as session:
        strays = sweep_orphans(rt.settings, session)
    if strays:
        log.info("retention: %d upload folder(s) without a row deleted", strays)
    if done:
        log.info(
            "retention purge: %d event(s), %d application(s)",
            len(done),
            sum(event.applications for event in done),
        )
    return f"purged {len(done)} event(s)"


def schedule_retention(rt: Runtime) -> bool:
    """Enqueue the purge unless one was enqueued within the hour; return True when it was."""
    return enqueue_hourly(
        rt,
        redis_keys.retention_schedule(rt.settings.redis_prefix),
        PURGE_EXPIRED,
        redis_keys.retention_job(rt.settings.redis_prefix),  # the reconciler leaves it alone
        "purge applicants' personal data past retention",
    )
