"""The listings plugin's interface to the worker's incremental publisher, typed for mypy.

The worker never imports this plugin by name: it takes the module Pelican loaded (so the
entries and pages it handles are the plugin's own classes) and calls only what
``Listings`` offers. Each method calls the same function the full build runs, so both
paths write the same bytes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import (
    STATE_VERSION,
    index_full,
    language_prefixes,
    page_urls,
    post_stat,
    save_state,
    searchfresh,
    signatures_of,
    site_today,
)
from .entries import Entry, entry_from_article, source_digest
from .output import render_page
from .pagefind import index_site
from .plan import Context, Page, inputs_digest, membership, plan_sections
from .profiles import load_profiles
from .replan import Sections, replan, section_paths

__all__ = ["Entry", "Listings", "Page", "SearchRefresh", "SitePlan"]


@dataclass(frozen=True)
class SitePlan:
    """Every listing page of a site and the signature of every tracked output file."""

    today: dt.date
    pages: dict[str, Page]
    signatures: dict[str, str]
    language_prefixes: list[str]  # the folders of the other languages ("en/")
    sections: Sections  # each section's pages (path, renderer), for the next re-plan
    inputs: str  # digest of the settings and profiles planned with (plan.inputs_digest)
    replanned: bool = False  # only the sections a change touched were planned


@dataclass(frozen=True)
class SearchRefresh:
    """A build's new search state, and what its delta holds (None: Pagefind ran instead)."""

    state: dict[str, Any]
    counts: dict[str, int] | None


class Listings:
    """What the incremental publisher may call: the plugin's functions, with their types."""

    STATE_VERSION: int = STATE_VERSION

    @staticmethod
    def restore_entry(snapshot: dict[str, Any] | Entry) -> Entry:
        """Rebuild an entry from a saved state's snapshot."""
        return Entry.restore(snapshot)

    @staticmethod
    def source_digest(source: str, data: bytes) -> str:
        """Return the digest of a post file: the signature of its own page."""
        return source_digest(source, data)

    @staticmethod
    def post_stat(path: str) -> list[int] | None:
        """Return a post file's inode, size and modification time (None when it is gone)."""
        return post_stat(path)

    @staticmethod
    def entry_from_article(article: Any, source: str, digest: str) -> Entry:
        """Return the public entry of a Pelican article."""
        return entry_from_article(article, source, digest)

    @staticmethod
    def membership(entries: list[Entry]) -> dict[str, dict[str, Entry]]:
        """Return {section: {source: entry}}: what a re-plan starts from (plan.membership)."""
        return membership(entries)

    @staticmethod
    def plan_site(
        entries: Iterable[Entry],
        settings: dict[str, Any],
        hand_written: list[Any],
        previous: dict[str, Any] | None = None,
    ) -> SitePlan:
        """Plan every listing page for these entries as the full build does (today's date,
        the groups' profiles, the hand-written pages' URLs).

        previous: the live build's {"state", "signatures", "members", "changed"} (members:
        membership() of its entries; changed: [(old entry, new entry)], None for none).
        When its day, settings and profiles are today's, only the sections the changed
        entries touch are planned (replan.py); the signatures are those of a full plan.
        """
        today = site_today(settings)
        # Group profiles (content/groups.json) are read whole each time: a profile change
        # only alters the signatures of the pages that show it.
        profiles = load_profiles(settings)
        context = Context(settings, today, profiles)
        inputs = inputs_digest(settings, profiles)
        prefixes = language_prefixes(settings)
        urls = page_urls(hand_written)
        state = (previous or {}).get("state") or {}
        if (
            previous is not None
            and state.get("sections") is not None
            and state.get("inputs") == inputs
            and state.get("today") == today.isoformat()
            and previous["signatures"].get("inputs") == inputs
            and previous["signatures"].get("today") == today.isoformat()
        ):
            done = replan(
                (state["sections"], previous["signatures"]["signatures"]),
                previous["members"],
                previous["changed"],
                context,
                urls,
                prefixes,
            )
            return SitePlan(
                today, done.pages, done.signatures, prefixes, done.sections, inputs, True
            )
        entries = list(entries)
        sections = plan_sections(membership(entries), context, urls)
        pages = {path: page for found in sections.values() for path, page in found.items()}
        signatures: dict[str, str] = signatures_of(entries, pages, settings)
        return SitePlan(today, pages, signatures, prefixes, section_paths(sections), inputs)

    @staticmethod
    def render_page(page: Page, generator: Any, writer: Any, context: dict[str, Any]) -> None:
        """Write one planned page with Pelican's writer."""
        render_page(page, generator, writer, context)

    @staticmethod
    def language_prefixes(settings: dict[str, Any]) -> list[str]:
        """Return the folders of the site's other languages ("en/")."""
        return language_prefixes(settings)

    @staticmethod
    def save_state(prefix: str, state: dict[str, Any], signatures: dict[str, Any]) -> None:
        """Write a build's state and signatures files beside it."""
        save_state(prefix, state, signatures)

    @staticmethod
    def refresh_search(
        target: Path,
        live: tuple[Path, dict[str, str]],
        live_state: dict[str, Any] | None,
        signatures: dict[str, str],
        fresh: tuple[Path, dict[str, Any], dict[str, str]] | None,
        max_pages: int = searchfresh.MAX_DELTA_PAGES,
        binary: str = "",
    ) -> SearchRefresh:
        """Bring target's search up to date: a delta over the live index of at most
        max_pages pages, or else Pagefind (binary) over all its pages (counts None)."""
        result = searchfresh.refresh(target, live, live_state, signatures, fresh, max_pages)
        if result is not None:
            return SearchRefresh(*result)
        index_site(str(target), binary=binary)
        searchfresh.write_delta(target, searchfresh.EMPTY_DELTA)
        return SearchRefresh(searchfresh.new_state(target), None)

    @staticmethod
    def index_full(
        output_path: Path, state_prefix: str, binary: str = "", previous: Path | None = None
    ) -> None:
        """Index a finished full build for full-text search, as its end would have (or copy
        previous's index when it is a fresh one of the same pages)."""
        index_full(str(output_path), state_prefix, binary, str(previous or ""))

    @staticmethod
    def index_in_background(folder: Path, binary: str = "") -> dict[str, Any]:
        """Run Pagefind (binary) at low priority over folder; return its new search state."""
        index_site(str(folder), background=True, binary=binary)
        return searchfresh.new_state(folder)

    @staticmethod
    def write_search_state(prefix: str, state: dict[str, Any]) -> None:
        """Write a build's search state file beside it."""
        searchfresh.write_state(prefix, state)
