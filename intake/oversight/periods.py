"""The period a ward report covers: a fiscal year (April to March), a month, or any range.

Days are Japanese days (JST). The database keeps UTC without a zone, so a period's
bounds are turned into UTC for the columns written by the application (`utc_bounds`);
event dates (`posts.starts_at`) are local times as entered and use `local_bounds`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ..formatting import dates
from ..validation import N_

FISCAL_START_MONTH = 4  # the Japanese fiscal year (年度) starts in April
MAX_DAYS = 366 * 5  # a longer range is refused: a report of five years at most


class PeriodError(ValueError):
    """A period that cannot be read; the message is a msgid for the form."""


@dataclass(frozen=True)
class Period:
    """The days from start to end, both included."""

    start: date
    end: date

    def months(self) -> list[Period]:
        """Return the calendar months this period touches, each clipped to the period."""
        out: list[Period] = []
        first = self.start
        while first <= self.end:
            following = _next_month(first)
            out.append(Period(first, min(self.end, following - timedelta(days=1))))
            first = following
        return out

    def local_bounds(self) -> tuple[datetime, datetime]:
        """Return [start, end) as naive local (JST) times."""
        start = datetime(self.start.year, self.start.month, self.start.day)
        end = datetime(self.end.year, self.end.month, self.end.day) + timedelta(days=1)
        return start, end

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """Return [start, end) as naive UTC times, as the database stores them."""
        start, end = self.local_bounds()
        return _utc(start), _utc(end)

    @property
    def key(self) -> str:
        """Name a month of a report by its first day's year and month: "2026-04"."""
        return f"{self.start.year:04d}-{self.start.month:02d}"


def _utc(local: datetime) -> datetime:
    return dates.japan_utc(local)


def _next_month(day: date) -> date:
    if day.month == 12:
        return date(day.year + 1, 1, 1)
    return date(day.year, day.month + 1, 1)


def fiscal_year(year: int) -> Period:
    """Return the fiscal year (年度) named by the calendar year it starts in."""
    return Period(
        date(year, FISCAL_START_MONTH, 1), date(year + 1, FISCAL_START_MONTH, 1) - timedelta(days=1)
    )


def fiscal_year_of(day: date) -> int:
    """Return the fiscal year a day belongs to: 31 March 2027 is in 2026, 1 April in 2027."""
    return day.year if day.month >= FISCAL_START_MONTH else day.year - 1


def parse_day(text: str) -> date:
    """Read YYYY-MM-DD (or YYYY/MM/DD); raise PeriodError otherwise."""
    try:
        return date.fromisoformat(text.strip().replace("/", "-"))
    except ValueError:
        raise PeriodError(N_("日付は 2026-04-01 の形で入力してください。")) from None


def make_period(start: date, end: date) -> Period:
    """Return the period from start to end; raise PeriodError when it is backwards or too long."""
    if end < start:
        raise PeriodError(N_("終了日は開始日より後の日付にしてください。"))
    if (end - start).days >= MAX_DAYS:
        raise PeriodError(N_("期間は5年以内にしてください。"))
    return Period(start, end)


def default_period(today: date | None = None) -> Period:
    """Return the current fiscal year up to today (JST)."""
    today = today or dates.japan_now().date()
    return Period(fiscal_year(fiscal_year_of(today)).start, today)
