"""Simple recurrences of an event, expanded to explicit dates when it is posted.

A ward's groups repeat things in a few plain ways (毎週, 隔週, 毎月第2土曜日, 毎月最終日曜日,
毎月15日), always until a stated last day. The rule is kept as a short code so it can be
shown in words and edited again, and its expansion is stored as explicit date-times:
the public site, its calendars and listings then never compute a rule of their own.

The code stored in ``posts.recurrence`` (and published as ``Recurrence``) is
``<frequency>:<YYYY-MM-DD>`` (the repeat-until day), or ``""`` for no recurrence:

| frequency | meaning (taken from the first occurrence's start) |
|---|---|
| ``weekly`` | every week on the start's weekday (毎週土曜日) |
| ``biweekly`` | every other week on the start's weekday (隔週土曜日) |
| ``monthly-nth`` | every month on the same nth weekday as the start (毎月第2土曜日; n is 1-4) |
| ``monthly-last`` | every month on the last such weekday (毎月最終日曜日; the start must be one) |
| ``monthly-day`` | every month on the start's day of the month (毎月15日; days 1-28) |

Every occurrence keeps the first one's duration, so a two-day event stays two days. Times
are naive local times in Japan (JST has no daylight saving), so no zone arithmetic is
needed. Messages are Japanese msgids marked with ``N_`` for the catalogs; the web layer
translates them (this module must not import Flask).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass

from dateutil.rrule import MONTHLY, WEEKLY, rrule, weekday
from dateutil.rrule import weekdays as WEEKDAY_OBJECTS

from ..formatting import dates

MAX_OCCURRENCES = 60
FREQUENCIES = ("weekly", "biweekly", "monthly-nth", "monthly-last", "monthly-day")


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext no-op marker
    """Mark a message for extraction; it is translated where it is shown."""
    return message


@dataclass
class RecurrenceError(ValueError):
    """A rule that cannot be expanded: which form field it concerns and why."""

    field: str  # "recurrence" or "repeat_until"
    message: str  # a msgid with %(name)s placeholders
    params: dict[str, object] = dataclasses.field(default_factory=dict)

    def __str__(self) -> str:
        return self.message % self.params if self.params else self.message


@dataclass(frozen=True)
class Rule:
    """A parsed recurrence code."""

    frequency: str
    until: dt.date

    @property
    def code(self) -> str:
        """Return the code stored in posts.recurrence."""
        return f"{self.frequency}:{self.until.isoformat()}"


def parse(code: str) -> Rule | None:
    """Return the rule of a stored code, or None for "" (no recurrence) or a code unknown."""
    frequency, _, until = (code or "").partition(":")
    if frequency not in FREQUENCIES:
        return None
    try:
        return Rule(frequency, dt.date.fromisoformat(until))
    except ValueError:
        return None


def nth_of_month(day: dt.date) -> int:
    """Return which occurrence of its weekday a day is in its month (1 for days 1-7)."""
    return (day.day - 1) // 7 + 1


def is_last_of_month(day: dt.date) -> bool:
    """Tell whether no later day of the same month has the same weekday."""
    return (day + dt.timedelta(days=7)).month != day.month


def _rrule(frequency: str, starts: dt.datetime, until: dt.date) -> rrule:
    last = dt.datetime.combine(until, dt.time(23, 59, 59))
    day: weekday = WEEKDAY_OBJECTS[starts.weekday()]
    if frequency == "weekly":
        return rrule(WEEKLY, dtstart=starts, until=last)
    if frequency == "biweekly":
        return rrule(WEEKLY, interval=2, dtstart=starts, until=last)
    if frequency == "monthly-nth":
        return rrule(MONTHLY, dtstart=starts, until=last, byweekday=day(nth_of_month(starts)))
    if frequency == "monthly-last":
        return rrule(MONTHLY, dtstart=starts, until=last, byweekday=day(-1))
    return rrule(MONTHLY, dtstart=starts, until=last, bymonthday=starts.day)


def _check_start(frequency: str, starts: dt.datetime) -> None:
    weekday_name = dates.weekday_name(starts.weekday(), "ja")
    if frequency == "monthly-nth" and nth_of_month(starts.date()) > 4:
        raise RecurrenceError(
            "recurrence",
            N_("開始日は月の第5%(weekday)s曜日です。「毎月 最終○曜日」を選んでください。"),
            {"weekday": weekday_name},
        )
    if frequency == "monthly-last" and not is_last_of_month(starts.date()):
        raise RecurrenceError(
            "recurrence",
            N_("開始日がその月の最後の%(weekday)s曜日ではありません。開始日を見直してください。"),
            {"weekday": weekday_name},
        )
    if frequency == "monthly-day" and starts.day > 28:
        raise RecurrenceError(
            "recurrence",
            N_(
                "29日以降の日付は毎月繰り返せません（ない月があるため）。別の繰り返し方を選んでください。"
            ),
        )


def expand(
    frequency: str, starts: dt.datetime, ends: dt.datetime | None, until: dt.date | None
) -> list[tuple[dt.datetime, dt.datetime | None]]:
    """Return every occurrence of a rule as (start, end) pairs, the first one being the post's.

    Raise RecurrenceError when the rule does not fit the start, the repeat-until day is
    missing or before the start, or the rule gives fewer than 2 or more than
    MAX_OCCURRENCES occurrences.
    """
    if frequency not in FREQUENCIES:
        raise RecurrenceError("recurrence", N_("繰り返し方を一覧から選んでください。"))
    if until is None:
        raise RecurrenceError(
            "repeat_until", N_("繰り返すときは繰り返しの最終日を入力してください。")
        )
    if until <= starts.date():
        raise RecurrenceError("repeat_until", N_("繰り返しの最終日は開始日より後にしてください。"))
    _check_start(frequency, starts)
    starts_list = list(
        _rrule(frequency, starts, until).xafter(starts, MAX_OCCURRENCES + 1, inc=True)
    )
    if len(starts_list) > MAX_OCCURRENCES:
        raise RecurrenceError(
            "repeat_until",
            N_("繰り返しは%(max)d回までです。繰り返しの最終日を早めてください。"),
            {"max": MAX_OCCURRENCES},
        )
    if len(starts_list) < 2:
        raise RecurrenceError(
            "repeat_until", N_("繰り返しの最終日までに2回目の開催日がありません。")
        )
    duration = ends - starts if ends else None
    if duration is not None and starts_list[0] + duration > starts_list[1]:
        raise RecurrenceError(
            "recurrence", N_("1回の開催期間が繰り返しの間隔より長くなっています。")
        )
    return [(start, start + duration if duration is not None else None) for start in starts_list]


def _stamp(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="minutes") if value else None


def encode(occurrences: list[tuple[dt.datetime, dt.datetime | None]]) -> str:
    """Return the JSON stored in posts.occurrences: [[start, end or null], ...]."""
    return json.dumps([[_stamp(s), _stamp(e)] for s, e in occurrences])


def decode(text: str) -> list[tuple[dt.datetime, dt.datetime | None]]:
    """Read posts.occurrences back; a damaged value gives no occurrences."""
    try:
        rows = json.loads(text or "[]")
        return [
            (dt.datetime.fromisoformat(s), dt.datetime.fromisoformat(e) if e else None)
            for s, e in rows
        ]
    except (ValueError, TypeError):
        return []


def describe(code: str, starts: dt.datetime | None, lang: str = "ja") -> str:
    """Return the rule in words, e.g. 毎月第2土曜日（2027年3月27日まで）; "" for none.

    In English (lang "en"): The 2nd Saturday of every month (until 27 March 2027).
    """
    rule = parse(code)
    if rule is None or starts is None:
        return ""
    words = dates.repeat_words(rule.frequency, starts.date(), lang)
    until = dates.format_date(rule.until, lang, weekday=False)
    return f"{words} (until {until})" if lang == "en" else f"{words}（{until}まで）"
