"""Re-plan only what a change touches: the sections of the old and new version of each
changed entry, and SITE; every other page keeps the signature the live build saved.

A section's pages depend only on its members, the day, the settings and the groups'
profiles (plan.plan_section), and every page belongs to exactly one section. So when the
day, the settings and the profiles are those of the live build, the live build's
signatures with the touched sections' pages replaced equal a full plan's, page for page.
The caller checks those three (``Saved.usable``) and plans in full otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .entries import Entry
from .output import TRANSLATED
from .plan import (
    CALENDAR,
    ICS,
    KEEP,
    SITE,
    Context,
    Page,
    plan_section,
    plan_site_section,
    section_keys,
)

# A section's pages as the state keeps them: (path, renderer) each.
Sections = dict[str, list[tuple[str, str]]]
_TWINNED = ("html", *TRANSLATED)


def section_paths(sections: Mapping[str, Mapping[str, Page]]) -> Sections:
    """Return the state's form of planned sections (pages without their data)."""
    return {
        key: [(page.path, page.renderer) for page in pages.values()]
        for key, pages in sections.items()
        if pages
    }


@dataclass(frozen=True)
class Replanned:
    pages: dict[str, Page]  # the re-planned pages only
    signatures: dict[str, str]  # of every tracked file, as signatures_of gives for a full plan
    sections: Sections


def _paths(path: str, renderer: str, prefixes: list[str]) -> list[str]:
    """The page and its translations (the writer renders both in one call)."""
    if renderer in _TWINNED:
        return [path, *(prefix + path for prefix in prefixes)]
    return [path]


def _months(key: str, entry: Entry) -> list[tuple[int, int]]:
    """The months of a section's pages an entry is on (calendar: by its days)."""
    if key == CALENDAR:
        return sorted({(day.year, day.month) for day in entry.days})
    return [] if key.startswith(ICS) else entry.months


def replan(
    saved: tuple[Sections, dict[str, str]],
    members: dict[str, dict[str, Entry]],
    changed: Iterable[tuple[Entry | None, Entry | None]],
    context: Context,
    page_urls: list[str],
    prefixes: list[str],
) -> Replanned:
    """Re-plan the sections the changed entries (old, new) touch.

    saved: the live build's sections and signatures; members: the live build's membership
    (plan.membership), brought up to date here (only touched sections are copied).
    """
    old_sections, old_signatures = saved
    changed = list(changed)
    touched: dict[str, set[tuple[int, int]]] = {}  # section: the months changed in it
    for old, new in changed:
        for entry in (old, new):
            if entry is not None:
                for key in section_keys(entry):
                    touched.setdefault(key, set()).update(_months(key, entry))
    members = dict(members)
    for key in touched:
        members[key] = dict(members.get(key, {}))
    for old, new in changed:
        if old is not None:
            for key in section_keys(old):
                members[key].pop(old.source, None)
        if new is not None:
            for key in section_keys(new):
                members[key][new.source] = new
    for key in touched:
        if not members[key]:
            del members[key]
    sections: Sections = dict(old_sections)
    pages: dict[str, Page] = {}
    kept: set[str] = set()  # pages of untouched months: their saved signatures stay
    for key, months in touched.items():
        found = plan_section(key, members, context, months)
        rows = [(page.path, page.renderer) for page in found.values()]
        if set(rows) != set(old_sections.get(key, ())):  # a month came or went: all of it
            found = plan_section(key, members, context)
            rows = [(page.path, page.renderer) for page in found.values()]
        kept.update(page.path for page in found.values() if page.sig == KEEP)
        pages.update((path, page) for path, page in found.items() if page.sig != KEEP)
        sections[key] = rows
        if not found:
            del sections[key]
    html = [
        path
        for key, rows in sections.items()
        if key != SITE
        for path, renderer in rows
        if renderer == "html"
    ]
    site = plan_site_section(members, context, page_urls, html)
    pages.update(site)
    sections[SITE] = [(page.path, page.renderer) for page in site.values()]
    signatures = dict(old_signatures)
    for key in (*touched, SITE):
        for path, renderer in old_sections.get(key, ()):
            if path not in kept:
                for rel in _paths(path, renderer, prefixes):
                    signatures.pop(rel, None)
    for old, _new in changed:
        if old is not None:
            for rel in _paths(old.page, "html", prefixes):
                signatures.pop(rel, None)
    for _old, new in changed:
        if new is not None:
            for rel in _paths(new.page, "html", prefixes):
                signatures[rel] = new.page_sig
    for page in pages.values():
        for rel in _paths(page.path, page.renderer, prefixes):
            signatures[rel] = page.sig
    return Replanned(pages, signatures, sections)
