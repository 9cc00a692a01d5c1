"""Dates and times for people, in Japan time: 2026年12月5日(土) 14:00 / Sat 5 December 2026, 14:00.

Values the database stores as naive UTC (created_at, sent_at...) pass through ``japan_time``
first; naive values that are already Japan's wall-clock time (an event's start) are
formatted as they are; aware values are converted to Asia/Tokyo. Imports only Babel and the
stdlib: the Pelican plugins use this module too.
"""

from __future__ import annotations

import datetime as dt
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as _babel_date
from babel.dates import format_time as _babel_time

JAPAN = ZoneInfo("Asia/Tokyo")
LANGS = ("ja", "en")
DATE_PATTERNS = {"ja": "y年M月d日(E)", "en": "EEE d MMMM y"}
PLAIN_DATE_PATTERNS = {"ja": "y年M月d日", "en": "d MMMM y"}  # without the weekday
MONTH_PATTERNS = {"ja": "y年M月", "en": "MMMM y"}
SHORT_DATE_PATTERNS = {"ja": "M月d日(E)", "en": "EEE d MMMM"}
TIME_PATTERN = "HH:mm"
# Between a date and its time: 2026年12月5日(土) 14:00, Sat 5 December 2026, 14:00.
DATE_TIME_JOINS = {"ja": " ", "en": ", "}
# A range: 14:00〜16:00 in Japanese; an en dash in English, spaced between two dates.
RANGE_SEPARATORS = {"ja": "〜", "en": "–"}
DAY_RANGE_SEPARATORS = {"ja": "〜", "en": " – "}
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M"  # exports and reports: sortable, Japan time


@cache
def _locale(lang: str | None) -> Locale:
    """Return Babel's locale for lang, parsed once (a full build formats ~100,000 dates)."""
    return Locale.parse(lang or "ja")


@lru_cache(maxsize=16384)
def _pattern_date(day: dt.date, pattern: str, lang: str) -> str:
    """Return Babel's rendering of a day; kept, since a listing writes the same few days
    hundreds of times (a month page at 10,000 events: 400 items on 30 days)."""
    return _babel_date(day, pattern, locale=_locale(lang))


@lru_cache(maxsize=4096)
def _pattern_time(moment: dt.time) -> str:
    return _babel_time(moment, TIME_PATTERN, locale=_locale("ja"))


def _lang(lang: str | None) -> str:
    return lang if lang in LANGS else "ja"


def japan_time(moment: dt.datetime) -> dt.datetime:
    """Return a stored timestamp in Japan time (a naive value is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(JAPAN)


def _local(moment: dt.datetime) -> dt.datetime:
    """Return moment as Japan's wall-clock time (naive values already are)."""
    return moment.astimezone(JAPAN) if moment.tzinfo is not None else moment


def _day(value: dt.date) -> dt.date:
    return _local(value).date() if isinstance(value, dt.datetime) else value


def moment(day: dt.date, time: dt.time | None) -> dt.date | dt.datetime:
    """Return the day, or the day at time when a time is given (for format_time_range)."""
    return dt.datetime.combine(day, time) if time is not None else day


def format_date(value: dt.date, lang: str | None = "ja", *, weekday: bool = True) -> str:
    """Return 2026年12月5日(土), or Sat 5 December 2026 in English (no weekday if False)."""
    lang = _lang(lang)
    patterns = DATE_PATTERNS if weekday else PLAIN_DATE_PATTERNS
    return _pattern_date(_day(value), patterns[lang], lang)


def format_short_date(value: dt.date, lang: str | None = "ja") -> str:
    """Return 12月5日(土), or Sat 5 December in English (the year is understood)."""
    lang = _lang(lang)
    return _pattern_date(_day(value), SHORT_DATE_PATTERNS[lang], lang)


def format_month(year: int, month: int, lang: str | None = "ja") -> str:
    """Return 2026年12月, or December 2026 in English."""
    lang = _lang(lang)
    return _pattern_date(dt.date(year, month, 1), MONTH_PATTERNS[lang], lang)


def weekday_name(index: int, lang: str | None = "ja") -> str:
    """Return a weekday's short name (0 is Monday): 土, or Sat in English."""
    lang = _lang(lang)
    day = dt.date(2024, 1, 1) + dt.timedelta(days=index % 7)  # 2024-01-01 was a Monday
    return _pattern_date(day, "E", lang)


