"""The nightly full build: the whole site rebuilt once a day, at `[publishing]
nightly_build` (Japan time, 00:10 by default).

Approvals are published incrementally; the nightly build is the check that a build from
nothing gives the same site, and it turns the day over: what is upcoming and what is
past is worked out from the date, so right after midnight every list is brought up to
date even if nothing is approved. The reconciler enqueues it once per date, on the first
pass at or after that time (a worker that was down then catches up when it starts), and
not at all when a full build already went live since that time.
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from intake import redis_keys
from intake.models import Build, Task
from intake.outbox import PUBLISH_POST
from intake.runtime import Runtime
from intake.site.status import build_mode
from intake.store import transaction

from .build import build_and_switch, holding_build_lock, pending_rev
from .context import runtime
from .sitestate import request_rebuild

log = logging.getLogger(__name__)

SITE_ZONE = ZoneInfo("Asia/Tokyo")  # pelicanconf TIMEZONE: the site's dates are Japan's
NIGHTLY_BUILD = "worker.nightly.nightly_build"
LOCK_WAIT_SECONDS = 1800  # a running build (a full one takes a minute or two) finishes first


def _built_in_full_since(rt: Runtime, since: dt.datetime) -> bool:
    """Tell whether a full build went live after since (a UTC time)."""
    started = since.astimezone(dt.UTC).replace(tzinfo=None)  # the database keeps naive UTC
    with rt.sessions() as session:
        notes = session.scalars(
            select(func.substr(Build.log, 1, 40)).where(
                Build.status == "ok", Build.finished_at >= started
            )
        )
        return any(build_mode(note or "") == "full" for note in notes)


def _publications_owed(rt: Runtime) -> bool:
    """Tell whether a post's publication or a requested build has not run yet."""
    if pending_rev(rt) is not None:
        return True
    with rt.sessions() as session:
        owed = session.scalar(
            select(Task.id).where(Task.name == PUBLISH_POST, Task.state == "pending").limit(1)
        )
    return owed is not None


def schedule_nightly(rt: Runtime, now: dt.datetime | None = None) -> bool:
    """Enqueue the day's full build once its time has come, unless a full build went live
    since then (a new install, `hiroba build`) or it was enqueued already; True when it
    was enqueued now."""
    at = rt.settings.deployment.nightly_build
    if at is None:
        return False
    local = (now or dt.datetime.now(dt.UTC)).astimezone(SITE_ZONE)
    if local.time() < at:
        return False
    if _publications_owed(rt):
        return False  # they go first (and a new site's first build is a full one)
    if _built_in_full_since(rt, dt.datetime.combine(local.date(), at, SITE_ZONE)):
        return False
    key = redis_keys.nightly_schedule(rt.settings.redis_prefix, local.date().isoformat())
    if not rt.redis.set(key, 1, nx=True, ex=3 * 86400):
        return False
    rt.queue.enqueue(
        NIGHTLY_BUILD,
        job_id=redis_keys.nightly_job(rt.settings.redis_prefix),  # not taken for a rebuild
        job_timeout=LOCK_WAIT_SECONDS + 3600,
        result_ttl=86400,
        failure_ttl=7 * 86400,
        description="nightly full build",
    )
    return True


def nightly_build() -> str:
    """rq job: build the whole site from its content and switch it live."""
    rt = runtime()
    with holding_build_lock(rt, LOCK_WAIT_SECONDS) as held:
        if not held:
            log.warning("nightly full build skipped: the build lock stayed taken")
            return "busy"
        with transaction(rt.sessions) as session:
            rev = request_rebuild(session)
        record = build_and_switch(rt, rev, full=True, note="nightly full build")
    return record.status
