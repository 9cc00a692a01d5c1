"""The one formatter of dates, times, numbers and phones (intake/formatting), and the scan
that keeps it the only one.

The scan (AST only, nothing scanned is imported) reads every Python module of `intake/`,
`worker/` and `pelican/` outside `intake/formatting/`. A finding is a date written by hand:

- a call of `.strftime(...)`;
- an f-string field with a `%` format (`f"{moment:%H:%M}"`);
- an f-string that puts a `.year`, `.month`, `.day`, `.hour`, `.minute` or `.weekday`
  beside 年, 月, 日 or 曜 (`f"{d.year}年{d.month}月"`);
- the weekday table "月火水木金土日";
- Japan's offset made by hand: `timedelta(hours=9)` or `ZoneInfo("Asia/Tokyo")` (use
  `dates.JAPAN`, `japan_time`, `japan_now`, `japan_utc` or `japan_day_start`).

ALLOWED lists each exception by file and kind, with its reason: stamps that machines read
(file names, keys, iCalendar, JSON-LD, Pelican's metadata), never text for people.
"""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from intake import validation
from intake.config import REPO_ROOT
from intake.formatting import dates, numbers, phones

UTC = dt.UTC
JAPAN = ZoneInfo("Asia/Tokyo")


def test_dates_in_both_languages() -> None:
    day = dt.date(2026, 12, 5)
    assert dates.format_date(day, "ja") == "2026年12月5日(土)"
    assert dates.format_date(day, "en") == "Sat 5 December 2026"
    assert dates.format_date(day, "ja", weekday=False) == "2026年12月5日"
    assert dates.format_date(dt.date(2027, 1, 9), "ja") == "2027年1月9日(土)"  # no zero padding
    assert dates.format_date(day, "fr") == "2026年12月5日(土)"  # unknown: Japanese
    assert dates.format_month(2026, 12, "ja") == "2026年12月"
    assert dates.format_month(2026, 12, "en") == "December 2026"
    assert [dates.weekday_name(i, "ja") for i in range(7)] == list("月火水木金土日")
    assert dates.weekday_name(5, "en") == "Sat"
    assert dates.month_name(4, "en") == "Apr" and dates.month_name(4, "ja") == "4月"


def test_times_and_ranges_in_both_languages() -> None:
    start, end = dt.datetime(2026, 12, 9, 10, 0), dt.datetime(2026, 12, 9, 12, 0)
    assert dates.format_datetime(start, "ja") == "2026年12月9日(水) 10:00"
    assert dates.format_datetime(start, "en") == "Wed 9 December 2026, 10:00"
    assert dates.format_time_range(start, end, "ja") == "2026年12月9日(水) 10:00〜12:00"
    assert dates.format_time_range(start, end, "en") == "Wed 9 December 2026, 10:00–12:00"
    later = dt.datetime(2026, 12, 10, 9, 5)
    assert (
        dates.format_time_range(start, later, "ja")
        == "2026年12月9日(水) 10:00〜2026年12月10日(木) 09:05"
    )
    assert (
        dates.format_time_range(start, later, "en")
        == "Wed 9 December 2026, 10:00 – Thu 10 December 2026, 09:05"
    )
    assert dates.format_time_range(start, None, "ja") == "2026年12月9日(水) 10:00"
    assert (
        dates.format_time_range(dt.date(2026, 12, 5), dt.date(2026, 12, 5)) == "2026年12月5日(土)"
    )


def test_japan_time_at_the_midnight_boundary() -> None:
    # 14:59 UTC is 23:59 in Tokyo, the same day; 15:00 UTC is already the next day there.
    before, after = dt.datetime(2026, 12, 9, 14, 59), dt.datetime(2026, 12, 9, 15, 0)
    assert dates.format_timestamp(before) == "2026-12-09 23:59"
    assert dates.format_timestamp(after) == "2026-12-10 00:00"
    assert dates.format_date(dates.japan_time(after), "ja") == "2026年12月10日(木)"
    assert dates.format_date(dates.japan_time(after), "en") == "Thu 10 December 2026"
    # An aware value is shown in Japan time whatever its zone; a naive one is Japan's already.
    aware = dt.datetime(2026, 12, 9, 15, 30, tzinfo=UTC)
    assert dates.format_datetime(aware, "ja") == "2026年12月10日(木) 00:30"
    assert dates.format_datetime(aware, "en") == "Thu 10 December 2026, 00:30"
    assert (
        dates.format_datetime(dt.datetime(2026, 12, 9, 23, 48), "ja") == "2026年12月9日(水) 23:48"
    )
    assert dates.japan_time(after).tzinfo is not None
    assert dates.japan_time(after).utcoffset() == dt.timedelta(hours=9)


