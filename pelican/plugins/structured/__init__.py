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
    place = str(getattr(article, "place", "") or "")
    address = str(getattr(article, "place_address", "") or "")
    if place or address:
        data["eventAttendanceMode"] = SCHEMA + "OfflineEventAttendanceMode"
        data["location"] = {
            "@type": "Place",
            "name": place or address,
            "address": {"@type": "PostalAddress", "streetAddress": address or place,
                        "addressCountry": "JP"},
        }  # fmt: skip
    else:
        data["eventAttendanceMode"] = SCHEMA + "OnlineEventAttendanceMode"
        data["location"] = {"@type": "VirtualLocation", "url": url}
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
