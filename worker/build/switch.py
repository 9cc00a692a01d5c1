"""Rebuild job: build the whole site into a fresh folder, then switch `current` atomically.

Builds never run two at a time (a Redis lock kept alive by a heartbeat, so a killed build
frees it soon), and revisions requested during a build are folded into the next one.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
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
from intake.store import transaction
from intake.taxonomy import AREAS, AREAS_EN, AUDIENCES_EN, TOPICS, TOPICS_EN

from . import incremental, output_check, searchindex, setaside, sitetree
from .context import runtime
from .sitestate import site_state

log = logging.getLogger(__name__)


class BuildFailed(Exception):
    """Pelican reported an error or raised; the message holds the log."""


@dataclass
class BuildResult:
    output_dir: Path
    seconds: float
    log: str


class _Collector(logging.Handler):
    """Collects a build's warnings and errors for the moderators' status page."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []
        self.errors = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname}: {record.getMessage()}")
        if record.levelno >= logging.ERROR:
            self.errors += 1


def sync_pages(settings: Settings) -> None:
    """Copy the hand-written pages into the content folder, removing ones deleted upstream."""
    target = settings.content_dir / "pages"
    target.mkdir(parents=True, exist_ok=True)
    (settings.content_dir / "posts").mkdir(parents=True, exist_ok=True)
    wanted = {p.name for p in settings.pages_dir.glob("*.md")}
    for stale in target.glob("*.md"):
        if stale.name not in wanted:
            stale.unlink()
    for page in settings.pages_dir.glob("*.md"):
        shutil.copyfile(page, target / page.name)


def pelican_settings(
    settings: Settings,
    output_dir: Path,
    incremental: bool = False,
    overrides: dict[str, object] | None = None,
) -> dict:
    """Return Pelican's settings for one build of this deployment."""
    from pelican.settings import read_settings

    override = {
        "PATH": str(settings.content_dir),
        "OUTPUT_PATH": str(output_dir),
        "THEME": str(settings.theme_dir),
        "SITEURL": settings.site_url,
        "SITENAME": settings.site_name,
        "HIROBA_TOPICS": TOPICS,
        "HIROBA_AREAS": AREAS,
        "HIROBA_AUDIENCES": settings.deployment.audiences,
        "HIROBA_TOPICS_EN": TOPICS_EN,
        "HIROBA_AREAS_EN": AREAS_EN,
        "HIROBA_AUDIENCES_EN": AUDIENCES_EN,
        "HIROBA_INTAKE_URL": "/app",
        "CACHE_PATH": str(settings.site_dir / "cache"),
        **(overrides or {}),
    }
    if incremental:
        # One post is read: loading the whole content cache would cost more than it saves.
        override.update(CACHE_CONTENT=False, LOAD_CONTENT_CACHE=False)
    values = read_settings(str(settings.pelicanconf), override=override)
    if incremental:
        # Each rq work-horse is a new process: keep compiled templates between them.
        from jinja2 import FileSystemBytecodeCache

        folder = settings.site_dir / "cache" / "jinja"
        folder.mkdir(parents=True, exist_ok=True)
        values["JINJA_ENVIRONMENT"] = {
            **values["JINJA_ENVIRONMENT"],
            "bytecode_cache": FileSystemBytecodeCache(str(folder)),
        }
        # And the theme's compiled English catalog (pelican/plugins/i18n/catalog.py).
        values["HIROBA_CATALOG_CACHE"] = str(settings.site_dir / "cache")
    return values


def build_site(settings: Settings, output_dir: Path, **extra: object) -> BuildResult:
    """Run a full Pelican build into output_dir; raise BuildFailed on any error."""
    from pelican import Pelican

    sync_pages(settings)
    collector = _Collector()
    pelican_logger = logging.getLogger("pelican")
    pelican_logger.addHandler(collector)
    started = time.perf_counter()
    try:
        values = pelican_settings(settings, output_dir, overrides=extra)
        output_check.check_inputs(settings, values)  # the build reads only what we wrote
        Pelican(values).run()
        output_check.check_tree(settings, output_dir)  # and writes only what a build writes
    except Exception as exc:  # any exception from Pelican or the theme is a failed build
        collector.lines.append(f"EXCEPTION: {type(exc).__name__}: {exc}")
        collector.errors += 1
    finally:
        pelican_logger.removeHandler(collector)
    text = "\n".join(collector.lines)
    if collector.errors:
        raise BuildFailed(text or "the build failed")
    return BuildResult(output_dir, time.perf_counter() - started, text)


def switch_live(settings: Settings, build_dir: Path) -> None:
    """Point site/current at build_dir with one rename of a symlink."""
    link = settings.live_dir
    tmp = settings.site_dir / f".current-{uuid.uuid4().hex}"
    os.symlink(os.path.relpath(build_dir, settings.site_dir), tmp)
    os.replace(tmp, link)


def prune_builds(settings: Settings) -> None:
    """Delete every build folder (and its state) but the live one and the spare.

    An older folder is an older site: it may still hold what a takedown removed.
    """
    if not settings.live_dir.exists():
        return
    kept = sitetree.kept_folders(settings, settings.live_dir.resolve())
    for old in sitetree.build_folders(settings):
        if old not in kept:
            sitetree.remove_build(old)
    for suffix in (sitetree.STATE_SUFFIX, sitetree.SIGNATURES_SUFFIX, sitetree.SEARCH_SUFFIX):
        for state in settings.builds_dir.glob("*" + suffix):
            if not state.with_name(state.name[: -len(suffix)]).is_dir():
                state.unlink(missing_ok=True)


