"""Load, in the worker's parent process, what every publication needs: the code, and the
live site's saved state.

rq forks a work-horse per job. Whatever the parent has loaded, the horse starts with;
whatever it has not, every publication loads again. So the parent builds the
incremental publisher's renderer once, for a scratch folder (Pelican's plugins, Markdown
and its extensions, the feed and calendar writers get imported), and after each build
job it reads the live folder's saved state (at 10,000 posts, a tenth of a second) while
it waits for the next job. The horse uses that copy only when it is the state saved for
the folder that is live now (same folder, same file); otherwise it reads the file.
"""

from __future__ import annotations

import gc
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from intake.config import Settings

from . import tree
from .session import SiteRenderer, pelican_settings

log = logging.getLogger(__name__)

# (live folder name, the state file's inode, size and mtime) and the state, entries restored.
_loaded: tuple[tuple[Any, ...], dict[str, Any]] | None = None


# The listings plugin's restore_entry and membership, as the renderer loaded the plugin.
_restore_entry: Callable[[Any], Any] | None = None
_membership: Callable[[list[Any]], Any] | None = None


def warm_up(settings: Settings) -> None:
    """Import what a publication uses and read the live state; a failure only costs the
    horses the time."""
    global _restore_entry, _membership
    try:
        with tempfile.TemporaryDirectory(prefix="hiroba-warm-") as scratch:
            # Without the read cache: its SQLite connection would be inherited by every
            # horse forked from here (each horse opens its own).
            values = pelican_settings(
                settings, Path(scratch), incremental=True, overrides={"HIROBA_READ_CACHE": ""}
            )
            renderer = SiteRenderer(values)
            # Compile the theme's templates now, into the bytecode cache every horse reads
            # (session.py): else the first publication after a start compiles them all.
            env = renderer.articles.env
            for name in env.list_templates(extensions=("html", "xml")):
                env.get_template(name)
        _restore_entry = renderer.listings.restore_entry
        _membership = renderer.listings.membership
    except Exception as exc:  # the jobs load it themselves then
        log.warning("could not preload the publisher (%s: %s)", type(exc).__name__, exc)
        return
    refresh_state(settings)


def refresh_state(settings: Settings) -> None:
    """Read the live folder's saved state if this process does not hold it yet."""
    if _restore_entry is None:
        return
    try:
        preload_state(settings, _restore_entry, _membership)
    except Exception as exc:  # a horse reads the file itself then
        log.warning("could not preload the live state (%s: %s)", type(exc).__name__, exc)


def _identity(live: Path) -> tuple[Any, ...] | None:
    try:
        st = os.stat(tree.state_path(live))
    except OSError:
        return None
    return (live.name, st.st_ino, st.st_size, st.st_mtime_ns)


def preload_state(
    settings: Settings,
    restore_entry: Callable[[Any], Any],
    membership: Callable[[list[Any]], Any] | None = None,
) -> None:
    """Read the live folder's saved state into this process, unless it has it already,
    with its entries' membership of the listings' sections (what a re-plan starts from)."""
    global _loaded
    if not settings.live_dir.exists():
        return
    live = settings.live_dir.resolve()
    identity = _identity(live)
    if identity is None or (_loaded is not None and _loaded[0] == identity):
        return
    _loaded = None
    gc.disable()  # a few hundred thousand objects, none of them in a cycle
    try:
        state = tree.load_state(live)
        if state is None or _identity(live) != identity:
            return
        for post in state["posts"].values():
            if post.get("entry") is not None:
                post["entry"] = restore_entry(post["entry"])
        if membership is not None:
            entries = [post["entry"] for post in state["posts"].values() if post.get("entry")]
            state["members"] = membership(entries)
        _loaded = (identity, state)
    finally:
        gc.enable()
    # Kept out of the collector's way, here and in every horse forked from here.
    gc.freeze()


def preloaded_state(live: Path) -> dict[str, Any] | None:
    """Return the preloaded state when it is the one saved for live, else None."""
    if _loaded is None or _identity(live) != _loaded[0]:
        return None
    return _loaded[1]
