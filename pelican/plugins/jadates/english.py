"""The same dates for the site's English pages: Sat 5 December 2026, 14:00–16:00.

``localized`` wraps each Japanese filter of the plugin in one that reads the page's
``LANG`` (set by the i18n plugin's writer), so templates keep writing ``|jaspan`` and get
the reader's convention in either language. Like the Japanese ones, these never raise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context

from intake.formatting import dates

RANGE_SEPARATOR = dates.RANGE_SEPARATORS["en"]  # an en dash, as English style writes a range


def _date_text(day: dt.date) -> str:
    return dates.format_date(day, "en")


def _time_text(moment: dt.time) -> str:
    return dates.format_time(moment)


def endate(parse: Callable[[Any], Any], value: Any) -> str:
    """Format a date as Sat 5 December 2026."""
    parsed = parse(value)
    return _date_text(parsed[0]) if parsed else ("" if value is None else str(value))


def endatetime(parse: Callable[[Any], Any], value: Any) -> str:
    """Format a date and time as Sat 5 December 2026, 14:00."""
    parsed = parse(value)
    if parsed is None:
        return "" if value is None else str(value)
    day, moment = parsed
    return _date_text(day) + (f", {_time_text(moment)}" if moment is not None else "")


def enspan(parse: Callable[[Any], Any], starts: Any, ends: Any = None) -> str:
    """Format a span: Sat 5 December 2026, 14:00–16:00; the end date only when it differs."""
    start = parse(starts)
    if start is None:
        return "" if starts is None else str(starts)
    if ends in (None, ""):
        return endatetime(parse, starts)
    end = parse(ends)
    if end is None:
        return f"{endatetime(parse, starts)} {RANGE_SEPARATOR} {ends}"
    return dates.format_time_range(dates.moment(*start), dates.moment(*end), "en")


def year_month(year: Any, month: Any, lang: str = "ja") -> str:
    """Return 2026年12月, or December 2026 in English."""
    try:
        return dates.format_month(int(year), int(month), lang)
    except (TypeError, ValueError):
        return f"{year}-{month}"


def weekday_name(index: Any, lang: str = "ja") -> str:
    """Return a weekday's short name (0 is Monday): 土, or Sat in English."""
    try:
        number = int(index)
    except (TypeError, ValueError):
        return str(index)
    return dates.weekday_name(number, lang)


def localized(japanese: Callable[..., str], english: Callable[..., str]) -> Callable[..., str]:
    """Return a filter that formats the Japanese way unless the page's LANG is en."""

    @pass_context
    def apply(context: Context, *args: Any) -> str:
        return english(*args) if context.get("LANG") == "en" else japanese(*args)

    apply.__doc__ = japanese.__doc__
    return apply


def with_lang(function: Callable[..., str]) -> Callable[..., str]:
    """Return a filter that passes the page's LANG to function as its last argument."""

    @pass_context
    def apply(context: Context, *args: Any) -> str:
        return function(*args, lang=context.get("LANG") or "ja")

    apply.__doc__ = function.__doc__
    return apply