def full_build(settings: Settings, out: Path) -> BuildResult:
    """Run a full build that also saves the state the incremental publisher starts from."""
    stats = sitetree.scan_posts(settings.content_dir)
    return build_site(
        settings,
        out,
        HIROBA_STATE_PREFIX=str(sitetree.state_prefix(out)),
        HIROBA_FINGERPRINT=sitetree.fingerprint(settings),
        HIROBA_SOURCE_STATS=stats,
    )


def _full_build_setting_aside(rt: Runtime, out: Path) -> BuildResult:
    """Run a full build; when it fails because of post files, set them aside and retry."""
    settings, notes = rt.settings, list[str]()
    for _ in range(setaside.MAX_ROUNDS):
        try:
            result = full_build(settings, out)
        except BuildFailed as exc:
            culprits = setaside.culprits(rt, str(exc))
            if not culprits:
                raise BuildFailed("\n".join([*notes, str(exc)])) from None
            ids = setaside.set_aside(settings, culprits)
            notes.append(f"set aside post(s) {ids}, which broke the build:\n{str(exc)[-3000:]}")
            sitetree.remove_build(out)
            out.mkdir(parents=True)
        else:
            return BuildResult(out, result.seconds, "\n".join([*notes, result.log]).strip())
    return full_build(settings, out)


def prepare_spare(settings: Settings, live: Path) -> None:
    """Make a hard-link copy of a fresh full build for the next incremental publication.

    Copying thousands of folders takes seconds on some disks; doing it here, after the
    switch, keeps that cost off the path from an approval to the live site.
    """
    if settings.keep_builds < 2 or sitetree.load_signatures(live) is None:
        return
    spare = new_build_dir(settings, 0)
    spare.rmdir()
    try:
        sitetree.link_copy(live, spare)
        shutil.copyfile(sitetree.signatures_path(live), sitetree.signatures_path(spare))
        if sitetree.search_path(live).exists():  # same Pagefind index: no relinking later
            shutil.copyfile(sitetree.search_path(live), sitetree.search_path(spare))
    except OSError as exc:
        log.warning("could not prepare a spare build folder (%s)", exc)
        sitetree.remove_build(spare)


def new_build_dir(settings: Settings, rev: int) -> Path:
    """Return a fresh, empty folder for one build."""
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S%f")
    path = settings.builds_dir / f"{stamp}-r{rev}"
    path.mkdir(parents=True)
    return path


def _try_incremental(
    settings: Settings, rev: int, fresh: Any = None
) -> tuple[incremental.Outcome | None, str]:
    """Publish incrementally when that can equal a full build; else (None, the reason).

    fresh is a searchindex.Snapshot: a new Pagefind index to publish with (the re-index job).
    """
    try:
        outcome = incremental.publish(settings, rev, pelican_settings, fresh)
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


def build_and_switch(
    rt: Runtime, rev: int, full: bool = False, fresh: Any = None, note: str = "full build requested"
) -> Build:
    """Build revision rev (incrementally unless full or impossible), switch the live site on
    success, and record the build either way. fresh: see _try_incremental; note: why a
    full build was asked for, for the build log."""
    settings = rt.settings
    with transaction(rt.sessions) as session:
        # We hold the build lock, so any other running build was killed: say so.
        for stale in session.scalars(select(Build).where(Build.status == "running")):
            stale.status = "interrupted"
            stale.finished_at = utcnow()
        record = Build(rev=rev, status="running", started_at=utcnow())
        session.add(record)
        session.flush()
        build_id = record.id
    started = time.perf_counter()
    done, note = (None, note) if full else _try_incremental(settings, rev, fresh)
    if done is not None:
        out = done.build_dir
        switch_live(settings, out)
        _save_state(done)  # after the switch: no reader waits for it
        status, text = "ok", note
        try:  # the search delta is folded into a full index soon after
            searchindex.after_publication(rt, out)
        except RedisError as exc:
            log.warning("search re-index not queued (%s); the reconciler will", exc)
    else:
        out = new_build_dir(settings, rev)
        try:
            result = _full_build_setting_aside(rt, out)
        except BuildFailed as exc:
            sitetree.remove_build(out)
            status, text = "failed", f"{note}\n{exc}"
            log.error("site build of revision %s failed; the previous site stays live", rev)
        else:
            switch_live(settings, out)
            status, text = "ok", f"{note}\n{result.log}".strip()
            prepare_spare(settings, out)
    text = "\n".join(part for part in (text, setaside.review(rt)) if part)
    with transaction(rt.sessions) as session:
        finished = session.get(Build, build_id)
        assert finished is not None
        record = finished
        record.status = status
        record.finished_at = utcnow()
        record.duration_s = round(time.perf_counter() - started, 3)
        record.output_dir = str(out) if status == "ok" else ""
        record.log = text[-20000:]
        if status == "ok":
            state = site_state(session, for_update=True)
            state.built_rev = max(state.built_rev, rev)
    if status == "ok":
        prune_builds(settings)
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
    """Return the revision to build, or None when the live site is current or it failed."""
    with rt.sessions() as session:
        state = site_state(session)
        session.commit()
        if state.requested_rev <= state.built_rev:
            return None
        failed = session.scalar(
            select(Build.id).where(Build.rev == state.requested_rev, Build.status == "failed")
        )
        return None if failed else state.requested_rev


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
def _kept_alive(rt: Runtime, lock: Any) -> Iterator[None]:
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
    with _kept_alive(rt, lock):
        yield True
    if pending_rev(rt) is not None:
        enqueue_rebuild(rt.queue, force=True)


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
        with _kept_alive(rt, lock):
            while (rev := pending_rev(rt)) is not None:
                outcome = build_and_switch(rt, rev).status
    return outcome
