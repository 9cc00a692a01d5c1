"""Jinja filters that print dates the Japanese way: 2026年12月5日(土) 14:00〜16:00.

Filters never raise: a value they cannot read is rendered as it was given. The words
come from the project's one formatter, intake/formatting/dates.py (Babel and the stdlib
only, the one module of intake that pelican/ may import: STYLE.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import partial
from typing import Any

from pelican import signals

from intake.formatting.dates import (
    JAPAN,
    RANGE_SEPARATORS,
    format_date,
    format_time,
    format_time_range,
    moment,
    repeat_words,
)

BUILD_ZONE = JAPAN
RANGE_SEPARATOR = RANGE_SEPARATORS["ja"]


def _parse(value: Any) -> tuple[dt.date, dt.time | None] | None:
    """Return (date, time or None) for a date, datetime or ISO string, else None."""
    if isinstance(value, dt.datetime):
        return value.date(), value.time()
    if isinstance(value, dt.date):
        return value, None
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text), None
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.date(), parsed.time()


def _date_text(day: dt.date) -> str:
    return format_date(day, "ja")


def _time_text(moment: dt.time) -> str:
    return format_time(moment)


def _original(value: Any) -> str:
    return "" if value is None else str(value)


def jadate(value: Any) -> str:
    """Format a date as 2026年12月5日(土)."""
    parsed = _parse(value)
    return _date_text(parsed[0]) if parsed else _original(value)


def jatime(value: Any) -> str:
    """Format the time of day as 14:00, or '' for a date without a time."""
    parsed = _parse(value)
    if parsed is None:
        return _original(value)
    return _time_text(parsed[1]) if parsed[1] is not None else ""


def jadatetime(value: Any) -> str:
    """Format a date and time as 2026年12月5日(土) 14:00."""
    parsed = _parse(value)
    if parsed is None:
        return _original(value)
    day, moment = parsed
    return _date_text(day) + (f" {_time_text(moment)}" if moment is not None else "")


def jaspan(starts: Any, ends: Any = None) -> str:
    """Format a start-end span, naming the end date only when it differs."""
    start = _parse(starts)
    if start is None:
        return _original(starts)
    end = _parse(ends) if ends not in (None, "") else None
    if end is None and ends not in (None, ""):
        return f"{jadatetime(starts)}{RANGE_SEPARATOR}{_original(ends)}"
    return format_time_range(moment(*start), moment(*end) if end else None, "ja")


def isodate(value: Any) -> str:
    """Return the ISO 8601 form of a date or datetime for <time datetime>."""
    parsed = _parse(value)
    if parsed is None:
        return ""
    day, moment = parsed
    return day.isoformat() + (f"T{_time_text(moment)}" if moment is not None else "")


def upcoming(articles: Iterable[Any], today: Any = None) -> list[Any]:
    """Return articles that have not ended by ``today``, soonest first.

    An article without a readable Starts is kept and sorted last; ``today`` defaults
    to the build date in Asia/Tokyo.
    """
    if today is None:
        today = dt.datetime.now(BUILD_ZONE).date()
    elif not isinstance(today, dt.date):
        today = (_parse(today) or (dt.date.min, None))[0]
    elif isinstance(today, dt.datetime):
        today = today.date()

    keep: list[tuple[tuple[int, str], Any]] = []
    for article in articles:
        start = _parse(getattr(article, "starts", None))
        end = _parse(getattr(article, "ends", None)) or start
        if end is not None and end[0] < today:
            continue
        key = (0, isodate(getattr(article, "starts", None))) if start else (1, "")
        keep.append((key, article))
    keep.sort(key=lambda pair: pair[0])
    return [article for _, article in keep]


def occurrence_list(value: Any) -> list[tuple[str, str]]:
    """Split an Occurrences value (start--end;start--end) into (start, end) pairs."""
    pairs = []
    for part in ("" if value is None else str(value)).split(";"):
        starts, _, ends = part.strip().partition("--")
        if _parse(starts) is not None:
            pairs.append((starts, ends))
    return pairs


def jarule(code: Any, starts: Any, lang: str = "ja") -> str:
    """Name a Recurrence rule in words from the first start: 毎月第2土曜日 (The 2nd Saturday
    of every month in English); "" if unknown.

    The codes are those of docs/content-format.md (``<frequency>:<until>``).
    """
    parsed = _parse(starts)
    if parsed is None:
        return ""
    frequency = ("" if code is None else str(code)).partition(":")[0]
    return repeat_words(frequency, parsed[0], lang)


FILTERS = {
    "jadate": jadate,
    "jatime": jatime,
    "jadatetime": jadatetime,
    "jaspan": jaspan,
    "isodate": isodate,
    "upcoming": upcoming,
    "occurrence_list": occurrence_list,
    "jarule": jarule,
}


def add_filters(generator: Any) -> None:
    """Make the filters available to every template of ``generator``.

    The date and rule filters follow the page's LANG (English pages: Sat 5 Dec 2026,
    14:00–16:00; Every Friday);
    the functions above stay Japanese for Python callers.
    """
    from .english import (
        endate,
        endatetime,
        enspan,
        localized,
        weekday_name,
        with_lang,
        year_month,
    )

    generator.env.filters.update(FILTERS)
    generator.env.filters.update(
        jadate=localized(jadate, partial(endate, _parse)),
        jadatetime=localized(jadatetime, partial(endatetime, _parse)),
        jaspan=localized(jaspan, partial(enspan, _parse)),
        jarule=localized(jarule, partial(jarule, lang="en")),
        year_month=with_lang(year_month),
        weekday_name=with_lang(weekday_name),
    )


def register() -> None:
    """Connect the plugin to Pelican's generator_init signal."""
    signals.generator_init.connect(add_filters)
