"""Incremental publishing: bring a spare build folder up to date and return it.

The live folder is never written to. A spare folder (an earlier build, or else a
hard-link copy of the live one) is renamed for the new revision; every tracked output
file whose signature differs from the wanted one is replaced: by a hard link to the live
folder's file when that one is already right, else by rendering it with Pelican's own
reader, Jinja environment, writer and the listings plugin's functions (the same ones the
full build runs). The caller then switches ``site/current`` to it with one rename.

``publish`` returns None when only a full build can be trusted: no state for the live
folder, a changed configuration fingerprint, or too many changed posts.
"""

from __future__ import annotations

import functools
import gc
import logging
import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from intake.config import Settings
from intake.taxonomy import KIND_SEGMENTS

from . import changes, output_check, search, tree
from .changes import Changes
from .preload import preloaded_state
from .search import Snapshot
from .session import NeedsFullBuild, SiteRenderer, pelican_settings

log = logging.getLogger(__name__)

MAX_CHANGED_POSTS = 200  # beyond this a full build is about as fast
# A post's own page: when it goes, its whole folder goes (in every language).
POST_PAGE = re.compile(rf"((?:{'|'.join(KIND_SEGMENTS.values())})/\d+)/index\.html")


@dataclass
class Outcome:
    build_dir: Path
    rendered: int
    linked: int
    removed: int
    changed_posts: int
    search: str = ""
    # What this publication wrote into the folder (paths under it), for the output check.
    written: tuple[str, ...] = ()
    # Every file that differs from the live folder it started from (None: unknown), so a
    # publication to a bucket holding that folder writes only these (changes.py).
    changes: Changes | None = None
    # Writes the folder's state for the next publication. The caller runs it once the
    # folder is live: a tenth of a second at 10,000 posts that no reader waits for. Until
    # it has run, a publication finds no state and builds in full, so it is never unsafe.
    save_state: Callable[[], None] = lambda: None

    def describe(self) -> str:
        return (
            f"incremental: {self.changed_posts} changed post(s); {self.rendered} file(s) "
            f"rendered, {self.linked} linked, {self.removed} removed; {self.search}"
        ).rstrip("; ")