def test_numbers_are_grouped() -> None:
    assert numbers.format_number(1234567, "ja") == "1,234,567"
    assert numbers.format_number(1234567, "en") == "1,234,567"
    assert numbers.format_number(1234.5, "en") == "1,234.5"
    assert numbers.format_number(0) == "0"


@pytest.mark.parametrize(
    ("typed", "stored", "shown"),
    [
        ("03-1234-5678", "0312345678", "03-1234-5678"),
        ("0312345678", "0312345678", "03-1234-5678"),
        ("+81 3-1234-5678", "0312345678", "03-1234-5678"),
        ("+81-90-1234-5678", "09012345678", "090-1234-5678"),
        ("０８０－７００１－１３５７", "08070011357", "080-7001-1357"),
        ("(080)70011357", "08070011357", "080-7001-1357"),
        ("+1 650 253 0000", "+16502530000", "+1 650-253-0000"),
    ],
)
def test_phones_are_checked_stored_and_shown(typed: str, stored: str, shown: str) -> None:
    assert validation.phone(typed) == stored
    assert phones.format_phone(stored) == shown


@pytest.mark.parametrize("typed", ["12", "03-1234-567", "090-1234-56789", "0300007777", "電話"])
def test_bad_phones_are_refused(typed: str) -> None:
    with pytest.raises(validation.InvalidInput, match="電話番号"):
        validation.phone(typed)


def test_a_stored_phone_that_does_not_parse_is_shown_as_it_is() -> None:
    assert phones.format_phone("") == ""
    assert phones.format_phone("内線12") == "内線12"


# (file, kind of finding): why it is no date written for people.
ALLOWED = {
    ("intake/cli/protection.py", "strftime"): "the export file's name stamp",
    ("intake/protection/backup.py", "strftime"): "the backup file's name stamp",
    ("intake/protection/contract_end.py", "strftime"): "a key id stamp",
    ("intake/oversight/analysis.py", "strftime"): "a de-duplication key per hour",
    ("intake/deployment.py", "strftime"): "the default of a HH:MM setting in hiroba.toml",
    ("intake/installation/checkup.py", "spec"): "ClamAV's own clock, as clamd writes it",
    ("worker/build/tree.py", "strftime"): "a build folder's name",
    ("worker/content/posts.py", "strftime"): "Pelican's metadata (ISO 8601)",
    ("intake/posts/appearance.py", "strftime"): "the preview's Pelican metadata (ISO 8601)",
    ("pelican/plugins/listings/ical.py", "strftime"): "iCalendar's own format (RFC 5545)",
    ("pelican/plugins/listings/ical.py", "spec"): "iCalendar's own format (RFC 5545)",
    ("pelican/plugins/structured/__init__.py", "strftime"): "JSON-LD (ISO 8601)",
}
DATE_ATTRIBUTES = {"year", "month", "day", "hour", "minute", "weekday"}
SKIP = {".venv", "__pycache__", "formatting"}


