"""The top of the site build: build a revision (incrementally, or in full into a fresh
folder), then switch `current` atomically, under the build lock.

Builds never run two at a time (a Redis lock kept alive by a heartbeat, so a killed build
frees it soon), and revisions requested during a build are folded into the next one.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from redis import Redis
from redis.exceptions import LockError, RedisError
from sqlalchemy import select

from intake import redis_keys
from intake.config import Settings
from intake.models import Build, utcnow
from intake.outbox import enqueue_rebuild
from intake.runtime import Runtime
from intake.site.models import FAILURES, BuildStatus
from intake.store import transaction
from worker.publication import bucket

from ..content.sync import sync_before_build
from . import incremental, reindex, search, setaside, tree
from .full import BuildFailed, full_build_setting_aside, new_build_dir, prepare_spare
from .revisions import site_state
from .search import Snapshot

log = logging.getLogger(__name__)


def switch_live(settings: Settings, build_dir: Path) -> None:
    """Point the live link (site/current) at build_dir with one rename of a symlink."""
    link = settings.live_dir  # site/current, or the folder of HIROBA_PUBLISH_URL=file://…
    # Made beside the link, so the rename stays on one file system (atomic).
    tmp = link.with_name(f".{link.name}-{uuid.uuid4().hex}")
    os.symlink(os.path.relpath(build_dir, link.parent), tmp)
    os.replace(tmp, link)


def _try_incremental(
    settings: Settings, rev: int, fresh: Snapshot | None = None
) -> tuple[incremental.Outcome | None, str]:
    """Publish incrementally when that can equal a full build; else (None, the reason).

    fresh is a search.Snapshot: a new Pagefind index to publish with (the re-index job).
    """
    try:
        outcome = reindex.install(settings, rev, fresh) if fresh is not None else None
        if outcome is None:
            outcome = incremental.publish(settings, rev, fresh)
    except Exception as exc:  # whatever went wrong, a full build is the safe answer
        log.warning("incremental publication failed (%s); building in full", type(exc).__name__)
        return None, f"incremental publication failed: {type(exc).__name__}: {exc}"[:4000]
    if outcome is None:
        return None, "full build: no reusable state for the live site, or the configuration changed"
    if fresh is not None:
        return outcome, f"search re-index (Pagefind {fresh.seconds:.1f} s); " + (outcome.describe())
    return outcome, outcome.describe()


def _save_state(outcome: incremental.Outcome) -> None:
    """Save a live incremental build's state; without it the next publication is full."""
    gc.disable()  # hundreds of thousands of live objects: see incremental.publish
    try:
        outcome.save_state()
    except Exception as exc:  # the site is live either way; the next build is then full
        log.warning("could not save the state of %s (%s)", outcome.build_dir.name, exc)
    finally:
        gc.enable()


def _sync_content(rt: Runtime, rev: int, build_id: int) -> str:
    """Bring this host's content/ in line with the database (another host may have
    published); return the line for the build log. When it cannot, the build is recorded
    as failed (the previous site stays) and the error is raised: never a wrong site."""
    try:
        return sync_before_build(rt, rev).describe()
    except Exception as exc:  # whatever it was, building from this content/ could be wrong
        log.error("content sync before the build of revision %s failed", rev)
        with transaction(rt.sessions) as session:
            failed = session.get(Build, build_id)
            if failed is not None:
                failed.status, failed.finished_at = BuildStatus.FAILED, utcnow()
                failed.log = f"content sync failed: {type(exc).__name__}: {exc}"[:4000]
        raise


