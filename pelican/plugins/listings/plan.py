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
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from heapq import nlargest, nsmallest
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
# Sections: the lists a plan is made of (section_keys). Facets are "<prefix>:<key>".
SITE = "site"
CALENDAR = "calendar"
KIND = "kind:"
GROUP = "group:"
ICS = "ics:"
PLAN_SETTINGS = ("HIROBA_KINDS", "FEED_MAX_ITEMS", *(f[1] for f in FACETS))
# The signature of a month page a re-plan left as it was (plan_section's months).
KEEP = "="
Months = Collection[tuple[int, int]] | None


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
    only: Months = None,
) -> None:
    """Plan a page per month (only those months, the others as KEEP: see plan_section)."""
    order = sorted(grouped)
    for n, (year, month) in enumerate(order):
        path = month_path(prefix, year, month)
        if only is not None and (year, month) not in only:
            pages[path + "index.html"] = Page(path + "index.html", "html", {}, "month", KEEP)
            continue
        items = grouped[(year, month)]
        items = (
            sorted(items, key=newest_key, reverse=True)
            if newest_first
            else sorted(items, key=start_key)
        )
        before = order[n - 1] if n else None
        after = order[n + 1] if n + 1 < len(order) else None
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


def _feed(pages: dict[str, Page], path: str, title: str, newest: list[Entry]) -> None:
    pages[path] = Page(path, "feed", {"title": title, "items": newest})


def _calendar(
    pages: dict[str, Page], dated: list[Entry], today: dt.date, only: Months = None
) -> None:
    """Plan a page per month with something on it, and the index of months.

    The index starts at the current month and goes forward in order; past months follow
    in their own list, newest first. Public holidays are named in each day's cell.
    """
    by_day: dict[dt.date, list[Entry]] = defaultdict(list)
    counts: dict[tuple[int, int], int] = defaultdict(int)  # items, counted once a day
    for entry in dated:
        for day in entry.days:
            by_day[day].append(entry)
            counts[(day.year, day.month)] += 1
    months = sorted(counts)
    links = []
    for n, (year, month) in enumerate(months):
        path = month_path("calendar", year, month) + "index.html"
        links.append({"url": month_path("calendar", year, month), "year": year,
                      "month": month, "count": counts[(year, month)]})  # fmt: skip
        if only is not None and (year, month) not in only:
            pages[path] = Page(path, "html", {}, "calendar", KEEP)
            continue
        weeks = []
        for week in calendar.Calendar(firstweekday=6).monthdatescalendar(year, month):
            row = []
            for day in week:
                items = sorted(by_day.get(day, []), key=start_key) if day.month == month else []
                row.append({"day": day.day if day.month == month else 0, "date": day.isoformat(),
                            "weekday": day.weekday(), "items": items,
                            "holiday": holiday(day) if day.month == month else None})  # fmt: skip
            weeks.append(row)
        before = months[n - 1] if n else None
        after = months[n + 1] if n + 1 < len(months) else None
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


def _soonest(items: Iterable[Entry], today: dt.date, count: int) -> list[Entry]:
    """Return the first count items not over by today, by their next date (a recurring
    item is placed by its next date, not by a first one long past)."""
    coming = (e for e in items if is_upcoming(e, today))
    return nsmallest(count, coming, key=lambda e: next_start_key(e, today))


def _newest(items: Iterable[Entry], count: int) -> list[Entry]:
    """Return the newest count items (as sorted(items, key=newest_key, reverse=True))."""
    return nlargest(count, items, key=newest_key)


@dataclass(frozen=True)
class Context:
    """What every section is planned with besides its members."""

    settings: Mapping[str, Any]
    today: dt.date
    profiles: Mapping[str, Mapping[str, Any]]

    @property
    def kinds(self) -> dict[str, str]:
        return dict(self.settings.get("HIROBA_KINDS") or {})

    @property
    def limit(self) -> int:
        return int(self.settings.get("FEED_MAX_ITEMS") or 50)


