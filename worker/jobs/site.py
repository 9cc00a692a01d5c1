"""Jobs of the public site: publish the group profiles, rebuild, the nightly full build, the
search re-index, and the archiving of past events (each calls the build layer or a service)."""

from __future__ import annotations

import functools
import logging
import shutil
from collections.abc import Callable

from sqlalchemy.orm import Session

from intake import redis_keys
from intake.outbox import enqueue_rebuild
from intake.runtime import Runtime
from intake.site.models import BuildStatus
from intake.site.stale import archive_past as archive_due
from intake.store import transaction

from ..build.revisions import request_rebuild, site_state
from ..build.search import Snapshot, discard, request_reindex, swap_spare_index, take_snapshot
from ..build.switch import (
    build_and_switch,
    build_lock,
    holding_build_lock,
    kept_alive,
    pending_rev,
)
from ..content.manifest import file_digest, note_own_revision, updating
from ..content.profiles import profiles_path, write_profiles
from ..context import runtime
from ..schedule import LOCK_WAIT_SECONDS as NIGHTLY_LOCK_WAIT_SECONDS
from ..stopping import Stop, StopRequested, on_request
from ..tasks import tracked

log = logging.getLogger(__name__)

REINDEX_LOCK_WAIT_SECONDS = 600


@tracked
def publish_profiles(rt: Runtime, session: Session, account_id: int) -> Callable[[], None] | None:
    """Bring content/groups.json in line with the database; ask for a rebuild if it moved
    (or if this host's content sync wrote it first: other hosts may not have it yet)."""
    settings = rt.settings
    with updating(settings) as manifest:  # as the content sync on this host writes it
        changed = write_profiles(settings.content_dir, session)
        ahead = manifest.groups_ahead == file_digest(profiles_path(settings.content_dir))
    if not changed and not ahead:
        return None
    rev = request_rebuild(session)
    return functools.partial(_ask_rebuild, rt, rev)


def _ask_rebuild(rt: Runtime, rev: int) -> None:
    note_own_revision(rt.settings, rev, groups=True)
    enqueue_rebuild(rt.queue)


def rebuild_site() -> str:
    """rq job: build the newest requested revision, looping while requests arrive."""
    rt = runtime()
    rt.redis.delete(redis_keys.rebuild_flag(rt.settings.redis_prefix))
    outcome = "current"
    while pending_rev(rt) is not None:
        lock = build_lock(rt.redis, rt.settings)
        if not lock.acquire():
            # Another build is running; it re-reads the revision after it releases the lock.
            return "busy"
        with kept_alive(rt, lock):
            while (rev := pending_rev(rt)) is not None:
                outcome = build_and_switch(rt, rev).status
    return outcome


def nightly_build() -> str:
    """rq job: build the whole site from its content and switch it live."""
    rt = runtime()
    with holding_build_lock(rt, NIGHTLY_LOCK_WAIT_SECONDS) as held:
        if not held:
            log.warning("nightly full build skipped: the build lock stayed taken")
            return "busy"
        with transaction(rt.sessions) as session:
            rev = request_rebuild(session)
        record = build_and_switch(rt, rev, full=True, note="nightly full build")
    return record.status


def _install(rt: Runtime, snapshot: Snapshot, stop: Stop) -> str:
    """Under the build lock: switch to the prepared snapshot (search.py, reindex.py), then
    build any pending revision. A stop request while it waits for the lock raises
    StopRequested; once it holds the lock, the request waits for the switch."""
    old_index = None
    with holding_build_lock(rt, REINDEX_LOCK_WAIT_SECONDS) as held:
        stop.defer()
        if not held:
            return "busy"
        with rt.sessions() as session:
            rev = site_state(session).built_rev
            session.commit()
        status = build_and_switch(rt, rev, fresh=snapshot).status
        if status == BuildStatus.OK:
            old_index = swap_spare_index(rt.settings, snapshot)
        while (pending := pending_rev(rt)) is not None:
            build_and_switch(rt, pending)
    if old_index is not None:  # outside the lock: 10,000 fragments take a while to delete
        shutil.rmtree(old_index, ignore_errors=True)
    return status


def reindex_search(delay: float = 0) -> str:
    """rq job: after delay seconds, switch the live site to a fresh full search index.

    Asked to stop (the worker's warm shutdown) while it waits or Pagefind runs, it kills
    Pagefind, queues the re-index again and returns: see worker/stopping.py.
    """
    rt = runtime()
    flagged = True  # the flag that says this job is queued: cleared once it waited
    with on_request() as stop:
        try:
            stop.sleep(max(0.0, min(float(delay), 600.0)))
            # from here on a publication asks for another run
            rt.redis.delete(redis_keys.search_flag(rt.settings.redis_prefix))
            flagged = False
            snapshot = take_snapshot(rt.settings)
        except StopRequested:
            # While flagged, no publication queued another job: this one must go back. After,
            # one may have (the flag is set again): request_reindex then adds none.
            request_reindex(rt, urgent=True, force=flagged)
            log.warning("search re-index stopped with the worker; queued again")
            return "stopped"
        if snapshot is None:
            return "current"
        try:
            return _install(rt, snapshot, stop)
        except StopRequested:
            request_reindex(rt, urgent=True)  # unless a publication queued one since
            log.warning("search re-index stopped with the worker; queued again")
            return "stopped"
        finally:
            discard(snapshot)


def archive_past() -> str:
    """Archive every live event over for longer than the period (idempotent)."""
    done = archive_due(runtime())
    if done:
        log.info("archived %d past post(s)", len(done))
    return f"archived {len(done)} post(s)"
