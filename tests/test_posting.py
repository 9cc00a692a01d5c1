"""Posting fields end to end: recurrences, attendance, 対象 and the public contact, from the
form (real app, CSRF on) through a real worker and Pelican build to the page, listings,
calendars, iCalendar and JSON-LD."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest
from actors import EVENT, MODERATOR, make_moderator, open_group, sign_in, sign_out
from conftest import submit
from icalendar import Calendar
from site_support import JSONLD
from sqlalchemy import select

from intake.deployment import load_deployment
from intake.errors import ConfigError
from intake.models import Post
from intake.moderation import decisions as post_decisions
from intake.posts import recurrence
from intake.posts.recurrence import RecurrenceError, describe, expand
from intake.taxonomy import AUDIENCES

REPO = Path(__file__).resolve().parent.parent
WEEKDAYS = "月火水木金土日"


def _plugin(name: str) -> ModuleType:
    path = REPO / "pelican" / "plugins" / name / "__init__.py"
    spec = importlib.util.spec_from_file_location(f"_hiroba_posting_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _days(pairs: list[tuple[dt.datetime, dt.datetime | None]]) -> list[str]:
    return [start.date().isoformat() for start, _ in pairs]


def _ja(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日({WEEKDAYS[day.weekday()]})"


# The rules, as pure functions.


def test_second_saturday_of_every_month() -> None:
    first = dt.datetime(2026, 12, 12, 10, 0)  # the 2nd Saturday of December 2026
    found = expand("monthly-nth", first, first + dt.timedelta(hours=2), dt.date(2027, 5, 31))
    assert _days(found) == [
        "2026-12-12", "2027-01-09", "2027-02-13", "2027-03-13", "2027-04-10", "2027-05-08",
    ]  # fmt: skip
    assert all(s.weekday() == 5 and (s.day - 1) // 7 == 1 for s, _ in found)
    assert all(e - s == dt.timedelta(hours=2) for s, e in found if e)
    assert describe("monthly-nth:2027-05-31", first) == "毎月第2土曜日（2027年5月31日まで）"


def test_last_sunday_of_every_month() -> None:
    first = dt.datetime(2026, 12, 27, 13, 30)
    found = expand("monthly-last", first, None, dt.date(2027, 4, 30))
    assert _days(found) == ["2026-12-27", "2027-01-31", "2027-02-28", "2027-03-28", "2027-04-25"]
    assert [e for _, e in found] == [None] * 5
    assert describe("monthly-last:2027-04-30", first).startswith("毎月最終日曜日")


def test_weekly_biweekly_and_same_day() -> None:
    first = dt.datetime(2027, 1, 6, 19, 0)  # a Wednesday
    until = dt.date(2027, 2, 3)
    assert _days(expand("weekly", first, None, until)) == [
        "2027-01-06", "2027-01-13", "2027-01-20", "2027-01-27", "2027-02-03",
    ]  # fmt: skip
    assert _days(expand("biweekly", first, None, until)) == [
        "2027-01-06", "2027-01-20", "2027-02-03",
    ]  # fmt: skip
    monthly = expand("monthly-day", dt.datetime(2027, 1, 15, 10), None, dt.date(2027, 4, 14))
    assert _days(monthly) == ["2027-01-15", "2027-02-15", "2027-03-15"]
    assert describe("biweekly:2027-02-03", first) == "隔週水曜日（2027年2月3日まで）"


def test_a_multi_day_event_keeps_its_duration() -> None:
    first = dt.datetime(2027, 1, 9, 10, 0)  # Saturday to Sunday 16:00
    found = expand("monthly-nth", first, dt.datetime(2027, 1, 10, 16, 0), dt.date(2027, 3, 31))
    assert [(s.isoformat(), e.isoformat() if e else "") for s, e in found] == [
        ("2027-01-09T10:00:00", "2027-01-10T16:00:00"),
        ("2027-02-13T10:00:00", "2027-02-14T16:00:00"),
        ("2027-03-13T10:00:00", "2027-03-14T16:00:00"),
    ]


def test_times_are_japan_time_without_daylight_saving() -> None:
    # Across the dates other zones change their clocks the local time never moves.
    first = dt.datetime(2027, 3, 6, 10, 0)
    found = expand("weekly", first, dt.datetime(2027, 3, 6, 12, 0), dt.date(2027, 4, 3))
    assert {(s.hour, s.minute, e.hour if e else None) for s, e in found} == {(10, 0, 12)}
    assert len(found) == 5


D = dt.datetime


@pytest.mark.parametrize(
    ("frequency", "starts", "until", "field", "words"),
    [
        ("weekly", D(2027, 1, 6, 10), None, "repeat_until", "最終日を入力"),
        ("weekly", D(2027, 1, 6, 10), dt.date(2027, 1, 6), "repeat_until", "より後"),
        ("weekly", D(2027, 1, 6, 10), dt.date(2028, 6, 1), "repeat_until", "60回まで"),
        ("monthly-day", D(2027, 1, 6, 10), dt.date(2027, 1, 31), "repeat_until", "2回目"),
        ("monthly-last", D(2027, 1, 9, 10), dt.date(2027, 6, 1), "recurrence", "最後の土曜日"),
        ("monthly-nth", D(2027, 1, 29, 10), dt.date(2027, 6, 1), "recurrence", "第5金曜日"),
        ("monthly-day", D(2027, 1, 30, 10), dt.date(2027, 6, 1), "recurrence", "29日以降"),
        ("yearly", D(2027, 1, 6, 10), dt.date(2028, 6, 1), "recurrence", "一覧から"),
    ],
)
def test_rules_that_do_not_fit_say_why(
    frequency: str, starts: dt.datetime, until: dt.date | None, field: str, words: str
) -> None:
    with pytest.raises(RecurrenceError) as caught:
        expand(frequency, starts, None, until)
    assert caught.value.field == field and words in str(caught.value)


def test_exactly_the_cap_is_allowed_and_one_more_is_not() -> None:
    first = dt.datetime(2027, 1, 4, 9, 0)
    last = first.date() + dt.timedelta(weeks=recurrence.MAX_OCCURRENCES - 1)
    assert len(expand("weekly", first, None, last)) == recurrence.MAX_OCCURRENCES
    with pytest.raises(RecurrenceError):
        expand("weekly", first, None, last + dt.timedelta(days=7))


def test_an_occurrence_longer_than_the_interval_is_refused() -> None:
    first = dt.datetime(2027, 1, 4, 9, 0)
    with pytest.raises(RecurrenceError) as caught:
        expand("weekly", first, first + dt.timedelta(days=8), dt.date(2027, 3, 1))
    assert caught.value.field == "recurrence"


def test_the_stored_expansion_round_trips() -> None:
    found = expand("weekly", dt.datetime(2027, 1, 6, 10), None, dt.date(2027, 1, 20))
    assert recurrence.decode(recurrence.encode(found)) == found
    assert recurrence.decode("not json") == []


def test_site_filters_name_the_rule_and_split_the_dates() -> None:
    jadates = _plugin("jadates")
    assert jadates.jarule("monthly-nth:2027-05-31", "2026-12-12T10:00") == "毎月第2土曜日"
    assert jadates.jarule("monthly-last:2027-05-31", "2026-12-27T10:00") == "毎月最終日曜日"
    assert jadates.jarule("monthly-day:2027-05-31", "2027-01-15T10:00") == "毎月15日"
    assert jadates.jarule("bogus", "2027-01-15T10:00") == ""
    value = "2027-01-09T10:00--2027-01-10T16:00;2027-02-13T10:00;junk"
    assert jadates.occurrence_list(value) == [
        ("2027-01-09T10:00", "2027-01-10T16:00"),
        ("2027-02-13T10:00", ""),
    ]


def _listings() -> ModuleType:
    """Import the listings plugin (a package) under a private name."""
    path = REPO / "pelican" / "plugins" / "listings" / "__init__.py"
    name = "_hiroba_posting_listings"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        name, path, submodule_search_locations=[str(path.parent)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _entry(listings: ModuleType, slug: str, dates: list[dt.datetime], **extra: str):  # type: ignore[no-untyped-def]
    stamps = [d.strftime("%Y-%m-%dT%H:%M") for d in dates]
    return listings.Entry(
        source=f"posts/{slug}.md", slug=slug, kind="events", url=f"events/{slug}/",
        page=f"events/{slug}/index.html", page_sig=slug, listed=True, title=f"催し{slug}",
        summary="", date="2026-01-01T00:00:00+09:00", starts=stamps[0],
        occurrences=";".join(stamps) if len(stamps) > 1 else "", **extra,
    )  # fmt: skip


def test_a_recurring_entry_is_on_its_days_and_months_only_and_placed_by_its_next_date() -> None:
    listings = _listings()
    today = dt.date(2027, 3, 10)
    # The dates as stored, whatever rule gave them: April has none.
    weekly = [dt.datetime(2027, m, d, 10) for m, d in ((1, 6), (2, 3), (3, 3), (3, 31), (5, 26))]
    recurring = _entry(
        listings, "1", weekly, recurrence="weekly:2027-05-31", audience="youth,seniors"
    )
    single = _entry(listings, "2", [dt.datetime(2027, 3, 12, 10)])
    assert recurring.days == [d.date() for d in weekly]  # not the weeks between
    assert recurring.months == [(2027, 1), (2027, 2), (2027, 3), (2027, 5)]
    settings = {"HIROBA_KINDS": {"events": "イベント"}, "HIROBA_AUDIENCES": dict(AUDIENCES)}
    pages = listings.plan([single, recurring], settings, today, [])
    # Its next date (31 March) comes after the single event of 12 March.
    assert [e.slug for e in pages["index.html"].data["events"]] == ["2", "1"]
    early = listings.plan([single, recurring], settings, dt.date(2027, 3, 1), [])
    assert [e.slug for e in early["index.html"].data["events"]] == ["1", "2"]  # 3 March
    for key in ("youth", "seniors"):
        assert [e.slug for e in pages[f"audiences/{key}/index.html"].data["lead"]] == ["1"]
        assert f"audiences/{key}/2027/01/index.html" in pages
    assert pages["audiences/children/index.html"].data["lead"] == []
    assert "audiences/" in pages["sitemap.xml"].data["urls"]


def test_audiences_come_from_hiroba_toml(tmp_path: Path) -> None:
    assert load_deployment(tmp_path).audiences == AUDIENCES
    (tmp_path / "hiroba.toml").write_text(
        '[audiences]\nkids = "小学生"\nsilver = "シニア"\n', encoding="utf-8"
    )
    assert load_deployment(tmp_path).audiences == {"kids": "小学生", "silver": "シニア"}
    (tmp_path / "hiroba.toml").write_text('[audiences]\n"Bad Key" = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="audiences.Bad Key"):
        load_deployment(tmp_path)
    (tmp_path / "hiroba.toml").write_text("[audiences]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="1 つ以上"):
        load_deployment(tmp_path)


# Posting through the app.


def _second_saturday_ahead(months: int) -> dt.date:
    """The second Saturday of the month ``months`` after this one."""
    today = dt.date.today()
    year, month = divmod(today.month - 1 + months, 12)
    first = dt.date(today.year + year, month + 1, 1)
    return first + dt.timedelta(days=(5 - first.weekday()) % 7 + 7)


@pytest.fixture
def poster(instance, client):  # type: ignore[no-untyped-def]
    moderator, group = open_group(instance)
    sign_in(client, "durable-group", "durable-password-1")
    return moderator, group


def _posts(instance) -> list[Post]:  # type: ignore[no-untyped-def]
    with instance.rt.sessions() as db:
        return list(db.scalars(select(Post).order_by(Post.id)))


def test_each_kind_is_posted_with_the_new_fields(instance, client, poster):
    day = _second_saturday_ahead(2)
    event = {
        **EVENT,
        "starts_at": f"{day}T10:00",
        "ends_at": f"{day}T12:00",
        "recurrence": "monthly-nth",
        "repeat_until": str(day + dt.timedelta(days=100)),
        "attendance": "hybrid",
        "online_details": "Zoomでも参加できます。URLは申込者にメールで連絡します。",
        "audience": ["families", "parents"],
    }
    assert submit(client, "/app/posts/new", event).status_code == 302
    recruit = {
        **EVENT,
        "kind": "recruitment",
        "title": "オンライン読書会の参加者募集",
        "starts_at": f"{day}T20:00",
        "ends_at": "",
        "place_name": "",
        "place_address": "",
        "recurrence": "weekly",
        "repeat_until": str(day + dt.timedelta(days=21)),
        "attendance": "online",
        "online_details": "オンライン会議で開催します。",
        "audience": ["everyone"],
    }
    assert submit(client, "/app/posts/new", recruit).status_code == 302
    notice = {
        "kind": "notice",
        "title": "会報を発行しました",
        "summary": "会報の最新号です。",
        "audience": ["seniors"],
        "contact_public": "事務局（平日10時〜17時）",
    }
    assert submit(client, "/app/posts/new", notice).status_code == 302

    first, second, third = _posts(instance)
    assert first.recurrence == f"monthly-nth:{day + dt.timedelta(days=100)}"
    dates = [dt.datetime.fromisoformat(s) for s, _ in json.loads(first.occurrences)]
    assert len(dates) == 4 and dates[0] == dt.datetime.combine(day, dt.time(10))
    assert all(d.weekday() == 5 and (d.day - 1) // 7 == 1 for d in dates)
    assert (first.attendance, first.audience) == ("hybrid", "families,parents")
    assert first.online_details.startswith("Zoomでも参加")
    assert second.recurrence.startswith("weekly:") and len(json.loads(second.occurrences)) == 4
    assert (second.attendance, second.place_name, second.audience) == ("online", "", "everyone")
    assert json.loads(second.occurrences)[0][1] is None
    # The moderator reviews the fields in words.
    sign_out(client)
    make_moderator(instance)
    sign_in(client, *MODERATOR)
    review = client.get(f"/app/moderation/posts/{first.id}").get_data(as_text=True)
    assert "毎月第2土曜日" in review and "全4回" in review
    assert "Zoomでも参加できます" in review  # in the form the moderator may edit
    assert ">親子</a>" in review and ">子育て世代</a>" in review  # as the site lists them
    assert (third.kind, third.recurrence, third.occurrences, third.audience) == (
        "notice", "", "[]", "seniors",
    )  # fmt: skip


def test_the_form_explains_what_is_published(instance, client, poster):
    html = client.get("/app/posts/new").get_data(as_text=True)
    assert "この欄に書いた内容だけです" in html
    assert 'aria-describedby="contact_public-help"' in html
    for label in AUDIENCES.values():
        assert label in html
    assert "毎月 第N○曜日" in html and "繰り返しの最終日" in html


def _errors(client, data: dict) -> str:  # type: ignore[no-untyped-def]
    response = submit(client, "/app/posts/new", data)
    assert response.status_code == 422
    return response.get_data(as_text=True)


def test_errors_come_back_beside_their_fields_with_the_input_kept(instance, client, poster):
    day = _second_saturday_ahead(1)
    base = {**EVENT, "starts_at": f"{day}T10:00", "ends_at": f"{day}T12:00"}
    html = _errors(
        client,
        {**base, "recurrence": "monthly-nth", "repeat_until": "", "attendance": "online",
         "online_details": "", "audience": ["youth", "students"], "title": "入力保持の確認"},
    )  # fmt: skip
    assert "最終日を入力してください" in html
    assert "オンラインで参加する方法を入力してください" in html
    assert 'id="repeat_until-error"' in html and 'aria-describedby="repeat_until-error' in html
    assert 'value="入力保持の確認"' in html
    assert re.search(
        r'<option selected value="monthly-nth"|<option value="monthly-nth" selected', html
    )
    assert re.search(r'<option selected value="online"|<option value="online" selected', html)
    assert re.search(r'checked[^>]*value="youth"|value="youth"[^>]*checked', html)
    assert not re.search(r'checked[^>]*value="seniors"|value="seniors"[^>]*checked', html)

    html = _errors(client, {**base, "place_name": "", "attendance": "offline"})
    assert "会場名が必要です" in html
    weekly_far = {**base, "recurrence": "weekly", "repeat_until": str(day + dt.timedelta(weeks=80))}
    html = _errors(client, weekly_far)
    assert "60回まで" in html and f'value="{day + dt.timedelta(weeks=80)}"' in html
    html = _errors(
        client,
        {**base, "recurrence": "monthly-last", "repeat_until": str(day + dt.timedelta(days=90))},
    )
    assert "最後の土曜日ではありません" in html
    notice = {"kind": "notice", "title": "お知らせ", "summary": "概要", "recurrence": "weekly",
              "repeat_until": str(day + dt.timedelta(days=30))}  # fmt: skip
    assert "お知らせは繰り返せません" in _errors(client, notice)
    html = _errors(client, {**base, "recurrence": "weekly", "repeat_until": "来月末"})
    assert 'value="来月末"' in html
    assert _errors(client, {**base, "attendance": "somewhere"})
    assert _errors(client, {**base, "audience": ["nobody"]})
    assert _posts(instance) == []


def test_a_recurring_online_event_is_published_with_every_date(instance, client, poster):
    day = _second_saturday_ahead(1)
    until = day + dt.timedelta(days=31 * 8)  # 8 or 9 second Saturdays: more than shown at once
    event = {
        **EVENT,
        "title": "親子オンライン工作教室",
        "starts_at": f"{day}T10:00",
        "ends_at": f"{day}T11:30",
        "place_name": "",
        "place_address": "",
        "recurrence": "monthly-nth",
        "repeat_until": str(until),
        "attendance": "online",
        "online_details": "Zoomで開催。URLは申込者にメールで連絡",
        "audience": ["families", "children"],
    }
    assert submit(client, "/app/posts/new", event).status_code == 302
    instance.worker_burst()
    [post] = _posts(instance)
    # The decision itself is the moderation tests' subject: here it goes through the service.
    post_decisions.approve(instance.rt, poster[0], post_decisions.Subject("post", post.id))
    instance.worker_burst()

    dates = [dt.datetime.fromisoformat(s) for s, _ in json.loads(post.occurrences)]
    assert len(dates) >= 8
    site = instance.settings.live_dir
    _assert_built(instance)
    html = (site / "events" / str(post.id) / "index.html").read_text(encoding="utf-8")
    assert "毎月第2土曜日" in html and f"全{len(dates)}回" in html
    for moment in dates:
        assert f"{_ja(moment.date())} 10:00〜11:30" in html
        assert f'data-pagefind-filter="月:{moment.year}年{moment.month}月"' in html
    assert "<details>" in html and f"ほかの開催日（{len(dates) - 6}回）" in html
    assert "<dt>参加方法</dt>" in html and ">オンライン</dd>" in html
    assert "Zoomで開催。URLは申込者にメールで連絡" in html
    assert 'href="/audiences/families/"' in html and AUDIENCES["children"] in html
    last = dates[-1].replace(hour=11, minute=30)
    assert f'data-ends="{last.isoformat(timespec="minutes")}"' in html

    [ld] = [json.loads(block) for block in JSONLD.findall(html)]
    assert ld["eventAttendanceMode"] == "https://schema.org/OnlineEventAttendanceMode"
    assert ld["location"]["@type"] == "VirtualLocation"
    assert ld["startDate"] == f"{day}T10:00:00+09:00" and ld["endDate"] == f"{day}T11:30:00+09:00"
    assert (
        ld["eventSchedule"]["byMonthWeek"] == 2 and ld["eventSchedule"]["repeatFrequency"] == "P1M"
    )

    ics = Calendar.from_ical((site / "events" / str(post.id) / "event.ics").read_bytes())
    (vevent,) = ics.walk("VEVENT")
    assert vevent.decoded("dtstart").replace(tzinfo=None) == dates[0]
    rdates = [p.dt.replace(tzinfo=None) for rd in _as_list(vevent.get("rdate")) for p in rd.dts]
    assert sorted(rdates) == dates[1:]
    assert str(vevent.get("location")) == "オンライン"
    everything = Calendar.from_ical((site / "calendar" / "all.ics").read_bytes())
    [mine] = [e for e in everything.walk("VEVENT") if "工作教室" in str(e.get("summary"))]
    assert len([p for rd in _as_list(mine.get("rdate")) for p in rd.dts]) == len(dates) - 1

    for moment in dates:
        month = f"{moment.year:04d}/{moment.month:02d}"
        listing = (site / "events" / month / "index.html").read_text(encoding="utf-8")
        assert "親子オンライン工作教室" in listing and "毎月第2土曜日" in listing
        cal = (site / "calendar" / month / "index.html").read_text(encoding="utf-8")
        cell = re.search(rf'<td id="d{moment.date()}">.*?</td>', cal, re.S)
        assert cell and "親子オンライン工作教室" in cell.group(0)
    for key in ("families", "children"):
        page = (site / "audiences" / key / "index.html").read_text(encoding="utf-8")
        assert "親子オンライン工作教室" in page
        month = f"{dates[-1].year:04d}/{dates[-1].month:02d}"
        assert "親子オンライン工作教室" in (
            site / "audiences" / key / month / "index.html"
        ).read_text(encoding="utf-8")
    assert "親子オンライン工作教室" not in (
        site / "audiences" / "seniors" / "index.html"
    ).read_text(encoding="utf-8")
    assert 'href="/audiences/"' in (site / "index.html").read_text(encoding="utf-8")
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    assert "audiences/families/</loc>" in sitemap and "audiences/</loc>" in sitemap


def _assert_built(instance) -> None:  # type: ignore[no-untyped-def]
    from intake.models import Build

    with instance.rt.sessions() as db:
        build = db.scalars(select(Build).order_by(Build.id.desc()).limit(1)).one()
        assert build.status == "ok", build.log


def _as_list(value):  # type: ignore[no-untyped-def]
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
