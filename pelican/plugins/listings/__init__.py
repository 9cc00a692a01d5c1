"""Listings designed so one approval touches few pages: month listings per kind, 分野 and
地域, a month calendar, Atom feeds, a search index and sitemap.xml.

Stateless Pelican plugin. At the end of the article writer it turns every article into
an ``Entry`` (public metadata only), asks ``plan`` for the site's listing pages and
renders each one. The worker's incremental publisher (worker/build/incremental.py) loads this
same module through Pelican and calls the same functions, so both paths write the same
bytes. When the build code sets ``HIROBA_STATE_PREFIX``, the entries and every page's
signature are saved in ``<prefix>.state.pickle`` and ``<prefix>.sigs.json`` for it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pickle
from itertools import chain
from typing import Any
from zoneinfo import ZoneInfo

from pelican import signals

from . import searchfresh
from .entries import Entry, entry_from_article, source_digest
from .output import TRANSLATED, render_page
from .pagefind import SearchIndexFailed, index_site, reuse_index
from .plan import Context, Page, inputs_digest, membership, plan, plan_sections
from .profiles import load_profiles
from .replan import section_paths

__all__ = [
    "Entry",
    "Page",
    "STATE_VERSION",
    "SearchIndexFailed",
    "entry_from_article",
    "index_full",
    "index_site",
    "language_prefixes",
    "load_profiles",
    "page_urls",
    "plan",
    "post_stat",
    "render_page",
    "save_state",
    "searchfresh",
    "signatures_of",
    "site_today",
    "source_digest",
]

# 2: entries carry place_address and organizer_id; 3: recurrence, 対象; 4: a pickle of
# entry snapshots with their memos; 5: each section's pages and the plan's inputs digest
STATE_VERSION = 5


def site_today(settings: dict[str, Any]) -> dt.date:
    """Return today's date in the site's time zone (what "upcoming" is measured from)."""
    return dt.datetime.now(ZoneInfo(settings.get("TIMEZONE") or "UTC")).date()


def post_stat(path: str) -> list[int] | None:
    """Return what tells a changed post file apart: inode, size and modification time."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return [st.st_ino, st.st_size, st.st_mtime_ns]


def page_urls(pages: list[Any]) -> list[str]:
    """Return the URLs of the hand-written pages (for the sitemap)."""
    return sorted(str(page.url) for page in pages)


def _source(generator: Any, article: Any) -> str:
    return os.path.relpath(article.source_path, generator.path).replace(os.sep, "/")


def language_prefixes(settings: dict[str, Any]) -> list[str]:
    """Return the folders of the site's other languages ("en/"): see the i18n plugin."""
    default = settings.get("DEFAULT_LANG") or "ja"
    return [f"{lang}/" for lang in settings.get("HIROBA_LANGUAGES") or {} if lang != default]


def signatures_of(entries: list[Entry], pages: dict[str, Page], settings: dict[str, Any]) -> dict:
    """Return the signature of every tracked output file.

    The writer renders each HTML page once per language in one call, and a feed or a
    calendar with its twins (output.TRANSLATED), so a translated page (en/...) has its
    original's signature: both change together.
    """
    own = {e.page: e.page_sig for e in entries} | {p.path: p.sig for p in pages.values()}
    twinned = ("html", *TRANSLATED)
    html = [e.page for e in entries] + [p.path for p in pages.values() if p.renderer in twinned]
    for prefix in language_prefixes(settings):
        own.update({prefix + path: own[path] for path in html})
    return own


def _linked(writer: Any, page: Page) -> bool:
    """Link an unchanged data file (and its twins) from the previous build; True if done."""
    return bool(writer.link_unchanged(page.path, translated=page.renderer in TRANSLATED))


