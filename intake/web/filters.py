"""Jinja filters of the intake's pages: dates the Japanese or English way (intake.formatting)."""

from __future__ import annotations

from datetime import date, datetime

from flask import has_request_context

from ..formatting import dates, numbers
from .locale import select_locale


def jadatetime(value: datetime | None, lang: str | None = None) -> str:
    """Format as 2026年12月5日(土) 14:00, or Sat 5 December 2026, 14:00 on an English page.

    The time is left out at midnight. The language is the request's unless given.
    """
    if value is None:
        return ""
    if lang is None:
        lang = _request_language()
    if value.hour or value.minute:
        return dates.format_datetime(value, lang)
    return dates.format_date(value, lang)


def _when(value: date | str | None) -> date | None:
    """Read a date or date-time, or its ISO text as a post's Markdown file writes it (the
    theme's _facts.html passes that text); None for nothing or text that is no date."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    try:
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError:
        return None


def jaspan(starts: date | str | None, ends: date | str | None = None) -> str:
    """Format an event's time as 2026年12月5日(土) 14:00〜16:00 (Sat 5 December 2026,
    14:00–16:00), naming the end's day only when it differs, as the site's pages do."""
    first = _when(starts)
    if first is None:
        return ""
    return dates.format_time_range(first, _when(ends), _request_language())


def jadate(value: date | str | None, weekday: bool = True) -> str:
    """Format a day as 2026年12月5日(土) (2026年12月5日 without the weekday), or in English."""
    day = _when(value)
    if day is None:
        return ""
    return dates.format_date(day, _request_language(), weekday=weekday)


def isodate(value: date | str | None) -> str:
    """Return 2026-12-05T14:00 (2026-12-05 for a day) for <time datetime>, as the site does."""
    found = _when(value)
    if found is None:
        return ""
    if isinstance(found, datetime):
        return found.date().isoformat() + "T" + dates.format_time(found.time())
    return found.isoformat()


def occurrence_list(value: str | None) -> list[tuple[str, str]]:
    """Split an Occurrences value (start--end;start--end) into (start, end) pairs."""
    pairs = []
    for part in (value or "").split(";"):
        starts, _sep, ends = part.strip().partition("--")
        if _when(starts) is not None:
            pairs.append((starts, ends))
    return pairs


def jarule(code: str | None, starts: date | str | None) -> str:
    """Name a Recurrence rule (``<frequency>:<until>``) in words from the first start:
    毎月第2土曜日, or The 2nd Saturday of every month on an English page."""
    first = _when(starts)
    if first is None:
        return ""
    day = first.date() if isinstance(first, datetime) else first
    return dates.repeat_words((code or "").partition(":")[0], day, _request_language())


def number(value: float | None) -> str:
    """Format a count or an amount with its thousands grouped (1,234); None stays ""."""
    if value is None:
        return ""
    return numbers.format_number(value, _request_language())


def jst(value: datetime | str | None) -> datetime | None:
    """Shift a stored UTC time (a datetime or an ISO string) to Japan's time for display."""
    if value is None or value == "":
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return dates.japan_time(moment)


def _request_language() -> str:
    return select_locale() if has_request_context() else "ja"
