"""schema.org Event JSON-LD and Open Graph values for post pages.

Stateless Pelican plugin: adds the ``event_jsonld`` Jinja filter. It reads only the
article's public metadata (docs/content-format.md), so an event page still depends on
its own post file alone. The JSON is escaped so that no ``<``, ``>`` or ``&`` appears
inside the ``<script type="application/ld+json">`` block.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup
from pelican import signals

SCHEMA = "https://schema.org/"
MODES = {
    "offline": "OfflineEventAttendanceMode",
    "online": "OnlineEventAttendanceMode",
    "hybrid": "MixedEventAttendanceMode",
}
REPEAT = {"weekly": "P1W", "biweekly": "P2W", "monthly-nth": "P1M", "monthly-last": "P1M",
          "monthly-day": "P1M"}  # fmt: skip
_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"))


def _iso(value: Any, zone: ZoneInfo) -> str:
    text = str(value or "").strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text).isoformat()
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return ""
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).isoformat()


def _price(fee: str) -> str | None:
    """Return the price in yen when the fee text states one (無料 is 0), else None."""
    if fee.strip() in ("無料", "0", "0円"):
        return "0"
    found = re.fullmatch(r"\s*(\d[\d,]*)\s*円?\s*", fee)
    return found.group(1).replace(",", "") if found else None


def _attendance(article: Any, url: str) -> dict[str, Any]:
    """Return eventAttendanceMode and location: a Place, a VirtualLocation or both."""
    place = str(getattr(article, "place", "") or "")
    address = str(getattr(article, "place_address", "") or "")
    mode = str(getattr(article, "attendance", "") or "")
    if mode not in MODES:  # files written before Attendance existed
        mode = "offline" if place or address else "online"
    venue = {
        "@type": "Place",
        "name": place or address,
        "address": {"@type": "PostalAddress", "streetAddress": address or place,
                    "addressCountry": "JP"},
    }  # fmt: skip
    # The page says how to join (the link itself goes to applicants only).
    virtual: dict[str, Any] = {"@type": "VirtualLocation", "url": url}
    online = str(getattr(article, "online", "") or "")
    if online:
        virtual["description"] = online
    location: Any = virtual
    if place or address:
        location = {"offline": venue, "online": virtual, "hybrid": [venue, virtual]}[mode]
    return {"eventAttendanceMode": SCHEMA + MODES[mode], "location": location}


def _schedule(article: Any, zone: ZoneInfo) -> dict[str, Any] | None:
    """Return the schema.org Schedule of a recurring event (its rule and its last day)."""
    code = str(getattr(article, "recurrence", "") or "")
    frequency, _, until = code.partition(":")
    starts = str(getattr(article, "starts", "") or "")
    if frequency not in REPEAT or len(starts) < 16:
        return None
    try:
        first = dt.datetime.fromisoformat(starts)
        last = dt.date.fromisoformat(until)
    except ValueError:
        return None
    day = SCHEMA + first.strftime("%A")
    schedule: dict[str, Any] = {
        "@type": "Schedule",
        "startDate": first.date().isoformat(),
        "endDate": last.isoformat(),
        "repeatFrequency": REPEAT[frequency],
        "startTime": first.strftime("%H:%M:%S"),
        "scheduleTimezone": zone.key,
    }
    ends = str(getattr(article, "ends", "") or "")
    if len(ends) >= 16 and ends[:10] == starts[:10]:
        schedule["endTime"] = ends[11:16] + ":00"
    if frequency in ("weekly", "biweekly"):
        schedule["byDay"] = day
    elif frequency == "monthly-day":
        schedule["byMonthDay"] = first.day
    else:
        schedule["byDay"] = day
        schedule["byMonthWeek"] = -1 if frequency == "monthly-last" else (first.day - 1) // 7 + 1
    return schedule


def event_data(article: Any, settings: dict[str, Any]) -> dict[str, Any]:
    """Return the schema.org Event of an article as a dict."""
    zone = ZoneInfo(settings.get("TIMEZONE") or "Asia/Tokyo")
    site = settings.get("SITEURL", "").rstrip("/")
    url = f"{site}/{article.url}"
    starts = _iso(getattr(article, "starts", ""), zone)
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": str(article.title),
        "url": url,
        "startDate": starts,
        "endDate": _iso(getattr(article, "ends", ""), zone) or starts,
        "eventStatus": SCHEMA + "EventScheduled",
    }
    summary = str(getattr(article, "summary", "") or "")
    if summary:
        data["description"] = summary
    data.update(_attendance(article, url))
    schedule = _schedule(article, zone)
    if schedule:
        data["eventSchedule"] = schedule
    organizer = str(getattr(article, "organizer", "") or "")
    if organizer:
        data["organizer"] = {"@type": "Organization", "name": organizer}
        organizer_id = str(getattr(article, "organizer_id", "") or "")
        if organizer_id.isdigit():
            data["organizer"]["url"] = f"{site}/groups/{organizer_id}/"
    fee = str(getattr(article, "fee", "") or "")
    if fee:
        offer: dict[str, Any] = {"@type": "Offer", "description": fee, "priceCurrency": "JPY",
                                 "url": url}  # fmt: skip
        price = _price(fee)
        if price is not None:
            offer["price"] = price
        data["offers"] = offer
    # The post's images (the media plugin's items), largest variant of each.
    images = [i for i in getattr(article, "media_items", None) or [] if i.get("type") == "image"]
    if images:
        data["image"] = [f"{site}/{item['src']}" for item in images]
    return data


def event_jsonld(article: Any, settings: dict[str, Any]) -> Markup:
    """Return the article's Event as JSON safe to place inside a script element."""
    text = json.dumps(event_data(article, settings), ensure_ascii=False, separators=(",", ":"))
    for char, escaped in _ESCAPES:
        text = text.replace(char, escaped)
    return Markup(text)  # noqa: S704 - JSON with <, > and & escaped above


def add_filters(generator: Any) -> None:
    """Make the filter available to the generator's templates."""
    generator.env.filters["event_jsonld"] = partial(event_jsonld, settings=generator.settings)


def register() -> None:
    """Connect the plugin to Pelican's generator_init signal."""
    signals.generator_init.connect(add_filters)
