"""iCalendar (RFC 5545) files: one per dated item and subscribable calendars of many."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from .entries import Entry

PRODID = "-//Hiroba//Public site//JA"
# Some calendar apps render DESCRIPTION and LOCATION as HTML; iCalendar text has no escape
# for markup, so angle brackets become their full-width forms (the text still reads).
_MARKUP = str.maketrans({"<": "＜", ">": "＞"})


def _plain(text: str) -> str:
    return text.translate(_MARKUP)


def _moment(value: str, zone: ZoneInfo) -> dt.date | dt.datetime | None:
    text = value.strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _event(entry: Entry, settings: dict[str, Any], zone: ZoneInfo, host: str) -> Event | None:
    starts = _moment(entry.starts, zone)
    if starts is None:
        return None
    event = Event()
    event.add("uid", f"{entry.kind}-{entry.slug}@{host}")
    # The approval time, not the clock: the same post always gives the same bytes.
    event.add("dtstamp", dt.datetime.fromisoformat(entry.date).astimezone(dt.UTC))
    event.add("dtstart", starts)
    ends = _moment(entry.ends, zone) if entry.ends else None
    if isinstance(starts, dt.datetime) and isinstance(ends, dt.datetime) and ends > starts:
        event.add("dtend", ends)
    elif not isinstance(starts, dt.datetime):
        last = ends if isinstance(ends, dt.date) and not isinstance(ends, dt.datetime) else starts
        event.add("dtend", max(last, starts) + dt.timedelta(days=1))
    event.add("summary", _plain(entry.title))
    if entry.summary:
        event.add("description", _plain(entry.summary))
    location = " ".join(part for part in (entry.place, entry.place_address) if part)
    if location:
        event.add("location", _plain(location))
    site = settings.get("SITEURL", "").rstrip("/")
    if site.startswith(("https://", "http://")):  # URL is a URI: only with a known origin
        event.add("url", f"{site}/{entry.url}")
    if entry.organizer:
        # ORGANIZER needs a mail address, which the site never publishes: CONTACT names it.
        event.add("contact", _plain(f"主催：{entry.organizer}"))
    return event


def ical_bytes(page: Any, settings: dict[str, Any]) -> bytes:
    """Return a VCALENDAR with one VEVENT per dated item of the page (RFC 5545)."""
    zone = ZoneInfo(settings.get("TIMEZONE") or "Asia/Tokyo")
    host = urlsplit(settings.get("SITEURL", "")).hostname or "hiroba.invalid"
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", _plain(f"{settings.get('SITENAME', '')} - {page.data['title']}"))
    calendar.add("x-wr-timezone", zone.key)
    for entry in page.data["items"]:
        event = _event(entry, settings, zone, host)
        if event is not None:
            calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
