"""Keeping full-text search fresh: the delta on every publication, and the follow-up
Pagefind re-index.

An incremental publication does not run Pagefind (20 s at 10,000 pages): it deletes
the changed pages' fragments and writes ``search/delta.json`` (see the listings plugin's
``searchfresh``). Afterwards it asks for ``reindex_search`` (worker/jobs/site.py) on a
queue of its own (``<queue>-search``, worked by a second rq worker so a long Pagefind run
never delays an approval). One job at a time is queued (a Redis flag, cleared when the
job starts, so a publication after that asks again). The job waits
HIROBA_SEARCH_REINDEX_SECONDS (none after a removal), runs Pagefind at low priority over a
hard-link snapshot of the live folder and prepares it as the next build, all outside the
build lock; under the lock it only applies what was published meanwhile and switches
(reindex.py).

Either way a publication names every search file it changed (the delta and the index
files, listed from the two pagefind/ folders, never the whole site): a bucket gets only
those.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pelican import Pelican
from rq import Queue
from rq.registry import StartedJobRegistry

from intake import redis_keys
from intake.config import Settings
from intake.jobs import REINDEX_SEARCH
from intake.outbox import make_queue
from intake.runtime import Runtime

from . import changes, tree
from .session import listings_api, pelican_settings

if TYPE_CHECKING:
    from listings.api import Listings

log = logging.getLogger(__name__)

DELTA = "search/delta.json"
PAGEFIND = "pagefind"  # the folder of the Pagefind index


@dataclass
class Snapshot:
    """A private hard-link copy of a live build with a fresh Pagefind index in it."""

    folder: Path
    state: dict[str, Any]
    signatures: dict[str, str]  # of the live build it copies: what the index reflects
    seconds: float
    base: Path | None = None  # the live build it copies
    fingerprint: str = ""  # that build's configuration fingerprint
    prefixes: tuple[str, ...] = ()  # the site's other languages' folders ("en/")
    listings: type[Listings] | None = None
    spare_index: Path | None = None  # a hard-link copy of the new index, for the spare


def search_queue(rt: Runtime) -> Queue:
    """Return the search re-index queue (its own worker: Pagefind runs take seconds)."""
    return make_queue(rt.redis, redis_keys.search_queue(rt.settings.redis_prefix))


def request_reindex(rt: Runtime, urgent: bool = False, force: bool = False) -> bool:
    """Queue one re-index unless one is queued already (it will cover this publication)."""
    flag = redis_keys.search_flag(rt.settings.redis_prefix)
    if not rt.redis.set(flag, 1, nx=True, ex=3600) and not force:
        return False
    delay = 0 if urgent else rt.settings.search_reindex_seconds
    search_queue(rt).enqueue(
        REINDEX_SEARCH,
        delay,
        job_timeout=3600,
        result_ttl=60,
        failure_ttl=86400,
        description="re-index the public site for search",
    )
    return True


def _delta(build_dir: Path) -> dict[str, Any] | None:
    """Return a build's search delta, or None when it has none (an older build)."""
    try:
        data = json.loads((build_dir / DELTA).read_bytes())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def behind(build_dir: Path) -> tuple[bool, bool]:
    """Tell whether a build's search needs a re-index, and whether urgently (a page is gone)."""
    delta = _delta(build_dir)
    if delta is None:
        return False, False
    return bool(delta.get("items") or delta.get("removed_ids")), bool(delta.get("gone"))


def after_publication(rt: Runtime, build_dir: Path) -> None:
    """Ask for a re-index when the published build serves part of its search from a delta."""
    pending, gone = behind(build_dir)
    if pending:
        request_reindex(rt, urgent=gone)


def reconcile_search(rt: Runtime) -> bool:
    """Re-queue a lost re-index: the live search has a delta and no job is queued or running."""
    live = rt.settings.live_dir
    if not live.exists() or not behind(live.resolve())[0]:
        return False
    queue = search_queue(rt)
    if queue.count or StartedJobRegistry(queue=queue).count:
        return False
    return request_reindex(rt, force=True)


def update(
    listings: type[Listings],
    target: Path,
    live: tuple[Path, dict[str, str]],
    searches: tuple[dict[str, Any] | None, Snapshot | None],
    signatures: dict[str, str],
    settings: Settings,
) -> tuple[str, list[str]]:
    """Bring a publication's search up to date (delta, or Pagefind when none can serve);
    save its state beside the folder. Return the note for the build log and the search
    files that may differ from the live folder's."""
    started = time.perf_counter()
    live_state, fresh = searches
    fresh_index = (fresh.folder, fresh.state, fresh.signatures) if fresh is not None else None
    result = listings.refresh_search(
        target,
        live,
        live_state,
        signatures,
        fresh_index,
        settings.search_delta_max_pages,
        settings.pagefind_binary,
    )
    state, counts = result.state, result.counts
    touched: list[str] | None = None
    if counts is None:
        note = "search: Pagefind over all pages"
    else:
        note = (
            f"search: {counts['items']} page(s) in the delta, "
            f"{counts['deleted']} taken out of the index ({counts['gone']} gone)"
        )
        if counts.get("linked"):  # the spare held an older index: the live one was linked
            note += f"; {counts['linked']} file(s) of the live index linked"
        if fresh is None and live_state is not None:
            touched = _touched(live[0], target, live_state, state)
    if touched is None:  # a new index: every file of both pagefind/ folders may differ
        touched = index_files(live[0], target)
        note += f"; {len(touched)} search file(s) to compare"
    listings.write_search_state(str(tree.state_prefix(target)), state)
    return f"{note} in {time.perf_counter() - started:.3f} s", touched


