"""A post as the public site will show it, for the moderator's desk: its body and its facts.

The site build reads the worker's Markdown file with Pelican's Markdown reader and the
deployment's `pelicanconf.py`, and the sanitize plugin cleans the HTML. This module uses
the same two: the settings Pelican reads from that file and the plugin Pelican loads from
its `PLUGIN_PATHS`, so the desk cannot drift from the site.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from markdown import Markdown
from pelican.plugins._utils import load_plugins
from pelican.readers import MarkdownReader
from pelican.settings import read_settings

from ..controls import xml_safe
from ..taxonomy import KIND_SEGMENTS
from .recurrence import decode
from .services import PostData

# The reader's own extension reads "Key: value" lines of the file's head; the worker writes
# that head, so the body is never read as metadata, and here there is no head at all.
_META = "markdown.extensions.meta"


@cache
def site_settings(pelicanconf: Path) -> dict[str, Any]:
    """Return the settings the site build reads from the deployment's pelicanconf.py."""
    return dict(read_settings(str(pelicanconf)))


def kind_names(pelicanconf: Path, lang: str) -> dict[str, str]:
    """Return one item's kind by its URL segment, as the site's page in lang names it
    (pelicanconf HIROBA_KINDS; in English HIROBA_KIND_NAMES_EN over HIROBA_KINDS_EN)."""
    settings = site_settings(pelicanconf)
    names = dict(settings.get("HIROBA_KINDS") or {})
    if lang != "ja":
        names |= dict(settings.get("HIROBA_KINDS_EN") or {})
        names |= dict(settings.get("HIROBA_KIND_NAMES_EN") or {})
    return names


@cache
def _site_rendering(pelicanconf: Path) -> tuple[dict[str, Any], Callable[[str], str]]:
    """Return the Markdown settings and the HTML cleaner the site build uses."""
    settings = read_settings(str(pelicanconf))
    MarkdownReader(settings)  # completes settings["MARKDOWN"] the way the build's reader does
    markdown = dict(settings["MARKDOWN"])
    markdown["extensions"] = [e for e in markdown.get("extensions", []) if e != _META]
    plugins = load_plugins(settings)
    sanitize = next(p for p in plugins if p.__name__.rpartition(".")[2] == "sanitize")
    clean: Callable[[str], str] = sanitize.clean_html
    return markdown, clean


def body_html(pelicanconf: Path, body: str) -> str:
    """Return a post's body rendered and cleaned as on its public page (safe to show)."""
    markdown, clean = _site_rendering(pelicanconf)
    text = xml_safe((body or "").replace("\r\n", "\n")).strip()  # as worker/content writes it
    return clean(Markdown(**markdown).convert(text))


@dataclass(frozen=True)
class Category:
    """The post's kind as Pelican names it: the site's URL segment (events, notices...)."""

    slug: str


@dataclass(frozen=True)
class PageFacts:
    """A post's metadata as Pelican gives it to the theme's _facts.html: the fields and the
    text of worker/content/posts.py's public_fields, here from the version being reviewed
    (tests/test_moderation_desk.py compares the preview with the built page)."""

    category: Category
    date: datetime
    title: str = ""
    summary: str = ""
    starts: str = ""
    ends: str = ""
    recurrence: str = ""
    occurrences: str = ""
    place: str = ""
    place_address: str = ""
    attendance: str = ""
    online: str = ""
    fee: str = ""
    capacity: str = ""
    topic: str = ""
    area: str = ""
    audience: str = ""
    operator: str = ""
    organizer: str = ""
    organizer_id: str = ""
    contact: str = ""


def _stamp(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%dT%H:%M") if value else ""


def _occurrences(stored: str) -> str:
    return ";".join(
        _stamp(start) + (f"--{_stamp(end)}" if end else "") for start, end in decode(stored)
    )


def _line(value: str) -> str:
    return " ".join(xml_safe(value or "").split())


def page_facts(
    data: PostData, organizer: str, organizer_id: int, from_operator: bool, approved: datetime
) -> PageFacts:
    """Return the facts the public page will show of data, approved at ``approved``."""
    return PageFacts(
        category=Category(KIND_SEGMENTS.get(data.kind, data.kind)),
        date=approved,
        title=_line(data.title),
        summary=_line(data.summary or data.title),  # as Summary: the title when none
        starts=_stamp(data.starts_at),
        ends=_stamp(data.ends_at),
        recurrence=_line(data.recurrence) if data.starts_at else "",
        occurrences=_occurrences(data.occurrences) if data.recurrence else "",
        place=_line(data.place_name),
        place_address=_line(data.place_address),
        attendance=_line(data.attendance) if data.kind != "notice" else "",
        online=_line(data.online_details) if data.attendance != "offline" else "",
        fee=_line(data.fee),
        capacity=str(data.capacity) if data.capacity is not None else "",
        topic=_line(data.topic),
        area=_line(data.area),
        audience=_line(data.audience),
        operator="yes" if from_operator else "",
        organizer="" if from_operator else _line(organizer),
        organizer_id="" if from_operator else str(organizer_id),
        contact=_line(data.contact_public),
    )
