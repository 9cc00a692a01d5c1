"""iCalendar (RFC 5545) files: one per dated item and subscribable calendars of many."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from icalendar import Timezone

from .entries import Entry, occurrence_pairs

PRODID = "-//Hiroba//Public site//JA"
# The calendar's own words, in the language of the file (settings' DEFAULT_LANG: the
# English twins under en/ are rendered with "en").
WORDS = {
    "ja": {"online": "オンライン", "organizer": "主催：{}"},
    "en": {"online": "Online", "organizer": "Organizer: {}"},
}
# Some calendar apps render DESCRIPTION and LOCATION as HTML; iCalendar text has no escape
# for markup, so angle brackets become their full-width forms (the text still reads).
_MARKUP = str.maketrans({"<": "＜", ">": "＞"})


@functools.cache
def _vtimezone(tzid: str) -> bytes:
    """Return the VTIMEZONE block of tzid (icalendar works it out once per process)."""
    return Timezone.from_tzid(tzid).to_ical()


def _escape(text: str) -> str:
    """Escape a TEXT value (RFC 5545 3.3.11)."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _fold(line: str) -> bytes:
    """Fold a content line at 75 octets without splitting a UTF-8 character (3.1)."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return data + b"\r\n"
    parts, current, limit = [], b"", 75
    for char in line:
        encoded = char.encode("utf-8")
        if len(current) + len(encoded) > limit:
            parts.append(current)
            current, limit = b"", 74  # continuation lines start with a space
        current += encoded
    parts.append(current)
    return b"\r\n ".join(parts) + b"\r\n"


def _when(name: str, moments: list[dt.date], zone: ZoneInfo) -> tuple[str, str | None]:
    """Return a DATE or DATE-TIME property line (one or more values) and the TZID used."""
    first = moments[0]
    if not isinstance(first, dt.datetime):
        values = ",".join(m.strftime("%Y%m%d") for m in moments)
        return f"{name};VALUE=DATE:{values}", None
    if isinstance(first.tzinfo, ZoneInfo):
        values = ",".join(m.strftime("%Y%m%dT%H%M%S") for m in moments)  # type: ignore[union-attr]
        return f"{name};TZID={first.tzinfo.key}:{values}", first.tzinfo.key
    utc = ",".join(m.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ") for m in moments)  # type: ignore[union-attr,attr-defined]
    return f"{name}:{utc}", None


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


def _event(
    entry: Entry, settings: dict[str, Any], zone: ZoneInfo, host: str, zones: set[str]
) -> list[str] | None:
    """Return the content lines of one VEVENT (without BEGIN/END), noting the zones used."""
    starts = _moment(entry.starts, zone)
    if starts is None:
        return None
    lines = [f"UID:{_escape(f'{entry.kind}-{entry.slug}@{host}')}"]
    # The approval time, not the clock: the same post always gives the same bytes.
    stamp = dt.datetime.fromisoformat(entry.date).astimezone(dt.UTC)
    lines.append(f"DTSTAMP:{stamp:%Y%m%dT%H%M%SZ}")
    dates: list[tuple[str, list[dt.date]]] = [("DTSTART", [starts])]
    ends = _moment(entry.ends, zone) if entry.ends else None
    if isinstance(starts, dt.datetime) and isinstance(ends, dt.datetime) and ends > starts:
        dates.append(("DTEND", [ends]))
    elif not isinstance(starts, dt.datetime):
        last = ends if isinstance(ends, dt.date) and not isinstance(ends, dt.datetime) else starts
        dates.append(("DTEND", [max(last, starts) + dt.timedelta(days=1)]))
    # A recurring item: its other dates as RDATE (each keeps DTSTART..DTEND's duration).
    others = [_moment(start, zone) for start, _ in occurrence_pairs(entry.occurrences)]
    rdates = [moment for moment in others if moment is not None and moment != starts]
    if rdates:
        dates.append(("RDATE", rdates))
    for name, moments in dates:
        line, tzid = _when(name, moments, zone)
        lines.append(line)
        if tzid:
            zones.add(tzid)
    lines.append(f"SUMMARY:{_escape(_plain(entry.title))}")
    if entry.summary:
        lines.append(f"DESCRIPTION:{_escape(_plain(entry.summary))}")
    location = " ".join(part for part in (entry.place, entry.place_address) if part)
    words = WORDS.get(settings.get("DEFAULT_LANG") or "ja", WORDS["ja"])
    if not location and entry.attendance == "online":
        location = words["online"]
    if location:
        lines.append(f"LOCATION:{_escape(_plain(location))}")
    site = settings.get("SITEURL", "").rstrip("/")
    if site.startswith(("https://", "http://")):  # URL is a URI: only with a known origin
        lines.append(f"URL:{site}/{entry.url}")
    if entry.organizer:
        # ORGANIZER needs a mail address, which the site never publishes: CONTACT names it.
        lines.append(f"CONTACT:{_escape(_plain(words['organizer'].format(entry.organizer)))}")
    return lines


def _vevent(
    entry: Entry, settings: dict[str, Any], zone: ZoneInfo, host: str
) -> tuple[bytes, tuple[str, ...]]:
    """Return the folded VEVENT block of an entry (b"" without a start) and the zones it
    uses; worked out once per entry and kept in its memo (the saved state keeps it)."""
    lang = settings.get("DEFAULT_LANG") or "ja"
    key = "vevent" if lang == "ja" else f"vevent:{lang}"
    found = entry.memo.get(key)
    if found is None:
        zones: set[str] = set()
        lines = _event(entry, settings, zone, host, zones)
        event = b""
        if lines is not None:
            event = b"".join(_fold(line) for line in ["BEGIN:VEVENT", *lines, "END:VEVENT"])
        found = entry.memo[key] = (event, tuple(sorted(zones)))
    return found


def ical_bytes(page: Any, settings: dict[str, Any]) -> bytes:
    """Return a VCALENDAR with one VEVENT per dated item of the page (RFC 5545).

    Written directly rather than through icalendar's object model: a subscribable
    calendar holds thousands of events and is rewritten on every publication, where the
    library's per-property objects cost seconds. The tests parse every file back with
    icalendar.
    """
    zone = ZoneInfo(settings.get("TIMEZONE") or "Asia/Tokyo")
    host = urlsplit(settings.get("SITEURL", "")).hostname or "hiroba.invalid"
    name = _plain(f"{settings.get('SITENAME', '')} - {page.data['title']}")
    head = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{_escape(name)}",
        f"X-WR-TIMEZONE:{zone.key}",
    ]
    zones: set[str] = set()
    events: list[bytes] = []
    for entry in page.data["items"]:
        event, used = _vevent(entry, settings, zone, host)
        events.append(event)
        zones.update(used)
    return b"".join(
        [
            *(_fold(line) for line in head),
            *(_vtimezone(tzid) for tzid in sorted(zones)),
            *events,
            b"END:VCALENDAR\r\n",
        ]
    )