def write_listings(generator: Any, writer: Any) -> None:
    """Render every listing page of the site; save the state when asked to."""
    settings = generator.settings
    state_prefix = settings.get("HIROBA_STATE_PREFIX") or ""
    before: dict[str, list[int]] = settings.get("HIROBA_SOURCE_STATS") or {}
    posts: dict[str, dict[str, Any]] = {}
    entries = []
    written = chain(generator.articles, generator.hidden_articles)
    for article in chain(written, generator.drafts):
        source = _source(generator, article)
        with open(article.source_path, "rb") as handle:
            digest = source_digest(source, handle.read())
        entry = None
        if article.status in ("published", "hidden"):
            entry = entry_from_article(article, source, digest)
            entries.append(entry)
        stat = post_stat(article.source_path)
        # A file that changed while the build read it is recorded as unknown: the next
        # incremental publication reads it again.
        known = stat is not None and before.get(source) == stat
        posts[source] = {
            "stat": stat if known else None,
            "digest": digest if known else None,
            "entry": entry,
        }
    today = site_today(settings)
    urls = page_urls(generator.context.get("pages", []))
    profiles = load_profiles(settings)
    sections = plan_sections(membership(entries), Context(settings, today, profiles), urls)
    pages = {path: page for found in sections.values() for path, page in found.items()}
    signatures: dict[str, str] = {}
    reuse = settings.get("HIROBA_REUSE") and getattr(writer, "keep_unchanged", None)
    if state_prefix or reuse:
        signatures = signatures_of(entries, pages, settings)
    if reuse:  # the i18n writer links what did not change from the previous build
        reuse(signatures)
    for page in pages.values():
        if not (reuse and page.renderer != "html" and _linked(writer, page)):
            render_page(page, generator, writer, generator.context)
    if state_prefix:
        meta = {
            "version": STATE_VERSION,
            "fingerprint": settings.get("HIROBA_FINGERPRINT", ""),
            "today": today.isoformat(),
            "inputs": inputs_digest(settings, profiles),
        }
        state = dict(meta, posts=posts, sections=section_paths(sections))
        save_state(state_prefix, state, dict(meta, signatures=signatures))


def save_state(prefix: str, state: dict[str, Any], signatures: dict[str, Any]) -> None:
    """Write <prefix>.state.pickle (posts and their entries), then <prefix>.sigs.json.

    The posts' entries are Entry objects; they are saved as snapshots (plain values, with
    what the renderers worked out from them), in a pickle: at 10,000 posts JSON took a
    tenth of a second each way. Only the worker writes and reads these files, beside the
    build folders and outside what is served.
    """
    posts = {
        source: dict(post, entry=post["entry"].snapshot() if post["entry"] else None)
        for source, post in state["posts"].items()
    }
    data = pickle.dumps(dict(state, posts=posts), protocol=pickle.HIGHEST_PROTOCOL)
    sigs = json.dumps(signatures, ensure_ascii=False, separators=(",", ":")).encode()
    for suffix, payload in ((".state.pickle", data), (".sigs.json", sigs)):
        path = prefix + suffix
        with open(path + ".tmp", "wb") as handle:
            handle.write(payload)
        os.replace(path + ".tmp", path)


def index_full(output_path: str, state_prefix: str, binary: str = "", previous: str = "") -> None:
    """Index a finished site for full-text search (Pagefind: binary, or the wheel's), with an
    empty delta (searchfresh).

    previous: an earlier build folder of the same configuration; when its index is a fresh
    Pagefind run over the same pages (pagefind.reuse_index), that index is copied instead.
    """
    if not (previous and reuse_index(output_path, previous, searchfresh.is_fresh(previous))):
        index_site(output_path, binary=binary)
    searchfresh.after_full_index(output_path, state_prefix)


def index_search(pelican: Any) -> None:
    """Index the finished site at the end of the build, unless the build code does it once
    Pelican's process has ended (HIROBA_SEARCH_LATER: worker/build/full.py)."""
    if not pelican.settings.get("HIROBA_SEARCH_LATER"):
        index_full(
            pelican.output_path,
            pelican.settings.get("HIROBA_STATE_PREFIX") or "",
            pelican.settings.get("PAGEFIND_BINARY") or "",
        )


def register() -> None:
    """Connect the plugin to the end of Pelican's article writer and of the build."""
    signals.article_writer_finalized.connect(write_listings)
    signals.finalized.connect(index_search)
