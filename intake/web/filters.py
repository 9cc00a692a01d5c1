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


def jaspan(starts: datetime | None, ends: datetime | None = None) -> str:
    """Format an event's time as 2026年12月5日(土) 14:00〜16:00 (Sat 5 December 2026,
    14:00–16:00), naming the end's day only when it differs, as the site's pages do."""
    if starts is None:
        return ""
    return dates.format_time_range(starts, ends, _request_language())


def jadate(value: date | None, weekday: bool = True) -> str:
    """Format a day as 2026年12月5日(土) (2026年12月5日 without the weekday), or in English."""
    if value is None:
        return ""
    return dates.format_date(value, _request_language(), weekday=weekday)


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
