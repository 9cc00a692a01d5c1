"""Which listing pages, feeds and indexes the site has, and what each one shows.

``plan`` is a pure function of the published entries, the settings and the day: the
full build renders every page it returns, and the incremental publisher renders only
the pages whose signature (a digest of exactly what the page shows) has changed.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import islice
from operator import attrgetter
from typing import Any

from .entries import Entry, is_past, is_upcoming, newest_key, next_start_key, start_key
from .holidays import holiday
from .profiles import directory_pages, group_row, profile_view

UPCOMING_ON_HOME = 10
OPERATOR_ON_HOME = 5  # 運営からのお知らせ: the newest few
FEED_OPERATOR = "feeds/operator.atom.xml"
UPCOMING_ON_LISTS = 30
# (URL prefix, setting of key -> label, Entry attribute, label); 対象 may hold several keys.
FACETS = (
    ("topics", "HIROBA_TOPICS", "topic", "分野"),
    ("areas", "HIROBA_AREAS", "area", "地域"),
    ("audiences", "HIROBA_AUDIENCES", "audience", "対象"),
)
FEED_ALL = "feeds/all.atom.xml"
SEARCH_INDEX = "search/index.json"
SITEMAP = "sitemap.xml"
ROBOTS = "robots.txt"
SEARCH_PAGE = "search/index.html"
ICAL_ALL = "calendar/all.ics"
ICAL_KEEP_DAYS = 365  # subscribable calendars keep what ended within a year


_SIG = attrgetter("sig")


@dataclass
class Page:
    """One output file: how to render it and the data it shows."""

    path: str
    renderer: str  # html (a theme template), feed, ical, search, sitemap or robots
    data: dict[str, Any]
    template: str = ""
    sig: str = field(default="")


def _canonical(value: Any) -> Any:
    """Return value with every Entry replaced by its digest (lists of entries joined)."""
    if isinstance(value, list):
        if value and isinstance(value[0], Entry):
            return "|".join(map(_SIG, value))
        return [_canonical(item) for item in value]
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in value.items()}
    if isinstance(value, Entry):
        return value.sig
    return value


def signature(page: Page) -> str:
    """Return a digest of everything the page shows (entries by their own digest)."""
    text = json.dumps([page.renderer, page.template, _canonical(page.data)])
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def month_path(prefix: str, year: int, month: int) -> str:
    """Return the URL path of a month listing under prefix (no leading slash)."""
    return f"{prefix}/{year:04d}/{month:02d}/"


def _months(prefix: str, items: Iterable[Entry]) -> dict[tuple[int, int], list[Entry]]:
    grouped: dict[tuple[int, int], list[Entry]] = defaultdict(list)
    for entry in items:
        for ym in entry.months:
            grouped[ym].append(entry)
    return grouped


def _month_links(prefix: str, grouped: Mapping[tuple[int, int], list[Entry]]) -> list[dict]:
    return [
        {"url": month_path(prefix, y, m), "year": y, "month": m, "count": len(grouped[(y, m)])}
        for (y, m) in sorted(grouped, reverse=True)
    ]


def _month_pages(
    pages: dict[str, Page],
    prefix: str,
    heading: str,
    parent: tuple[str, str],
    grouped: Mapping[tuple[int, int], list[Entry]],
    newest_first: bool,
    today: dt.date,
) -> None:
    order = sorted(grouped)
    for n, (year, month) in enumerate(order):
        items = grouped[(year, month)]
        items = (
            sorted(items, key=newest_key, reverse=True)
            if newest_first
            else sorted(items, key=start_key)
        )
        before = order[n - 1] if n else None
        after = order[n + 1] if n + 1 < len(order) else None
        path = month_path(prefix, year, month)
        pages[path + "index.html"] = Page(
            path + "index.html",
            "html",
            {
                "heading": heading,
                "parent_url": parent[0],
                "parent_label": parent[1],
                "year": year,
                "month": month,
                "items": items,
                "past": [e.slug for e in items if is_past(e, today)],
                "previous": month_path(prefix, *before) if before else "",
                "previous_label": f"{before[0]}年{before[1]}月" if before else "",
                "next": month_path(prefix, *after) if after else "",
                "next_label": f"{after[0]}年{after[1]}月" if after else "",
            },
            "month",
        )


def _lists_of(entry: Entry) -> list[tuple[str, str]]:
    """Return the lists an item is in: its kind, each 分野, 地域 and 対象 key, its group
    (and the group's notices, for an item without dates), and the whole site."""
    found = [("kind", entry.kind), ("all", "")]
    if entry.operator:
        found.append(("operator", ""))
    for prefix, _setting, attr, _label in FACETS:
        found.extend((prefix, key) for key in getattr(entry, attr).split(","))
    if entry.organizer_id.isdigit():
        found.append(("group", entry.organizer_id))
        dated = "group-dated" if entry.starts else "group-notices"
        found.append((dated, entry.organizer_id))
    return found


class _Firsts:
    """The first few items of every list at once, from one pass over all items in order.

    Each item's list keys are worked out once, so the upcoming items of every kind, 分野,
    地域, 対象 and group, and the newest of each (for the feeds), cost two sorts and two
    passes, not one sort or scan per list.
    """

    def __init__(self, listed: list[Entry]) -> None:
        self.keys = {id(entry): _lists_of(entry) for entry in listed}

    def collect(self, ordered: Iterable[Entry], limit: int) -> dict[tuple[str, str], list[Entry]]:
        """Return {list key: its first limit items, in the given order}."""
        lists: dict[tuple[str, str], list[Entry]] = defaultdict(list)
        for entry in ordered:
            for key in self.keys[id(entry)]:
                found = lists[key]
                if len(found) < limit:
                    found.append(entry)
        return lists


def _upcoming_order(listed: list[Entry], today: dt.date) -> list[Entry]:
    """Return the items not over by today, by their next date (a recurring item is placed
    by its next date, not by a first one long past)."""
    coming = [e for e in listed if is_upcoming(e, today)]
    return sorted(coming, key=lambda e: next_start_key(e, today))


def _feed(pages: dict[str, Page], path: str, title: str, newest: list[Entry]) -> None:
    pages[path] = Page(path, "feed", {"title": title, "items": newest})


def _calendar(pages: dict[str, Page], dated: list[Entry], today: dt.date) -> None:
    """Plan a page per month with something on it, and the index of months.

    The index starts at the current month and goes forward in order; past months follow
    in their own list, newest first. Public holidays are named in each day's cell.
    """
    by_day: dict[dt.date, list[Entry]] = defaultdict(list)
    for entry in dated:
        for day in entry.days:
            by_day[day].append(entry)
    months = sorted({(d.year, d.month) for d in by_day})
    links = []
    for n, (year, month) in enumerate(months):
        weeks = []
        count = 0
        for week in calendar.Calendar(firstweekday=6).monthdatescalendar(year, month):
            row = []
            for day in week:
                items = sorted(by_day.get(day, []), key=start_key) if day.month == month else []
                count += len(items)
                row.append({"day": day.day if day.month == month else 0, "date": day.isoformat(),
                            "weekday": day.weekday(), "items": items,
                            "holiday": holiday(day) if day.month == month else None})  # fmt: skip
            weeks.append(row)
        before = months[n - 1] if n else None
        after = months[n + 1] if n + 1 < len(months) else None
        path = month_path("calendar", year, month) + "index.html"
        pages[path] = Page(
            path,
            "html",
            {
                "year": year,
                "month": month,
                "weeks": weeks,
                "previous": month_path("calendar", *before) if before else "",
                "previous_label": f"{before[0]}年{before[1]}月" if before else "",
                "next": month_path("calendar", *after) if after else "",
                "next_label": f"{after[0]}年{after[1]}月" if after else "",
            },
            "calendar",
        )
        links.append({"url": month_path("calendar", year, month), "year": year,
                      "month": month, "count": count})  # fmt: skip
    current = (today.year, today.month)
    upcoming = [row for row in links if (row["year"], row["month"]) >= current]
    past = [row for row in links if (row["year"], row["month"]) < current][::-1]
    pages["calendar/index.html"] = Page(
        "calendar/index.html", "html", {"months": upcoming, "past_months": past}, "calendars"
    )


def _ical(
    pages: dict[str, Page], path: str, title: str, items: list[Entry], today: dt.date
) -> None:
    keep = today - dt.timedelta(days=ICAL_KEEP_DAYS)
    dated = [e for e in items if e.span and e.span[1] >= keep]
    pages[path] = Page(path, "ical", {"title": title, "items": sorted(dated, key=start_key)})


def _groups(
    pages: dict[str, Page],
    listed: list[Entry],
    today: dt.date,
    firsts: tuple[dict[tuple[str, str], list[Entry]], dict[tuple[str, str], list[Entry]], int],
    profiles: Mapping[str, Mapping[str, Any]],
    settings: Mapping[str, Any],
) -> None:
    """Plan the group directory: a page, an Atom feed and a calendar per organizer and per
    group with a public profile; the directory by name, by 分野 and by 地域."""
    upcoming, newest, limit = firsts
    members: dict[str, list[Entry]] = defaultdict(list)
    for entry in listed:
        if entry.organizer_id.isdigit():
            members[entry.organizer_id].append(entry)
    rows = []
    for key in sorted(set(members) | set(profiles), key=int):
        items = members.get(key, [])
        profile = profiles.get(key)
        # The profile's name, else the name on its newest post.
        name = profile["name"] if profile else max(items, key=newest_key).organizer
        base = f"groups/{key}/"
        feed, ics = f"feeds/groups/{key}.atom.xml", f"calendar/groups/{key}.ics"
        dated = [e for e in items if e.starts]  # soonest first, as listed is
        pages[base + "index.html"] = Page(
            base + "index.html",
            "html",
            {
                "group_name": name,
                "upcoming": upcoming[("group-dated", key)][:UPCOMING_ON_LISTS],
                "past": list(
                    islice((e for e in reversed(dated) if is_past(e, today)), UPCOMING_ON_LISTS)
                ),
                "notices": newest[("group-notices", key)][:UPCOMING_ON_LISTS],
                "feed": feed,
                "ics": ics,
                "profile": profile_view(profile, settings) if profile else None,
            },  # fmt: skip
            "group",
        )
        _feed(pages, feed, name, newest[("group", key)][:limit])
        _ical(pages, ics, name, dated, today)
        rows.append(group_row(key, name, len(items), profile))
    rows.sort(key=lambda row: (row["name"], row["url"]))
    links, facet_pages = directory_pages(rows, profiles, settings)
    for path, data, template in facet_pages:
        pages[path] = Page(path, "html", data, template)
    pages["groups/index.html"] = Page(
        "groups/index.html", "html", {"rows": rows, **links}, "groups"
    )


def plan(
    entries: Iterable[Entry],
    settings: Mapping[str, Any],
    today: dt.date,
    page_urls: list[str],
    profiles: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Page]:
    """Return every listing page, feed and index of the site, keyed by output path.

    profiles: the groups' public profiles by group id (profiles.load_profiles).
    """
    entries = list(entries)
    # Soonest first from the start: every list below is cut from this one in order, so
    # its own sort (kept: it is what defines the order) has next to nothing to do.
    listed = sorted((e for e in entries if e.listed), key=start_key)
    kinds: dict[str, str] = dict(settings.get("HIROBA_KINDS") or {})
    limit = int(settings.get("FEED_MAX_ITEMS") or 50)
    pages: dict[str, Page] = {}
    by_kind: dict[str, list[Entry]] = {kind: [] for kind in kinds}
    for entry in listed:
        by_kind.setdefault(entry.kind, []).append(entry)
    lists, lead_size = _Firsts(listed), max(UPCOMING_ON_LISTS, UPCOMING_ON_HOME)
    upcoming = lists.collect(_upcoming_order(listed, today), lead_size)
    newest = lists.collect(sorted(listed, key=newest_key, reverse=True), max(limit, lead_size))
    rows = []
    for kind, label in kinds.items():
        items = by_kind[kind]
        dated = kind != "notices"  # notices have no dates of their own
        grouped = _months(kind, items)
        _month_pages(pages, kind, label, (f"{kind}/", label), grouped, not dated, today)
        lead = (upcoming if dated else newest)[("kind", kind)][:UPCOMING_ON_LISTS]
        feed = f"feeds/{kind}.atom.xml"
        pages[f"{kind}/index.html"] = Page(
            f"{kind}/index.html",
            "html",
            {
                "kind": kind,
                "kind_label": label,
                "dated": dated,
                "lead": lead,
                "months": _month_links(kind, grouped),
                "feed": feed,
            },  # fmt: skip
            "category",
        )
        _feed(pages, feed, label, newest[("kind", kind)][:limit])
        rows.append({"url": f"{kind}/", "label": label, "count": len(items)})
    pages["categories/index.html"] = Page(
        "categories/index.html", "html", {"rows": rows}, "categories"
    )
    for prefix, setting, attr, facet_label in FACETS:
        labels: dict[str, str] = dict(settings.get(setting) or {})
        facet_rows = []
        members: dict[str, list[Entry]] = defaultdict(list)
        for entry in listed:
            for key in getattr(entry, attr).split(","):
                members[key].append(entry)
        for key, label in labels.items():
            items = members.get(key, [])
            base = f"{prefix}/{key}"
            grouped = _months(base, items)
            heading = f"{facet_label}：{label}"
            _month_pages(pages, base, heading, (f"{base}/", heading), grouped, False, today)
            feed = f"feeds/{prefix}/{key}.atom.xml"
            pages[f"{base}/index.html"] = Page(
                f"{base}/index.html",
                "html",
                {
                    "facet_label": facet_label,
                    "label": label,
                    "heading": heading,
                    "lead": upcoming[(prefix, key)][:UPCOMING_ON_LISTS],
                    "months": _month_links(base, grouped),
                    "feed": feed,
                    "count": len(items),
                },  # fmt: skip
                "facet",
            )
            _feed(pages, feed, heading, newest[(prefix, key)][:limit])
            if prefix == "topics":
                _ical(pages, f"calendar/topics/{key}.ics", heading, items, today)
            facet_rows.append({"url": f"{base}/", "label": label, "count": len(items)})
        pages[f"{prefix}/index.html"] = Page(
            f"{prefix}/index.html",
            "html",
            {"facet_label": facet_label, "rows": facet_rows},
            "facets",
        )
    _calendar(pages, [e for e in listed if e.starts], today)
    _groups(pages, listed, today, (upcoming, newest, limit), profiles or {}, settings)
    _ical(pages, ICAL_ALL, "すべての予定", listed, today)
    for entry in entries:
        if entry.starts:  # every dated item's own page has an iCalendar file beside it
            path = entry.page.rpartition("/")[0] + "/event.ics"
            # It shows the entry alone, so the entry's own digest is its signature.
            data = {"title": entry.title, "items": [entry]}
            pages[path] = Page(path, "ical", data, sig="ical:" + entry.sig)
    pages[SEARCH_PAGE] = Page(SEARCH_PAGE, "html", {}, "search")
    pages["index.html"] = Page(
        "index.html",
        "html",
        {
            "events": upcoming[("kind", "events")][:UPCOMING_ON_HOME],
            "recruitment": upcoming[("kind", "recruitment")][:UPCOMING_ON_HOME],
            "notices": newest[("kind", "notices")][:UPCOMING_ON_HOME],
            "operator_notices": newest[("operator", "")][:OPERATOR_ON_HOME],
        },
        "index",
    )
    _feed(pages, FEED_ALL, "新着情報", newest[("all", "")][:limit])
    _feed(pages, FEED_OPERATOR, "運営からのお知らせ", newest[("operator", "")][:limit])
    everything = listed  # already soonest first
    pages[SEARCH_INDEX] = Page(SEARCH_INDEX, "search", {"items": everything})
    listing_urls = sorted(
        p.path[: -len("index.html")] for p in pages.values() if p.renderer == "html"
    )
    pages[SITEMAP] = Page(
        SITEMAP, "sitemap", {"items": everything, "urls": sorted(set(listing_urls + page_urls))}
    )
    pages[ROBOTS] = Page(ROBOTS, "robots", {"sitemap": SITEMAP})
    for page in pages.values():
        if not page.sig:
            page.sig = signature(page)
    return pages