class _Errors(logging.Handler):
    """Counts errors logged while rendering (Pelican and our plugins log, not raise)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _spare_folder(settings: Settings, live: Path, live_sigs: dict) -> tuple[Path, dict]:
    """Return a non-live build folder with usable signatures, copying the live one if none."""
    for folder in reversed(tree.build_folders(settings)):
        if folder == live:
            continue
        sigs = tree.load_signatures(folder)
        if sigs and sigs.get("fingerprint") == live_sigs["fingerprint"]:
            return folder, sigs
    spare = settings.builds_dir / f".copy-{os.getpid()}-{time.time_ns()}"
    tree.link_copy(live, spare)
    return spare, live_sigs


def _read_changes(
    renderer: SiteRenderer, content_dir: Path, state: dict, stats: dict[str, list[int]]
) -> tuple[dict[str, dict], dict[str, Any], list[tuple[Any, Any]]]:
    """Return the new posts table (entries restored), the articles read (by page), and the
    changed entries as (old, new) pairs (None: no entry)."""
    restore = renderer.listings.restore_entry
    # The worker's preloaded state has its entries restored already (preload.py): then
    # only the table is copied, not a post.
    posts: dict[str, dict] = {
        source: dict(post, entry=restore(post["entry"]))
        if isinstance(post.get("entry"), dict)
        else post
        for source, post in state["posts"].items()
    }
    articles: dict[str, Any] = {}
    changed: list[tuple[Any, Any]] = []
    for source in set(posts) - set(stats):
        changed.append((posts.pop(source).get("entry"), None))
    for source, stat in stats.items():
        known = posts.get(source)
        if known and known.get("stat") == stat:
            continue
        data = (content_dir / source).read_bytes()
        digest = renderer.listings.source_digest(source, data)
        # Stat again: a file replaced while we read it stays unknown for the next run.
        settled = renderer.listings.post_stat(str(content_dir / source)) == stat
        if known and known.get("digest") == digest:
            posts[source] = dict(known, stat=stat if settled else None)
            continue
        article = renderer.read_article(source)
        entry = renderer.listings.entry_from_article(article, source, digest) if article else None
        changed.append((known.get("entry") if known else None, entry))
        posts[source] = {
            "stat": stat if settled else None,
            "digest": digest if settled else None,
            "entry": entry,
        }
        if article is not None:
            articles[article.save_as] = article
    return posts, articles, changed


def publish(settings: Settings, rev: int, fresh: Snapshot | None = None) -> Outcome | None:
    """Build revision rev incrementally into a spare folder; None when a full build is due.

    fresh (a search.Snapshot) replaces the search index with a newer full one.
    """
    # Hundreds of thousands of small objects (the saved state), all alive until the end:
    # the cyclic collector would only rescan them, a third of the time at 10,000 posts.
    gc.disable()
    try:
        return _publish(settings, rev, fresh)
    finally:
        gc.enable()


def _publish(settings: Settings, rev: int, fresh: Snapshot | None = None) -> Outcome | None:
    live_link = settings.live_dir
    if not live_link.exists():
        return None
    live = live_link.resolve()
    live_sigs = tree.load_signatures(live)
    if not live_sigs or live_sigs.get("fingerprint") != tree.fingerprint(settings):
        return None
    live_state = preloaded_state(live) or tree.load_state(live)
    if not live_state:
        return None
    stats = tree.scan_posts(settings.content_dir)
    unknown = sum(1 for s, st in stats.items() if live_state["posts"].get(s, {}).get("stat") != st)
    if unknown + len(set(live_state["posts"]) - set(stats)) > MAX_CHANGED_POSTS:
        return None

    spare, spare_sigs = _spare_folder(settings, live, live_sigs)
    searches = (tree.load_search(live), fresh)
    tree.drop_state(spare)  # from here on the spare folder is unusable until finished
    target = tree.build_folder_path(settings, rev)
    os.rename(spare, target)

    errors = _Errors()
    logging.getLogger().addHandler(errors)
    try:
        outcome = _update(
            settings,
            (live, live_state, live_sigs),
            target,
            spare_sigs,
            stats,
            searches,
        )
        output_check.check_files(settings, target, outcome.written)
    except output_check.OutputRefused as exc:
        tree.remove_build(target)
        raise NeedsFullBuild(str(exc)) from exc
    except BaseException:
        tree.remove_build(target)
        raise
    finally:
        logging.getLogger().removeHandler(errors)
    if errors.messages:
        tree.remove_build(target)
        raise NeedsFullBuild("; ".join(errors.messages)[:2000])
    return outcome


def _originals(to_render: list[str], prefixes: list[str], target: Path) -> list[str]:
    """Return the pages to render for these files: a translation (en/...) is written with
    its original, so both are cleared first (never written through a shared inode)."""
    found: dict[str, None] = {}
    for rel in to_render:
        prefix = next((p for p in prefixes if rel.startswith(p)), "")
        found[rel[len(prefix) :]] = None
    for rel in found:
        if rel.endswith((".html", "/")):
            for prefix in prefixes:
                (target / (prefix + rel)).unlink(missing_ok=True)
            (target / rel).unlink(missing_ok=True)
    return list(found)


def _update(
    settings: Settings,
    live_build: tuple[Path, dict, dict],
    target: Path,
    spare_sigs: dict,
    stats: dict[str, list[int]],
    searches: tuple[dict[str, Any] | None, Snapshot | None] = (None, None),
) -> Outcome:
    live, live_state, live_signatures = live_build
    renderer = SiteRenderer(pelican_settings(settings, target, incremental=True))
    listings = renderer.listings
    posts, articles, changed = _read_changes(renderer, settings.content_dir, live_state, stats)
    entries = (p["entry"] for p in posts.values() if p.get("entry"))
    members = live_state.get("members")  # kept by the worker's parent (preload.py)
    if members is None:
        old = (p["entry"] for p in live_state["posts"].values() if p.get("entry"))
        members = listings.membership([listings.restore_entry(e) for e in old])
    previous = {
        "state": live_state,
        "signatures": live_signatures,
        "members": members,
        "changed": changed,
    }
    # Only the sections (lists) the changed posts are in, when the day, the settings and
    # the groups' profiles are the live build's; else the whole site (listings.replan).
    site = listings.plan_site(entries, renderer.settings, renderer.context["pages"], previous)
    pages, wanted = site.pages, site.signatures
    have: dict[str, str] = spare_sigs["signatures"]
    live_sigs: dict[str, str] = live_signatures["signatures"]
    removed = linked = 0
    prefixes = site.language_prefixes
    for rel in set(have) - set(wanted):
        tree.remove_file(target, rel)
        removed += 1
        gone = POST_PAGE.fullmatch(rel)
        if gone:  # a post left the site: nothing of its folder may stay (a takedown)
            for prefix in ("", *prefixes):
                shutil.rmtree(target / (prefix + gone.group(1)), ignore_errors=True)
    to_render = []
    for rel, sig in wanted.items():
        if have.get(rel) == sig:
            continue
        if live_sigs.get(rel) == sig:
            tree.link_from(live, target, rel)
            linked += 1
        else:
            (target / rel).unlink(missing_ok=True)  # never write through a shared inode
            to_render.append(rel)
    by_page = {new.page: new for _old, new in changed if new is not None}
    originals = _originals(to_render, prefixes, target)
    for rel in originals:
        if rel in pages:
            listings.render_page(pages[rel], renderer.articles, renderer.writer, renderer.context)
            continue
        if rel not in by_page:  # not a changed post's page: find its post (never seen so far)
            by_page.update((p["entry"].page, p["entry"]) for p in posts.values() if p["entry"])
        article = articles.get(rel) or renderer.read_article(by_page[rel].source)
        if article is None:
            raise NeedsFullBuild(f"{rel}: its post could not be read")
        renderer.write_article(article)
    # Flyers and images: media/ as Pelican's static generator copies it from content/media.
    media = tree.mirror_media(settings.content_dir, live, target)
    # Search: a delta over the live folder's Pagefind index (search.py; no Pagefind run).
    search_note, search_files = search.update(
        listings, target, (live, live_sigs), searches, wanted, settings
    )
    changed_files = None
    if settings.publish_location.is_s3:  # a bucket to bring up to date (file://: a switch)
        tracked = changes.tracked_candidates(live_sigs, wanted, prefixes)
        folders = changes.post_folders(tracked, POST_PAGE, prefixes)
        changed_files = changes.collect(live, target, tracked, folders, search_files)
    meta = {
        "version": listings.STATE_VERSION,
        "fingerprint": live_signatures["fingerprint"],
        "today": site.today.isoformat(),
        "inputs": site.inputs,
    }
    save = functools.partial(
        listings.save_state,
        str(tree.state_prefix(target)),
        dict(meta, posts=posts, sections=site.sections),
        dict(meta, signatures=wanted),
    )
    written = (*originals, *(p + rel for rel in originals for p in prefixes), *media)
    return Outcome(
        target,
        len(to_render),
        linked,
        removed,
        len(changed),
        search_note,
        written=written,
        changes=changed_files,
        save_state=save,
    )