def build_and_switch(
    rt: Runtime,
    rev: int,
    full: bool = False,
    fresh: Snapshot | None = None,
    note: str = "full build requested",
    cold: bool = False,
) -> Build:
    """Build revision rev (incrementally unless full or impossible), switch the live site on
    success, and record the build either way. fresh: see _try_incremental; note: why a
    full build was asked for, for the build log; cold: a full build that reuses nothing of
    the live build (full.build_site)."""
    settings = rt.settings
    with transaction(rt.sessions) as session:
        # We hold the build lock, so any other running build was killed: say so.
        for stale in session.scalars(select(Build).where(Build.status == BuildStatus.RUNNING)):
            stale.status = BuildStatus.INTERRUPTED
            stale.finished_at = utcnow()
        record = Build(rev=rev, status=BuildStatus.RUNNING, started_at=utcnow())
        session.add(record)
        session.flush()
        build_id = record.id
    started = time.perf_counter()
    synced = _sync_content(rt, rev, build_id)
    done, note = (None, note) if full else _try_incremental(settings, rev, fresh)
    # What an incremental build changed (a new Pagefind index included): all the bucket
    # needs when it holds the folder the build started from.
    changes = done.changes if done else None
    if done is not None:
        out = done.build_dir
        switch_live(settings, out)
        if not settings.publish_location.is_s3:
            _save_state(done)  # after the switch: no reader waits for it
        status, text = BuildStatus.OK, note
        try:  # the search delta is folded into a full index soon after
            search.after_publication(rt, out)
        except RedisError as exc:
            log.warning("search re-index not queued (%s); the reconciler will", exc)
    else:
        out = new_build_dir(settings, rev)
        try:
            result = full_build_setting_aside(rt, out, cold)
        except BuildFailed as exc:
            tree.remove_build(out)
            status, text = BuildStatus.FAILED, f"{note}\n{exc}"
            log.error("site build of revision %s failed; the previous site stays live", rev)
        else:
            switch_live(settings, out)
            status, text = BuildStatus.OK, f"{note}\n{result.log}".strip()
            prepare_spare(settings, out)
    if status == BuildStatus.OK and settings.publish_location.is_s3:
        # The local folder stays this host's cache, which the next incremental build starts
        # from; the build counts once the bucket holds it.
        outcome, line = bucket.publish_build(rt, rev, out, changes)
        text = f"{text}\n{line}"
        status = outcome
    if done is not None and settings.publish_location.is_s3:
        _save_state(done)  # after the bucket holds it: no reader waits for it
    text = "\n".join(part for part in (text, synced, setaside.review(rt)) if part)
    with transaction(rt.sessions) as session:
        finished = session.get(Build, build_id)
        assert finished is not None
        record = finished
        record.status = status
        record.finished_at = utcnow()
        record.duration_s = round(time.perf_counter() - started, 3)
        record.output_dir = str(out) if status == BuildStatus.OK else ""
        record.log = text[-20000:]
        if status == BuildStatus.OK:
            state = site_state(session, for_update=True)
            state.built_rev = max(state.built_rev, rev)
    if status == BuildStatus.OK:
        tree.prune_builds(settings)
    return record


class _Heartbeat(threading.Thread):
    """Keeps the build lock alive while a build runs."""

    def __init__(self, lock, interval: float) -> None:  # type: ignore[no-untyped-def]
        super().__init__(daemon=True)
        self.lock, self.interval, self.stopped = lock, interval, threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                self.lock.reacquire()
            except (LockError, RedisError):
                log.warning("could not extend the build lock")


def pending_rev(rt: Runtime) -> int | None:
    """Return the revision to build, or None when the live site is current or it failed.

    A revision whose publication to the bucket failed (UNPUBLISHED) is built and published
    again once a build lock's time has passed since, so a bucket that is down is retried
    (by the reconciler's next pass) without a loop.
    """
    with rt.sessions() as session:
        state = site_state(session)
        session.commit()
        if state.requested_rev <= state.built_rev:
            return None
        ended = session.execute(
            select(Build.status, Build.finished_at)
            .where(Build.rev == state.requested_rev, Build.status.in_(FAILURES))
            .order_by(Build.id.desc())
        ).all()
    if any(status == BuildStatus.FAILED for status, _ in ended):
        return None
    if ended:
        finished = ended[0].finished_at
        retry_at = (
            finished + timedelta(seconds=rt.settings.build_lock_seconds) if finished else None
        )
        if retry_at is not None and utcnow() < retry_at:
            return None
    return state.requested_rev


def build_lock(redis: Redis, settings: Settings):  # type: ignore[no-untyped-def]
    """Return the lock that keeps builds one at a time."""
    # thread_local=False: the heartbeat thread extends a lock the job's thread acquired.
    return redis.lock(
        redis_keys.build_lock(settings.redis_prefix),
        timeout=settings.build_lock_seconds,
        blocking=False,
        thread_local=False,
    )


@contextlib.contextmanager
def kept_alive(rt: Runtime, lock: Any) -> Iterator[None]:
    """Keep an acquired build lock alive (a heartbeat) for the block, then release it."""
    heartbeat = _Heartbeat(lock, rt.settings.build_lock_seconds / 3)
    heartbeat.start()
    try:
        yield
    finally:
        heartbeat.stopped.set()
        heartbeat.join()
        try:
            lock.release()
        except LockError:
            log.warning("the build lock had expired before release")


@contextlib.contextmanager
def holding_build_lock(rt: Runtime, wait_seconds: float) -> Iterator[bool]:
    """Hold the build lock for the block, waiting up to wait_seconds for a running build;
    yields False, holding nothing, if it never came.

    After the block, a revision left unbuilt (a rebuild job that found the lock taken
    gave up) is queued again.
    """
    lock = build_lock(rt.redis, rt.settings)
    deadline = time.monotonic() + wait_seconds
    while not lock.acquire():
        if time.monotonic() > deadline:
            yield False
            return
        time.sleep(0.2)
    with kept_alive(rt, lock):
        yield True
    if pending_rev(rt) is not None:
        enqueue_rebuild(rt.queue, force=True)
