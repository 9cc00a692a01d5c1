"""Every Redis key, rq queue name and rq job id of Hiroba, built from HIROBA_REDIS_PREFIX.

Two instances (staging and production) may share one Redis when their prefixes differ.
rq keeps its own keys under `rq:` (`rq:queue:<name>`, `rq:job:<id>`, its registries and
workers); rq has no global prefix, so the queue names and job ids carry ours instead.
"""

from __future__ import annotations


def queue(prefix: str) -> str:
    """Return the name of the rq queue the intake and worker share."""
    return prefix


def queue_prefix(queue_name: str) -> str:
    """Return the prefix a queue was named by (the inverse of queue)."""
    return queue_name


def search_queue(prefix: str) -> str:
    """Return the name of the search re-index's own rq queue."""
    return f"{prefix}-search"


def task_job(prefix: str, task_id: int) -> str:
    """Return the rq job id of a task, the same on every enqueue so duplicates are visible."""
    return f"{task_job_prefix(prefix)}{task_id}"


def task_job_prefix(prefix: str) -> str:
    """Return what every task's job id starts with."""
    return f"{prefix}-task-"


def nightly_job(prefix: str) -> str:
    """Return the job id of the nightly full build."""
    return f"{prefix}-nightly-build"


def retention_job(prefix: str) -> str:
    """Return the job id of the hourly retention purge."""
    return f"{prefix}-retention"


def archive_job(prefix: str) -> str:
    """Return the job id of the hourly archiving of past events."""
    return f"{prefix}-archive"


def rebuild_flag(prefix: str) -> str:
    """Return the flag saying a site rebuild is queued."""
    return f"{prefix}:rebuild-queued"


def scanner_failure(prefix: str) -> str:
    """Return the note of the virus scanner's last failure to answer (for the status panel)."""
    return f"{prefix}:scanner-failed"


def search_flag(prefix: str) -> str:
    """Return the flag saying a search re-index is queued."""
    return f"{prefix}:search-reindex-queued"


def build_lock(prefix: str) -> str:
    """Return the name of the build lock."""
    return f"{prefix}:build-lock"


def nightly_schedule(prefix: str, day: str) -> str:
    """Return the key marking the nightly build of day (YYYY-MM-DD) as enqueued."""
    return f"{prefix}:nightly-build:{day}"


def audit_check_schedule(prefix: str) -> str:
    """Return the key marking the audit log as looked at for anomalies a moment ago."""
    return f"{prefix}:audit-check-scheduled"


def retention_schedule(prefix: str) -> str:
    """Return the key marking the retention purge as enqueued within the hour."""
    return f"{prefix}:retention-scheduled"


def archive_schedule(prefix: str) -> str:
    """Return the key marking the archiving as enqueued within the hour."""
    return f"{prefix}:archive-scheduled"


def session(prefix: str, session_id: str) -> str:
    """Return the key of one server-side session."""
    return f"{prefix}:session:{session_id}"


def account_sessions(prefix: str, account_id: object) -> str:
    """Return the key of the set of an account's session ids."""
    return f"{prefix}:account-sessions:{account_id}"


def signin(prefix: str, kind: str, index: str) -> str:
    """Return a sign-in counter or lock (kind: failures, locked, address) by a keyed hash."""
    return f"{prefix}:signin:{kind}:{index}"


def password_reset(prefix: str, kind: str, value: object) -> str:
    """Return a password-reset mail counter (kind: account, address)."""
    return f"{prefix}:password-reset:{kind}:{value}"


def registration_refusals(prefix: str, client_index: str) -> str:
    """Return the counter of registration refusals of one client address (a keyed hash)."""
    return f"{prefix}:registration-refusals:{client_index}"


def upload_pixels(prefix: str, account_id: int) -> str:
    """Return the counter of an account's decoded image pixels in this hour."""
    return f"{prefix}:upload-pixels:{account_id}"


def export(prefix: str, token: str) -> str:
    """Return the key holding one organizer export until it is downloaded."""
    return f"{prefix}:export:{token}"


def rate_limits(prefix: str) -> str:
    """Return Flask-Limiter's key prefix of the rate-limit counters."""
    return f"{prefix}:ratelimit"


def rate_limit_storage(prefix: str) -> str:
    """Return the limits library's own key prefix (its default, `LIMITS`, is shared)."""
    return f"{prefix}:limits"


def incident(prefix: str, kind: str) -> str:
    """Return the hash of one open incident of `hiroba watch` (kind: build, worker, ...)."""
    return f"{prefix}:incident:{kind}"


def watch_lock(prefix: str) -> str:
    """Return the lock that keeps two `hiroba watch` runs (two hosts) from both alerting."""
    return f"{prefix}:watch:lock"


def audit_verified(prefix: str) -> str:
    """Return the key marking the audit chain as verified within the hour."""
    return f"{prefix}:watch:audit-verified"


def mail_receipt(prefix: str, task_id: object, nth: object) -> str:
    """Return the receipt of a task's nth mail, set the moment the SMTP server took it."""
    return f"{prefix}:mail-sent:{task_id}:{nth}"


def applying(prefix: str, post_id: object) -> str:
    """Return the waiting room of an event: applications waiting for its lock, in arrival order."""
    return f"{prefix}:applying:{post_id}"


def applied(prefix: str, token: str) -> str:
    """Return where the holder of an event's lock answers one waiting application."""
    return f"{prefix}:applied:{token}"


def reconciler_passes(prefix: str, process: str) -> str:
    """Return the key counting one reconciler process's finished passes (process: host:pid)."""
    return f"{prefix}:reconciler-passes:{process}"
