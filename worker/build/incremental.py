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

from pelican import Pelican
from pelican.contents import Article
from pelican.generators import ArticlesGenerator, PagesGenerator
from pelican.plugins import signals
from pelican.readers import SkipStub
from pelican.writers import Writer

from intake.config import Settings
from intake.taxonomy import KIND_SEGMENTS

from . import output_check, searchindex, sitetree
from .media import mirror_media
from .warmup import preloaded_state

log = logging.getLogger(__name__)

MAX_CHANGED_POSTS = 200  # beyond this a full build is about as fast
# A post's own page: when it goes, its whole folder goes (in every language).
POST_PAGE = re.compile(rf"((?:{'|'.join(KIND_SEGMENTS.values())})/\d+)/index\.html")


class NeedsFullBuild(Exception):
    """The incremental path cannot produce a build equal to a full one."""


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


class SiteRenderer:
    """Pelican's reader, Jinja environment and writer for one output folder."""

    def __init__(self, pelican_settings: dict[str, Any]) -> None:
        self.pelican = Pelican(pelican_settings)  # registers the plugins' signal handlers
        self.settings = pelican_settings
        context = pelican_settings.copy()
        context["generated_content"] = {}
        context["static_links"] = set()
        context["static_content"] = {}
        context["localsiteurl"] = pelican_settings["SITEURL"]
        self.context = context
        common = {
            "context": context,
            "settings": pelican_settings,
            "path": pelican_settings["PATH"],
            "theme": pelican_settings["THEME"],
            "output_path": pelican_settings["OUTPUT_PATH"],
        }
        self.articles = ArticlesGenerator(**common)
        self.pages = PagesGenerator(**common)
        self.pages.generate_context()
        # The writer the plugins give Pelican (the i18n plugin's writes every language).
        self.writer: Writer = self.pelican._get_writer()
        # Pelican may import it as "listings" or "pelican.plugins.listings".
        self.listings = next(
            p for p in self.pelican.plugins if p.__name__.rpartition(".")[2] == "listings"
        )

    def read_article(self, source: str) -> Any | None:
        """Read one post the way ArticlesGenerator does; None when it is a draft or skipped."""
        gen = self.articles
        article = gen.readers.read_file(
            base_path=gen.path,
            path=source,
            content_class=Article,
            context=self.context,
            preread_signal=signals.article_generator_preread,
            preread_sender=gen,
            context_signal=signals.article_generator_context,
            context_sender=gen,
        )
        if isinstance(article, SkipStub):
            return None
        if not article.is_valid():
            raise NeedsFullBuild(f"{source} is not a valid article")
        article.refresh_metadata_intersite_links()
        return article if article.status in ("published", "hidden") else None

    def write_article(self, article: Any) -> None:
        """Write an article's page exactly as ArticlesGenerator.generate_articles does."""
        self.writer.write_file(
            article.save_as,
            self.articles.get_template(article.template),
            self.context,
            article=article,
            category=getattr(article, "category", None),
            override_output=hasattr(article, "override_save_as"),
            url=article.url,
            blog=True,
        )


def _spare_folder(settings: Settings, live: Path, live_sigs: dict) -> tuple[Path, dict]:
    """Return a non-live build folder with usable signatures, copying the live one if none."""
    for folder in reversed(sitetree.build_folders(settings)):
        if folder == live:
            continue
        sigs = sitetree.load_signatures(folder)
        if sigs and sigs.get("fingerprint") == live_sigs["fingerprint"]:
            return folder, sigs
    spare = settings.builds_dir / f".copy-{os.getpid()}-{time.time_ns()}"
    sitetree.link_copy(live, spare)
    return spare, live_sigs


def _read_changes(
    renderer: SiteRenderer, content_dir: Path, state: dict, stats: dict[str, list[int]]
) -> tuple[dict[str, dict], dict[str, Any], int]:
    """Return the new posts table (entries restored), the articles read (by page), and how
    many changed."""
    restore = renderer.listings.Entry.restore
    posts: dict[str, dict] = {
        source: dict(post, entry=restore(post["entry"])) if post.get("entry") else post
        for source, post in state["posts"].items()
    }
    articles: dict[str, Any] = {}
    changed = 0
    for source in set(posts) - set(stats):
        del posts[source]
        changed += 1
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
        changed += 1
        article = renderer.read_article(source)
        entry = renderer.listings.entry_from_article(article, source, digest) if article else None
        posts[source] = {
            "stat": stat if settled else None,
            "digest": digest if settled else None,
            "entry": entry,
        }
        if article is not None:
            articles[article.save_as] = article
    return posts, articles, changed