def index_files(live: Path, target: Path) -> list[str]:
    """Return the delta and every file of the live and the target pagefind/ folders: all a
    new index may have written or left behind (changes.decide tells which by inode)."""
    found = {DELTA, *changes.files_under(live, PAGEFIND), *changes.files_under(target, PAGEFIND)}
    return sorted(found)


def _touched(
    live: Path, target: Path, live_state: dict[str, Any], state: dict[str, Any]
) -> list[str] | None:
    """Return the delta and the fragments a delta over the live index took out of it, when
    target's index is the live one's (its files hard links to the live files); else None."""
    entry = Path(PAGEFIND) / "pagefind-entry.json"
    try:
        if (live / entry).stat().st_ino != (target / entry).stat().st_ino:
            return None
    except OSError:
        return None
    before = {fid for ids in live_state["deleted"].values() for fid in ids}
    now = {fid for ids in state["deleted"].values() for fid in ids}
    return [DELTA, *(f"{PAGEFIND}/fragment/{fid}.pf_fragment" for fid in sorted(now - before))]


def take_snapshot(settings: Settings) -> Snapshot | None:
    """Index a hard-link copy of the live build; None when its search is already full.

    The live folder is never written to, but once it is no longer live a later
    publication may take it as its spare (dropping its state files, then renaming it) or
    prune it. The copy is kept only if the folder's signatures are still there after it.
    """
    for old in settings.site_dir.glob(".search-*"):  # left by a killed job
        if old.stat().st_mtime < time.time() - 3600:
            shutil.rmtree(old, ignore_errors=True)
    for _attempt in range(5):
        live = settings.live_dir.resolve()
        if not behind(live)[0]:
            return None
        signatures = tree.load_signatures(live)
        if signatures is None:  # just switched: its state is saved right after the switch
            time.sleep(0.5)
            continue
        folder = settings.site_dir / f".search-{os.getpid()}-{time.time_ns()}"
        try:
            tree.link_copy(live, folder)
        except OSError:
            shutil.rmtree(folder, ignore_errors=True)
            continue
        except BaseException:  # asked to stop (worker/stopping.py): leave nothing behind
            shutil.rmtree(folder, ignore_errors=True)
            raise
        if signatures and tree.signatures_path(live).exists():
            break
        shutil.rmtree(folder, ignore_errors=True)
    else:
        return None
    started = time.perf_counter()
    try:
        pelican = Pelican(pelican_settings(settings, folder, incremental=True))
        listings = listings_api(pelican)
        state = listings.index_in_background(folder, settings.pagefind_binary)
        seconds = time.perf_counter() - started
        # For the folder the next publication will reuse (see swap_spare_index).
        spare_index = folder.with_name(folder.name + "-index")
        tree.link_copy(folder / PAGEFIND, spare_index)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(folder.with_name(folder.name + "-index"), ignore_errors=True)
        raise
    return Snapshot(
        folder,
        state,
        signatures["signatures"],
        seconds,
        base=live,
        fingerprint=str(signatures.get("fingerprint", "")),
        prefixes=tuple(listings.language_prefixes(pelican.settings)),
        listings=listings,
        spare_index=spare_index,
    )


def discard(snapshot: Snapshot) -> None:
    """Delete what is left of a snapshot (its folder, once installed, is a build's)."""
    shutil.rmtree(snapshot.folder, ignore_errors=True)
    if snapshot.spare_index is not None:
        shutil.rmtree(snapshot.spare_index, ignore_errors=True)


def swap_spare_index(settings: Settings, snapshot: Snapshot) -> Path | None:
    """Under the build lock, after the switch: give the folder the next publication will
    reuse the new index (renames only: the hard-link copy was made outside the lock), so
    that publication need not hard-link 10,000 fragments itself. Return the old index's
    folder, for the caller to delete once the lock is released."""
    live = settings.live_dir.resolve()
    entry = Path(PAGEFIND) / "pagefind-entry.json"
    spare_index = snapshot.spare_index
    if spare_index is None or not spare_index.is_dir():
        return None
    for folder in reversed(tree.build_folders(settings)):
        if folder == live or not tree.signatures_path(folder).exists():
            continue
        try:
            if (folder / entry).stat().st_ino == (live / entry).stat().st_ino:
                return None
            old = spare_index.with_name(spare_index.name + "-old")
            if (folder / PAGEFIND).exists():
                os.rename(folder / PAGEFIND, old)
            os.rename(spare_index, folder / PAGEFIND)
            return old
        except OSError as exc:  # the next publication relinks it instead
            log.warning("could not give the spare the new search index (%s)", exc)
            return None
    return None