def inputs_digest(settings: Mapping[str, Any], profiles: Mapping[str, Any]) -> str:
    """Return a digest of every setting and profile a plan reads besides entries and day."""
    used = {key: settings.get(key) for key in PLAN_SETTINGS}
    text = json.dumps([used, profiles], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def section_keys(entry: Entry) -> list[str]:
    """Return the sections (lists of items) an entry is a member of.

    A section's pages show its members only (and the day, settings and profiles), so a
    change re-plans the sections of the old and the new version of what changed, and
    SITE, whose pages (home, feeds, indexes, sitemap) may show any item.
    """
    keys = [ICS + entry.source] if entry.starts else []
    if not entry.listed:  # a hidden article: its page and iCalendar file, no listing
        return keys
    keys.append(KIND + entry.kind)
    for prefix, _setting, attr, _label in FACETS:
        keys.extend(f"{prefix}:{key}" for key in getattr(entry, attr).split(","))
    if entry.organizer_id.isdigit():
        keys.append(GROUP + entry.organizer_id)
    if entry.starts:
        keys.append(CALENDAR)
    return keys


def membership(entries: Iterable[Entry]) -> dict[str, dict[str, Entry]]:
    """Return {section key: {source: entry}} for these entries."""
    found: dict[str, dict[str, Entry]] = defaultdict(dict)
    for entry in entries:
        for key in section_keys(entry):
            found[key][entry.source] = entry
    return dict(found)


def section_names(members: Mapping[str, Any], context: Context) -> list[str]:
    """Return every section of a site with these members (SITE last)."""
    names = [KIND + kind for kind in context.kinds]
    for prefix, setting, _attr, _label in FACETS:
        names.extend(f"{prefix}:{key}" for key in dict(context.settings.get(setting) or {}))
    groups = {key[len(GROUP) :] for key in members if key.startswith(GROUP)}
    names.extend(GROUP + key for key in sorted(groups | set(context.profiles), key=int))
    names.append(CALENDAR)
    names.extend(key for key in members if key.startswith(ICS))
    names.append(SITE)
    return names


def _sorted(members: Mapping[str, Mapping[str, Entry]], key: str) -> list[Entry]:
    return sorted(members.get(key, {}).values(), key=start_key)


def plan_section(
    key: str, members: Mapping[str, Mapping[str, Entry]], context: Context, months: Months = None
) -> dict[str, Page]:
    """Return the pages of one section (not SITE), signed, from its members alone.

    months: plan only these months' pages; the others come as KEEP (unsigned): when the
    section has the same months as before and none of them lost or gained a member, they
    are what they were (a month page shows its own items and its neighbours' names).
    """
    pages: dict[str, Page] = {}
    kind, _, name = key.partition(":")
    items = _sorted(members, key)
    if key.startswith(ICS):
        for entry in items:  # every dated item's own page has an iCalendar file beside it
            path = entry.page.rpartition("/")[0] + "/event.ics"
            # It shows the entry alone, so the entry's own digest is its signature.
            data = {"title": entry.title, "items": [entry]}
            pages[path] = Page(path, "ical", data, sig="ical:" + entry.sig)
    elif key.startswith(KIND):
        _kind(pages, name, context.kinds.get(name), items, context, months)
    elif key.startswith(GROUP):
        _group(pages, name, items, context)
    elif key == CALENDAR:
        _calendar(pages, items, context.today, months)
    else:
        _facet(pages, kind, name, items, context, months)
    for page in pages.values():
        if not page.sig:
            page.sig = signature(page)
    return pages


def _kind(
    pages: dict[str, Page],
    kind: str,
    label: str | None,
    items: list[Entry],
    context: Context,
    months: Months,
) -> None:
    if label is None:  # not a kind of this site
        return
    dated = kind != "notices"  # notices have no dates of their own
    grouped = _months(kind, items)
    parent = (f"{kind}/", label)
    _month_pages(pages, kind, label, parent, grouped, not dated, context.today, months)
    lead = (
        _soonest(items, context.today, UPCOMING_ON_LISTS)
        if dated
        else _newest(items, UPCOMING_ON_LISTS)
    )
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
    _feed(pages, feed, label, _newest(items, context.limit))


def _facet(
    pages: dict[str, Page],
    prefix: str,
    key: str,
    items: list[Entry],
    context: Context,
    months: Months,
) -> None:
    facet = next((f for f in FACETS if f[0] == prefix), None)
    labels: dict[str, str] = dict(context.settings.get(facet[1]) or {}) if facet else {}
    if facet is None or key not in labels:  # not a key of this site
        return
    label, facet_label = labels[key], facet[3]
    base = f"{prefix}/{key}"
    grouped = _months(base, items)
    heading = f"{facet_label}：{label}"
    parent = (f"{base}/", heading)
    _month_pages(pages, base, heading, parent, grouped, False, context.today, months)
    feed = f"feeds/{prefix}/{key}.atom.xml"
    pages[f"{base}/index.html"] = Page(
        f"{base}/index.html",
        "html",
        {
            "facet_label": facet_label,
            "label": label,
            "heading": heading,
            "lead": _soonest(items, context.today, UPCOMING_ON_LISTS),
            "months": _month_links(base, grouped),
            "feed": feed,
            "count": len(items),
        },  # fmt: skip
        "facet",
    )
    _feed(pages, feed, heading, _newest(items, context.limit))
    if prefix == "topics":
        _ical(pages, f"calendar/topics/{key}.ics", heading, items, context.today)


def _group_name(key: str, items: Iterable[Entry], context: Context) -> str:
    """The profile's name, else the name on the group's newest post."""
    profile = context.profiles.get(key)
    return profile["name"] if profile else max(items, key=newest_key).organizer


def _group(pages: dict[str, Page], key: str, items: list[Entry], context: Context) -> None:
    """Plan a group's page, Atom feed and calendar (an organizer's, or a public profile's)."""
    profile = context.profiles.get(key)
    if not items and not profile:
        return
    today = context.today
    name = _group_name(key, items, context)
    base = f"groups/{key}/"
    feed, ics = f"feeds/groups/{key}.atom.xml", f"calendar/groups/{key}.ics"
    dated = [e for e in items if e.starts]  # soonest first, as items are
    pages[base + "index.html"] = Page(
        base + "index.html",
        "html",
        {
            "group_name": name,
            "upcoming": _soonest(dated, today, UPCOMING_ON_LISTS),
            "past": list(
                islice((e for e in reversed(dated) if is_past(e, today)), UPCOMING_ON_LISTS)
            ),
            "notices": _newest((e for e in items if not e.starts), UPCOMING_ON_LISTS),
            "feed": feed,
            "ics": ics,
            "profile": profile_view(profile, context.settings) if profile else None,
        },  # fmt: skip
        "group",
    )
    _feed(pages, feed, name, _newest(items, context.limit))
    _ical(pages, ics, name, dated, today)


def plan_site_section(
    members: Mapping[str, Mapping[str, Entry]],
    context: Context,
    page_urls: list[str],
    listing_urls: Iterable[str],
) -> dict[str, Page]:
    """Return the SITE section: the pages that may show any item or count any list (home,
    the whole site's feeds and calendar, the indexes of kinds, 分野, 地域, 対象 and groups,
    the search index and the sitemap). listing_urls: the other sections' HTML pages."""
    settings, today, limit = context.settings, context.today, context.limit
    pages: dict[str, Page] = {}
    listed = sorted(
        {e.source: e for key, m in members.items() if key.startswith(KIND) for e in m.values()}
        .values(),
        key=start_key,
    )  # fmt: skip
    rows = [
        {"url": f"{kind}/", "label": label, "count": len(members.get(KIND + kind, {}))}
        for kind, label in context.kinds.items()
    ]
    pages["categories/index.html"] = Page(
        "categories/index.html", "html", {"rows": rows}, "categories"
    )
    for prefix, setting, _attr, facet_label in FACETS:
        labels: dict[str, str] = dict(settings.get(setting) or {})
        facet_rows = [
            {"url": f"{prefix}/{key}/", "label": label,
             "count": len(members.get(f"{prefix}:{key}", {}))}
            for key, label in labels.items()
        ]  # fmt: skip
        pages[f"{prefix}/index.html"] = Page(
            f"{prefix}/index.html",
            "html",
            {"facet_label": facet_label, "rows": facet_rows},
            "facets",
        )
    _directory(pages, members, context)
    _ical(pages, ICAL_ALL, "すべての予定", listed, today)
    pages[SEARCH_PAGE] = Page(SEARCH_PAGE, "html", {}, "search")
    # Sort keys end with the post's id, so the first few come out the same in any order.
    kind_items = {
        kind: members.get(KIND + kind, {}).values() for kind in ("events", "recruitment", "notices")
    }
    operator = [e for e in listed if e.operator]
    pages["index.html"] = Page(
        "index.html",
        "html",
        {
            "events": _soonest(kind_items["events"], today, UPCOMING_ON_HOME),
            "recruitment": _soonest(kind_items["recruitment"], today, UPCOMING_ON_HOME),
            "notices": _newest(kind_items["notices"], UPCOMING_ON_HOME),
            "operator_notices": _newest(operator, OPERATOR_ON_HOME),
        },
        "index",
    )
    _feed(pages, FEED_ALL, "新着情報", _newest(listed, limit))
    _feed(pages, FEED_OPERATOR, "運営からのお知らせ", _newest(operator, limit))
    everything = listed  # already soonest first
    pages[SEARCH_INDEX] = Page(SEARCH_INDEX, "search", {"items": everything})
    own = [p.path for p in pages.values() if p.renderer == "html"]
    urls = [path[: -len("index.html")] for path in [*listing_urls, *own]]
    pages[SITEMAP] = Page(
        SITEMAP, "sitemap", {"items": everything, "urls": sorted(set(urls + page_urls))}
    )
    pages[ROBOTS] = Page(ROBOTS, "robots", {"sitemap": SITEMAP})
    for page in pages.values():
        if not page.sig:
            page.sig = signature(page)
    return pages


def _directory(
    pages: dict[str, Page], members: Mapping[str, Mapping[str, Entry]], context: Context
) -> None:
    """Plan the group directory: by name, by 分野 and by 地域."""
    groups = {key[len(GROUP) :] for key in members if key.startswith(GROUP)}
    rows = []
    for key in sorted(groups | set(context.profiles), key=int):
        items = members.get(GROUP + key, {}).values()
        name = _group_name(key, items, context)
        rows.append(group_row(key, name, len(items), context.profiles.get(key)))
    rows.sort(key=lambda row: (row["name"], row["url"]))
    links, facet_pages = directory_pages(rows, context.profiles, context.settings)
    for path, data, template in facet_pages:
        pages[path] = Page(path, "html", data, template)
    pages["groups/index.html"] = Page(
        "groups/index.html", "html", {"rows": rows, **links}, "groups"
    )


def plan_sections(
    members: Mapping[str, Mapping[str, Entry]], context: Context, page_urls: list[str]
) -> dict[str, dict[str, Page]]:
    """Return every section's pages, SITE last."""
    sections = {
        key: plan_section(key, members, context)
        for key in section_names(members, context)
        if key != SITE
    }
    html = (p.path for pages in sections.values() for p in pages.values() if p.renderer == "html")
    sections[SITE] = plan_site_section(members, context, page_urls, list(html))
    return sections


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
    context = Context(settings, today, profiles or {})
    sections = plan_sections(membership(entries), context, page_urls)
    return {path: page for pages in sections.values() for path, page in pages.items()}
