"""The reconciler's schedules: the nightly full build once a day, the housekeeping jobs
(retention purge, archiving of past events) at most once an hour, and the moderators'
digest of waiting work at most every `[operator] digest_minutes` (intake/moderation/digest.py),
and the audit analysis: the monthly report and the anomaly alerts (intake/oversight/analysis.py).

The nightly full build rebuilds the whole site once a day, at `[publishing]
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

from sqlalchemy import func, select

from intake import redis_keys
from intake.formatting import dates
from intake.jobs import ARCHIVE_PAST, NIGHTLY_BUILD, PUBLISH_POST, PURGE_EXPIRED
from intake.models import Build, Task, TaskState
from intake.moderation.digest import due_digest
from intake.outbox import enqueue_tasks
from intake.oversight.analysis import due_anomaly_alerts, due_monthly_report
from intake.runtime import Runtime
from intake.site.models import BuildStatus
from intake.site.status import build_mode

from .build.switch import pending_rev

log = logging.getLogger(__name__)

SITE_ZONE = dates.JAPAN  # pelicanconf TIMEZONE: the site's dates are Japan's
LOCK_WAIT_SECONDS = 1800  # a running build (a full one takes a minute or two) finishes first
INTERVAL_SECONDS = 3600  # the housekeeping jobs' period
AUDIT_CHECK_SECONDS = 300  # the audit log is looked at for anomalies at most this often


def _built_in_full_since(rt: Runtime, since: dt.datetime) -> bool:
    """Tell whether a full build went live after since (a UTC time)."""
    started = since.astimezone(dt.UTC).replace(tzinfo=None)  # the database keeps naive UTC
    with rt.sessions() as session:
        notes = session.scalars(
            select(func.substr(Build.log, 1, 40)).where(
                Build.status == BuildStatus.OK, Build.finished_at >= started
            )
        )
        return any(build_mode(note or "") == "full" for note in notes)


def _publications_owed(rt: Runtime) -> bool:
    """Tell whether a post's publication or a requested build has not run yet."""
    if pending_rev(rt) is not None:
        return True
    with rt.sessions() as session:
        owed = session.scalar(
            select(Task.id)
            .where(Task.name == PUBLISH_POST, Task.state == TaskState.PENDING)
            .limit(1)
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


def schedule_retention(rt: Runtime) -> bool:
    """Enqueue the purge unless one was enqueued within the hour; return True when it was."""
    return enqueue_hourly(
        rt,
        redis_keys.retention_schedule(rt.settings.redis_prefix),
        PURGE_EXPIRED,
        redis_keys.retention_job(rt.settings.redis_prefix),  # the reconciler leaves it alone
        "purge applicants' personal data past retention",
    )


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


def schedule_digest(rt: Runtime, now: dt.datetime | None = None) -> int:
    """Record and enqueue the moderators' digest mails when one is due; return how many.

    now is naive UTC, as the database keeps it. The tasks are committed first, so a Redis
    outage here leaves them to the reconciler.
    """
    tasks = due_digest(rt, now)
    if tasks:
        enqueue_tasks(rt.queue, tasks)
        log.info("digest of waiting work owed to %d moderator(s)", len(tasks))
    return len(tasks)


def schedule_audit(rt: Runtime, now: dt.datetime | None = None, every: bool = False) -> int:
    """Record and enqueue the audit analysis's mails: last month's report on the first pass
    of a month, and the new anomalies (looked for at most every AUDIT_CHECK_SECONDS unless
    every); return how many mails.

    now is naive UTC, as the database keeps it. The tasks are committed first.
    """
    tasks = due_monthly_report(rt, now)
    key = redis_keys.audit_check_schedule(rt.settings.redis_prefix)
    if every or rt.redis.set(key, 1, nx=True, ex=AUDIT_CHECK_SECONDS):
        tasks += due_anomaly_alerts(rt, now)
    if tasks:
        enqueue_tasks(rt.queue, tasks)
        log.info("audit analysis: %d mail(s) owed", len(tasks))
    return len(tasks)