def findings(path: Path) -> list[tuple[int, str]]:
    """Return (line, kind) of every date written by hand in one module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "strftime":
                found.append((node.lineno, "strftime"))
        elif isinstance(node, ast.FormattedValue) and node.format_spec is not None:
            spec = "".join(
                str(v.value) for v in ast.walk(node.format_spec) if isinstance(v, ast.Constant)
            )
            if "%" in spec:
                found.append((node.lineno, "spec"))
        elif isinstance(node, ast.JoinedStr):
            text = "".join(
                v.value
                for v in node.values
                if isinstance(v, ast.Constant) and isinstance(v.value, str)
            )
            used = {
                n.attr
                for v in node.values
                if isinstance(v, ast.FormattedValue)
                for n in ast.walk(v.value)
                if isinstance(n, ast.Attribute)
            }
            if used & DATE_ATTRIBUTES and any(mark in text for mark in "年月日曜"):
                found.append((node.lineno, "joined"))
        elif isinstance(node, ast.Constant) and node.value == "月火水木金土日":
            found.append((node.lineno, "weekday table"))
        if isinstance(node, ast.Call) and _japan_offset(node):
            found.append((node.lineno, "japan offset"))
    return found


def _japan_offset(call: ast.Call) -> bool:
    """Return True for timedelta(hours=9) and ZoneInfo("Asia/Tokyo"): Japan's time by hand."""
    name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
    if name == "timedelta":
        return any(
            k.arg == "hours" and isinstance(k.value, ast.Constant) and k.value.value == 9
            for k in call.keywords
        )
    return name == "ZoneInfo" and any(
        isinstance(a, ast.Constant) and a.value == "Asia/Tokyo" for a in call.args
    )


def scanned() -> list[Path]:
    return sorted(
        p
        for folder in ("intake", "worker", "pelican")
        for p in (REPO_ROOT / folder).rglob("*.py")
        if not SKIP.intersection(p.relative_to(REPO_ROOT).parts)
    )


def test_the_scan_finds_each_kind_of_hand_made_date(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "a = moment.strftime('%Y')\n"
        "b = f'{moment:%H:%M}'\n"
        "c = f'{d.year}年{d.month}月'\n"
        "D = '月火水木金土日'\n"
        "e = f'{d.year}-{d.month:02d}'\n"  # a key, not a date for people: no finding
        "f = now + timedelta(hours=9)\n"
        "g = ZoneInfo('Asia/Tokyo')\n"
        "h = timedelta(hours=2)\n",  # a span, not Japan's offset: no finding
        encoding="utf-8",
    )
    assert sorted(findings(sample)) == [
        (1, "strftime"),
        (2, "spec"),
        (3, "joined"),
        (4, "weekday table"),
        (6, "japan offset"),
        (7, "japan offset"),
    ]


def test_no_module_formats_dates_by_hand() -> None:
    files = scanned()
    assert len(files) > 100, "the scan found too few modules"
    bad = [
        f"{path.relative_to(REPO_ROOT)}:{line}: {kind}"
        for path in files
        for line, kind in findings(path)
        if (str(path.relative_to(REPO_ROOT)), kind) not in ALLOWED
    ]
    assert not bad, "format dates with intake.formatting.dates instead:\n" + "\n".join(bad)


def test_every_exception_is_still_needed() -> None:
    present = {(str(p.relative_to(REPO_ROOT)), kind) for p in scanned() for _, kind in findings(p)}
    assert not set(ALLOWED) - present, f"drop these from ALLOWED: {set(ALLOWED) - present}"


def test_repeat_words_name_a_rule_in_both_languages() -> None:
    """The site and the intake name repeats with one function: weekday, nth, last, day."""
    second_saturday = dt.date(2026, 12, 12)
    assert dates.repeat_words("weekly", second_saturday, "ja") == "毎週土曜日"
    assert dates.repeat_words("biweekly", second_saturday, "en") == "Every other Saturday"
    assert dates.repeat_words("monthly-nth", second_saturday, "ja") == "毎月第2土曜日"
    assert (
        dates.repeat_words("monthly-nth", second_saturday, "en")
        == "The 2nd Saturday of every month"
    )
    assert dates.repeat_words("monthly-last", dt.date(2026, 12, 27), "ja") == "毎月最終日曜日"
    assert dates.repeat_words("monthly-day", second_saturday, "ja") == "毎月12日"
    assert dates.repeat_words("monthly-day", second_saturday, "en") == "The 12th of every month"
    assert [dates.ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "101st",
        "111th",
    ]  # fmt: skip
    assert dates.repeat_words("yearly", second_saturday, "ja") == ""


def test_a_japan_day_starts_at_15_utc_the_day_before() -> None:
    """The ledger's hand-over day and the incident report's --since day, as stored (UTC)."""
    start = dates.japan_day_start(dt.date(2026, 11, 30))
    assert start == dt.datetime(2026, 11, 29, 15, 0) and start.tzinfo is None
    assert dates.format_timestamp(start) == "2026-11-30 00:00"