def publish(
    settings: Settings, rev: int, pelican_settings_for: Any, fresh: Any = None
) -> Outcome | None:
    """Build revision rev incrementally into a spare folder; None when a full build is due.

    fresh (a searchindex.Snapshot) replaces the search index with a newer full one.
    """
    # Hundreds of thousands of small objects (the saved state), all alive until the end:
    # the cyclic collector would only rescan them, a third of the time at 10,000 posts.
    gc.disable()
    try:
        return _publish(settings, rev, pelican_settings_for, fresh)
    finally:
        gc.enable()


def _publish(
    settings: Settings, rev: int, pelican_settings_for: Any, fresh: Any = None
) -> Outcome | None:
    live_link = settings.live_dir
    if not live_link.exists():
        return None
    live = live_link.resolve()
    live_sigs = sitetree.load_signatures(live)
    if not live_sigs or live_sigs.get("fingerprint") != sitetree.fingerprint(settings):
        return None
    live_state = preloaded_state(live) or sitetree.load_state(live)
    if not live_state:
        return None
    stats = sitetree.scan_posts(settings.content_dir)
    unknown = sum(1 for s, st in stats.items() if live_state["posts"].get(s, {}).get("stat") != st)
    if unknown + len(set(live_state["posts"]) - set(stats)) > MAX_CHANGED_POSTS:
        return None

    spare, spare_sigs = _spare_folder(settings, live, live_sigs)
    searches = (sitetree.load_search(live), fresh)
    sitetree.drop_state(spare)  # from here on the spare folder is unusable until finished
    stamp = time.strftime("%Y%m%dT%H%M%S") + f"{time.time_ns() % 1_000_000_000 // 1000:06d}"
    target = settings.builds_dir / f"{stamp}-r{rev}"
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
            pelican_settings_for,
            searches,
        )
        output_check.check_files(settings, target, outcome.written)
    except output_check.OutputRefused as exc:
        sitetree.remove_build(target)
        raise NeedsFullBuild(str(exc)) from exc
    except BaseException:
        sitetree.remove_build(target)
        raise
    finally:
        logging.getLogger().removeHandler(errors)
    if errors.messages:
        sitetree.remove_build(target)
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
    pelican_settings_for: Any,
    searches: tuple[Any, Any] = (None, None),
) -> Outcome:
    live, live_state, live_signatures = live_build
    renderer = SiteRenderer(pelican_settings_for(settings, target, incremental=True))
    listings = renderer.listings
    posts, articles, changed = _read_changes(renderer, settings.content_dir, live_state, stats)
    entries = [p["entry"] for p in posts.values() if p.get("entry")]
    today = listings.site_today(renderer.settings)
    # Group profiles (content/groups.json) are read whole each time: a profile change only
    # alters the signatures of the pages that show it, so it needs no full build.
    profiles = listings.load_profiles(renderer.settings)
    urls = listings.page_urls(renderer.context["pages"])
    pages = listings.plan(entries, renderer.settings, today, urls, profiles)
    wanted = listings.signatures_of(entries, pages, renderer.settings)
    have: dict[str, str] = spare_sigs["signatures"]
    live_sigs: dict[str, str] = live_signatures["signatures"]
    removed = linked = 0
    prefixes = listings.language_prefixes(renderer.settings)
    for rel in set(have) - set(wanted):
        sitetree.remove_file(target, rel)
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
            sitetree.link_from(live, target, rel)
            linked += 1
        else:
            (target / rel).unlink(missing_ok=True)  # never write through a shared inode
            to_render.append(rel)
    by_page = {e.page: e for e in entries}
    originals = _originals(to_render, prefixes, target)
    for rel in originals:
        if rel in pages:
            listings.render_page(pages[rel], renderer.articles, renderer.writer, renderer.context)
            continue
        article = articles.get(rel) or renderer.read_article(by_page[rel].source)
        if article is None:
            raise NeedsFullBuild(f"{rel}: its post could not be read")
        renderer.write_article(article)
    # Flyers and images: media/ as Pelican's static generator copies it from content/media.
    media = mirror_media(settings.content_dir, live, target)
    # Search: a delta over the live folder's Pagefind index (searchindex; no Pagefind run).
    search = searchindex.update(listings, target, (live, live_sigs), searches, wanted)
    meta = {
        "version": listings.STATE_VERSION,
        "fingerprint": live_signatures["fingerprint"],
        "today": today.isoformat(),
    }
    save = functools.partial(
        listings.save_state,
        str(sitetree.state_prefix(target)),
        dict(meta, posts=posts),
        dict(meta, signatures=wanted),
    )
    written = (*originals, *(p + rel for rel in originals for p in prefixes), *media)
    return Outcome(
        target, len(to_render), linked, removed, changed, search, written=written, save_state=save
    )
