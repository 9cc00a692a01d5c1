"""Installing a fresh search index with only the switch under the build lock.

The re-index job (worker/jobs/site.py) runs Pagefind over a hard-link copy of the live
folder (search.take_snapshot), outside the build lock; the copy, with its new index, is
already the next build folder but for the pages published since. Under the lock,
``install`` only checks that the live folder is the built revision of the same
configuration, makes the copy hold what was published meanwhile (a hard link to the live
file of each file those publications changed: changes.py finds them as it does for a
bucket), writes the search delta of those pages, renames the copy into site/builds and
returns it to be switched like an incremental build. That is a few file operations per
page published during the Pagefind run, never a render, a listing of the site or a copy
of the index.

When it cannot (the live folder is of another revision, as after another host's
publication, or of another configuration, or has no state yet), it returns None and the
caller publishes from the content as any build does, with the new index.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from intake.config import Settings

from . import changes, search, tree
from .changes import Changes
from .incremental import POST_PAGE, Outcome
from .search import Snapshot


def _follow(snapshot: Snapshot, live: Path, live_sigs: dict[str, str], target: Path) -> Changes:
    """Make target (a copy of the snapshot's base) hold the live folder's files: return what
    the live folder changed against the copy, now linked into (or removed from) target.

    The copy is compared, not the base folder: a publication since may have taken the
    base as its spare (renamed and changed it), while the copy keeps the base's files.
    """
    tracked = changes.tracked_candidates(snapshot.signatures, live_sigs, snapshot.prefixes)
    folders = changes.post_folders(tracked, POST_PAGE, snapshot.prefixes)
    moved = changes.collect(target, live, tracked, folders, ())
    assert moved is not None
    for rel in moved.written:
        tree.link_from(live, target, rel)
    for rel in moved.deleted:  # a post that left: every file of its folders is here
        tree.remove_file(target, rel)
    return moved


def _link_state(live: Path, target: Path) -> None:
    """Give target the live folder's posts state and signatures: its pages are the live
    ones (state files are replaced, never written through, so hard links are safe)."""
    for path in (tree.state_path, tree.signatures_path):
        path(target).unlink(missing_ok=True)
        os.link(path(live), path(target))


def install(settings: Settings, rev: int, snapshot: Snapshot) -> Outcome | None:
    """Under the build lock: turn the snapshot into the build of revision rev, holding what
    was published during the Pagefind run; None when only a build from the content will do
    (see the module's note)."""
    if snapshot.base is None or snapshot.listings is None or not settings.live_dir.exists():
        return None
    live = settings.live_dir.resolve()
    live_signatures = tree.load_signatures(live)
    if (
        not live.name.endswith(f"-r{rev}")
        or not live_signatures
        or live_signatures.get("fingerprint") != snapshot.fingerprint
        or not tree.state_path(live).exists()
    ):
        return None
    live_sigs: dict[str, str] = live_signatures["signatures"]
    target = tree.build_folder_path(settings, rev)
    try:
        os.rename(snapshot.folder, target)
    except OSError:  # another file system (a separate HIROBA_SITE_DIR mount, say)
        return None
    try:
        moved = Changes(live.name, (), ())
        if live != snapshot.base:
            moved = _follow(snapshot, live, live_sigs, target)
        fresh = Snapshot(target, snapshot.state, snapshot.signatures, snapshot.seconds)
        note, search_files = search.update(
            snapshot.listings, target, (live, live_sigs), (None, fresh), live_sigs, settings
        )
        candidates = {*moved.written, *moved.deleted, *search_files}
        differs = changes.decide(live, target, candidates)
    except BaseException:
        tree.remove_build(target)
        raise
    return Outcome(
        target,
        rendered=0,
        linked=len(moved.written),
        removed=len(moved.deleted),
        changed_posts=0,
        search=(
            f"prepared outside the build lock; {len(moved.written) + len(moved.deleted)} "
            f"file(s) published meanwhile followed; {note}"
        ),
        changes=differs,
        save_state=functools.partial(_link_state, live, target),
    )