def format_time(value: dt.time | dt.datetime) -> str:
    """Return the time of day as 14:00 (the same in both languages)."""
    moment = _local(value).time() if isinstance(value, dt.datetime) else value
    return _pattern_time(moment)


def format_datetime(value: dt.datetime, lang: str | None = "ja") -> str:
    """Return 2026年12月5日(土) 14:00, or Sat 5 December 2026, 14:00 in English."""
    lang = _lang(lang)
    moment = _local(value)
    return format_date(moment, lang) + DATE_TIME_JOINS[lang] + format_time(moment)


def format_time_range(
    starts: dt.date | dt.datetime, ends: dt.date | dt.datetime | None, lang: str | None = "ja"
) -> str:
    """Return a span, naming the end's date only when it differs from the start's.

    2026年12月5日(土) 14:00〜16:00; Sat 5 December 2026, 14:00–16:00. A date without a
    time (a whole day) is written without one.
    """
    lang = _lang(lang)
    timed = isinstance(starts, dt.datetime)
    text = (
        format_datetime(starts, lang)
        if isinstance(starts, dt.datetime)
        else format_date(starts, lang)
    )
    if ends is None:
        return text
    if _day(ends) == _day(starts):
        if timed and isinstance(ends, dt.datetime):
            return text + RANGE_SEPARATORS[lang] + format_time(ends)
        return text
    end = format_datetime(ends, lang) if isinstance(ends, dt.datetime) else format_date(ends, lang)
    return text + DAY_RANGE_SEPARATORS[lang] + end


def japan_day_start(day: dt.date) -> dt.datetime:
    """Return the moment a day begins in Japan, as the database stores it (naive UTC)."""
    return dt.datetime.combine(day, dt.time(), tzinfo=JAPAN).astimezone(dt.UTC).replace(tzinfo=None)


def japan_now() -> dt.datetime:
    """Return Japan's wall-clock time now, naive like the event times stored."""
    return dt.datetime.now(JAPAN).replace(tzinfo=None)


def japan_utc(local: dt.datetime) -> dt.datetime:
    """Return a naive Japan wall-clock time as the database stores moments (naive UTC)."""
    return local.replace(tzinfo=JAPAN).astimezone(dt.UTC).replace(tzinfo=None)


def format_timestamp(moment: dt.datetime) -> str:
    """Return a stored (UTC) timestamp as 2026-12-09 23:48 in Japan time, for exports."""
    return japan_time(moment).strftime(TIMESTAMP_FORMAT)


def month_name(month: int, lang: str | None = "ja") -> str:
    """Return a month's short name: 12月, or Dec in English (chart labels)."""
    lang = _lang(lang)
    return _babel_date(
        dt.date(2000, month, 1), "LLL" if lang == "en" else "M月", locale=_locale(lang)
    )


def ordinal(number: int) -> str:
    """Return 1st, 2nd, 3rd, 4th ... 11th ... 21st, 22nd."""
    if 10 <= number % 100 <= 20:
        return f"{number}th"
    return f"{number}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(number % 10, 'th') }"


def repeat_words(frequency: str, first: dt.date, lang: str | None = "ja") -> str:
    """Name a repeat (docs/content-format.md) from its first day: 毎月第2土曜日, or The 2nd
    Saturday of every month in English; "" for an unknown frequency."""
    nth = (first.day - 1) // 7 + 1
    if _lang(lang) == "en":
        name = _babel_date(first, "EEEE", locale=_locale("en"))
        words = {
            "weekly": f"Every {name}",
            "biweekly": f"Every other {name}",
            "monthly-nth": f"The {ordinal(nth)} {name} of every month",
            "monthly-last": f"The last {name} of every month",
            "monthly-day": f"The {ordinal(first.day)} of every month",
        }
    else:
        name = f"{weekday_name(first.weekday(), 'ja')}曜日"
        words = {
            "weekly": f"毎週{name}",
            "biweekly": f"隔週{name}",
            "monthly-nth": f"毎月第{nth}{name}",
            "monthly-last": f"毎月最終{name}",
            "monthly-day": f"毎月{first.day}日",
        }
    return words.get(frequency, "")
