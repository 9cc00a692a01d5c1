"""Render one planned page: a theme template through Pelican's writer, or a data file."""

from __future__ import annotations

import datetime as dt
import html
import json
import os
from dataclasses import replace
from typing import Any
from xml.sax.saxutils import escape

from feedgenerator import Atom1Feed, get_tag_uri

from .entries import Entry
from .ical import ical_bytes
from .plan import Page

EMPTY_FEED_DATE = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


class _StableAtomFeed(Atom1Feed):
    """An Atom feed whose <updated> never depends on the clock (an empty feed included)."""

    def latest_post_date(self) -> dt.datetime:
        dates = [item["pubdate"] for item in self.items if item.get("pubdate")]
        return max(dates) if dates else EMPTY_FEED_DATE


def _absolute(base: str, path: str) -> str:
    return f"{base.rstrip('/')}/{path}"


def feed_bytes(page: Page, settings: dict[str, Any]) -> bytes:
    """Return an Atom feed of the page's entries (plain-text summaries, escaped)."""
    siteurl = settings.get("SITEURL", "")
    domain = settings.get("FEED_DOMAIN") or siteurl
    feed = _StableAtomFeed(
        title=f"{settings.get('SITENAME', '')} - {page.data['title']}",
        link=_absolute(siteurl, ""),
        feed_url=_absolute(domain, page.path),
        description=settings.get("SITESUBTITLE", ""),
        language=settings.get("DEFAULT_LANG"),
    )
    for entry in page.data["items"]:
        link = _absolute(siteurl, entry.url)
        published = dt.datetime.fromisoformat(entry.date)
        feed.add_item(
            title=entry.title,
            link=link,
            unique_id=get_tag_uri(link, published),
            description=html.escape(entry.summary, quote=False),
            pubdate=published,
            categories=[settings.get("HIROBA_KINDS", {}).get(entry.kind, entry.kind)],
        )
    return feed.writeString("utf-8").encode("utf-8")


SEARCH_FIELDS = ("id", "url", "kind", "title", "summary", "starts", "ends", "place", "topic",
                 "topic_label", "area", "area_label", "organizer", "date")  # fmt: skip
# Inside the rows these characters are written as \\u escapes, so no text of a post can
# look like markup or a script URL to anything that sniffs the file.
_JSON_ESCAPES = (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"), ("=", "\\u003d"),
                 (":", "\\u003a"))  # fmt: skip


def _row(entry: Entry, siteurl: str, topics: dict, areas: dict) -> list[str]:
    topic, area = topics.get(entry.topic, entry.topic), areas.get(entry.area, entry.area)
    return [entry.slug, _absolute(siteurl, entry.url), entry.kind, entry.title, entry.summary,
            entry.starts, entry.ends, entry.place, entry.topic, topic, entry.area, area,
            entry.organizer, entry.date]  # fmt: skip


def search_bytes(page: Page, settings: dict[str, Any]) -> bytes:
    """Return the search index: public fields of every listed item, one row each.

    ``{"fields": [...], "items": [[...], ...]}``: rows are arrays in the order of
    ``fields`` (smaller and faster than one object per item), soonest first.
    """
    siteurl = settings.get("SITEURL", "")
    topics, areas = settings.get("HIROBA_TOPICS", {}), settings.get("HIROBA_AREAS", {})
    rows = []
    for entry in page.data["items"]:
        row = entry.memo.get("search_row")
        if row is None:  # worked out once per entry; the saved state keeps it (as bytes)
            text = json.dumps(_row(entry, siteurl, topics, areas), ensure_ascii=False,
                              separators=(",", ":"))  # fmt: skip
            for char, escaped in _JSON_ESCAPES:  # an array: no ":" of JSON's own
                text = text.replace(char, escaped)
            row = entry.memo["search_row"] = text.encode()
        rows.append(row)
    head = json.dumps(list(SEARCH_FIELDS), separators=(",", ":")).encode()
    return b'{"fields":' + head + b',"items":[' + b",".join(rows) + b"]}\n"


def sitemap_bytes(page: Page, settings: dict[str, Any]) -> bytes:
    """Return sitemap.xml: listing pages, hand-written pages and every item's page, in every
    language of the site."""
    siteurl = settings.get("SITEURL", "")
    lines = [b'<?xml version="1.0" encoding="UTF-8"?>',
             b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']  # fmt: skip
    default = settings.get("DEFAULT_LANG") or "ja"
    others = [lang for lang in settings.get("HIROBA_LANGUAGES") or {} if lang != default]
    prefixes = ["", *(f"{lang}/" for lang in others)]
    for prefix in prefixes:  # every page in every language (/ and /en/)
        for url in page.data["urls"]:
            loc = escape(_absolute(siteurl, prefix + url))
            lines.append(f"<url><loc>{loc}</loc></url>".encode())
        for entry in page.data["items"]:
            line = entry.memo.get("sitemap:" + prefix)
            if line is None:  # worked out once per entry; the saved state keeps it
                loc = escape(_absolute(siteurl, prefix + entry.url))
                line = f"<url><loc>{loc}</loc><lastmod>{entry.date[:10]}</lastmod></url>".encode()
                entry.memo["sitemap:" + prefix] = line
            lines.append(line)
    lines.append(b"</urlset>")
    return b"\n".join(lines) + b"\n"


def robots_bytes(page: Page, settings: dict[str, Any]) -> bytes:
    """Return robots.txt: everything may be crawled; the intake app may not; the sitemap."""
    siteurl = settings.get("SITEURL", "")
    intake = settings.get("HIROBA_INTAKE_URL", "/app").rstrip("/")
    text = f"User-agent: *\nDisallow: {intake}/\n"
    if siteurl.startswith(("https://", "http://")):  # Sitemap takes an absolute URL
        text += f"Sitemap: {_absolute(siteurl, page.data['sitemap'])}\n"
    return text.encode()


# Data files a reader of another language subscribes to: written again under en/.
TRANSLATED = ("feed", "ical")
DATA_RENDERERS = {
    "feed": feed_bytes,
    "ical": ical_bytes,
    "search": search_bytes,
    "sitemap": sitemap_bytes,
    "robots": robots_bytes,
}


def write_bytes(output_path: str, rel: str, data: bytes) -> None:
    """Write a data file as a new file (never through an existing, possibly shared inode)."""
    path = os.path.join(output_path, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.lexists(path):
        os.unlink(path)
    with open(path, "wb") as handle:
        handle.write(data)


def render_page(page: Page, generator: Any, writer: Any, context: dict[str, Any]) -> None:
    """Write one planned page into the writer's output folder."""
    if page.renderer == "html":
        writer.write_file(page.path, generator.get_template(page.template), context, **page.data)
        return
    data = DATA_RENDERERS[page.renderer](page, generator.settings)
    write_bytes(writer.output_path, page.path, data)
    if page.renderer in TRANSLATED:  # the i18n writer's twins: en/feeds/..., en/calendar/...
        for folder, settings, local in writer.data_translations(page.data):
            twin = replace(page, data=local)
            data = DATA_RENDERERS[page.renderer](twin, settings)
            write_bytes(writer.output_path, folder + page.path, data)
