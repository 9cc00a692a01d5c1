"""The public site's dates, calendar and search results, in a real build.

Posts approved through the services and published by a real rq worker, a full build by
`python -m worker republish` (Pelican and the real Pagefind binary): the month calendar
names Japan's public holidays in words in both languages; /calendar/ starts at the current
month, past months after; Pagefind's records of events carry date, place and kind as meta
and never the hidden 「このイベントは終了しました。」; a just-approved item's record in
search/delta.json carries the same meta. English pages have an index of their own
(Pagefind splits by <html lang>) with English meta, and /en/search/ searches it and the
delta's English items. On SQLite, one site per module (site_support).
"""

from __future__ import annotations

import gzip
import html
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jpholiday
import pytest
from actors import open_group
from browsing import serving
from conftest import Instance, RedisServer
from site_support import fresh_instance

from intake.config import REPO_ROOT
from intake.models import Post
from intake.moderation import decisions as post_decisions
from intake.posts.services import PostData, submit_post

JAPAN = ZoneInfo("Asia/Tokyo")
TITLE = "同じ名前の体操教室"
PAST_NOTE = "このイベントは終了しました"
FRAGMENT_MAGIC = b"pagefind_dcd"


@dataclass
class Site:
    instance: Instance
    live: Path
    today: date
    holiday: date
    soon: date
    past: date
    posts: dict[str, int]
    fresh_delta: dict


def _event(title: str, day: date, place: str) -> PostData:
    starts = datetime.combine(day, datetime.min.time()) + timedelta(hours=10)
    return PostData(
        kind="event",
        title=title,
        summary="日付と検索の確認用の催しです。",
        body="体操の本文です。",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        place_name=place,
        topic="culture",
        area="yotsuya",
    )


def _approve(instance, moderator: int, group: int, data: PostData) -> int:  # type: ignore[no-untyped-def]
    post_id = submit_post(instance.rt, group, data)
    post_decisions.approve(instance.rt, moderator, post_decisions.Subject("post", post_id))
    return post_id


def _next_holiday(after: date) -> date:
    return next(d for d, _ in jpholiday.between(after, after + timedelta(days=200)))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer) -> Iterator[Site]:
    instance = fresh_instance(tmp_path_factory.mktemp("dates"), redis_server)
    try:
        today = datetime.now(JAPAN).date()
        holiday = _next_holiday(today + timedelta(days=2))
        soon = today + timedelta(days=2)
        if jpholiday.is_holiday(soon):
            soon += timedelta(days=1)
        past = today - timedelta(days=40)
        moderator, group = open_group(instance)
        posts = {
            "holiday": _approve(instance, moderator, group, _event(TITLE, holiday, "四谷体育館")),
            "soon": _approve(instance, moderator, group, _event(TITLE, soon, "牛込地域センター")),
            "past": _approve(
                instance, moderator, group, _event("先月の体操教室", soon, "落合会館")
            ),
        }
        instance.worker_burst()
        # An event that took place 40 days ago (the form takes no past dates): moved there
        # in the database, then content/ rewritten and the site fully built with Pagefind.
        with instance.rt.sessions() as db, db.begin():
            post = db.get(Post, posts["past"])
            assert post is not None
            post.starts_at = datetime.combine(past, datetime.min.time()) + timedelta(hours=10)
            post.ends_at = post.starts_at + timedelta(hours=2)
        done = subprocess.run(
            [sys.executable, "-m", "worker", "republish"],
            env=instance.env,
            capture_output=True,
            text=True,
            timeout=600,
            cwd=REPO_ROOT,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        live = instance.settings.live_dir.resolve()
        assert (live / "pagefind").is_dir()
        # Then one more approval, published incrementally: found through search/delta.json
        # until Pagefind re-indexes (the search queue is left unworked here on purpose).
        from worker.run import make_worker

        posts["fresh"] = _approve(
            instance, moderator, group, _event(TITLE, soon + timedelta(days=7), "戸塚会館")
        )
        make_worker(instance.rt).work(burst=True, with_scheduler=False)
        live = instance.settings.live_dir.resolve()
        delta = json.loads((live / "search" / "delta.json").read_text(encoding="utf-8"))
        yield Site(instance, live, today, holiday, soon, past, posts, delta)
    finally:
        instance.rt.close()


def page_of(live: Path, post_id: int) -> Path:
    with_id = [
        p
        for p in live.rglob("index.html")
        if "en" not in p.relative_to(live).parts[:1]
        and f'data-post-id="{post_id}"' in p.read_text(encoding="utf-8")
    ]
    assert len(with_id) == 1, f"post {post_id}: {with_id}"
    return with_id[0]


def fragments(live: Path) -> dict[str, dict]:
    """Return Pagefind's record of each indexed page, by URL (read from its fragments)."""
    found = {}
    for path in (live / "pagefind" / "fragment").glob("*.pf_fragment"):
        data = gzip.decompress(path.read_bytes())
        record = json.loads(data.removeprefix(FRAGMENT_MAGIC))
        found[record["url"]] = record
    return found


def url_of(live: Path, page: Path) -> str:
    return "/" + str(page.relative_to(live).parent) + "/"


def test_the_month_calendar_names_holidays_in_both_languages(site: Site) -> None:
    month = f"calendar/{site.holiday.year:04d}/{site.holiday.month:02d}/index.html"
    name = jpholiday.is_holiday_name(site.holiday)
    japanese = (site.live / month).read_text(encoding="utf-8")
    cell = re.search(rf'<td id="d{site.holiday.isoformat()}"([^>]*)>(.*?)</td>', japanese, re.S)
    assert cell and 'class="holiday"' in cell.group(1)
    assert f"祝日: {name}" in html.unescape(cell.group(2))  # a word, not a colour alone
    english = (site.live / "en" / month).read_text(encoding="utf-8")
    cell_en = re.search(rf'<td id="d{site.holiday.isoformat()}"([^>]*)>(.*?)</td>', english, re.S)
    assert cell_en and 'class="holiday"' in cell_en.group(1)
    words = html.unescape(cell_en.group(2))
    assert "Holiday: " in words and name not in words
    # An ordinary day is not marked.
    plain = re.search(rf'<td id="d{site.soon.isoformat()}"([^>]*)>(.*?)</td>', japanese, re.S)
    if site.soon.month == site.holiday.month:
        assert plain and "holiday" not in plain.group(1) and "祝日" not in plain.group(2)


def test_the_calendar_starts_at_the_current_month(site: Site) -> None:
    for prefix in ("", "en/"):
        text = (site.live / prefix / "calendar" / "index.html").read_text(encoding="utf-8")
        sections = re.findall(r'<section aria-labelledby="([^"]+)">(.*?)</section>', text, re.S)
        months = {
            name: [
                (int(y), int(m))
                for y, m in re.findall(r'href="[^"]*/calendar/(\d{4})/(\d{2})/"', body)
            ]
            for name, body in sections
        }
        upcoming, past = months["h-months"], months["h-past-months"]
        current = (site.today.year, site.today.month)
        events = sorted({(d.year, d.month) for d in (site.soon, site.holiday)})
        assert upcoming[0] == events[0] and upcoming[0] >= current
        assert upcoming == sorted(upcoming) and all(m >= current for m in upcoming)
        assert set(events) <= set(upcoming)
        assert past == sorted(past, reverse=True) and all(m < current for m in past)
        assert (site.past.year, site.past.month) in past
        assert text.index('id="h-months"') < text.index('id="h-past-months"')


def test_pagefind_records_date_place_and_kind_and_not_the_hidden_note(site: Site) -> None:
    records = fragments(site.live)
    holiday = records[url_of(site.live, page_of(site.live, site.posts["holiday"]))]
    soon = records[url_of(site.live, page_of(site.live, site.posts["soon"]))]
    assert holiday["meta"]["title"] == soon["meta"]["title"] == TITLE
    assert holiday["meta"]["place"] == "四谷体育館" and soon["meta"]["place"] == "牛込地域センター"
    assert holiday["meta"]["kind"] == soon["meta"]["kind"] == "イベント"
    assert holiday["meta"]["date"].startswith(f"{site.holiday.year}年{site.holiday.month}月")
    assert holiday["meta"]["date"] != soon["meta"]["date"]
    for record in records.values():
        assert PAST_NOTE not in record["content"].replace("\u200b", "")
    # The page still carries the note for past.js, hidden and outside the index.
    page = page_of(site.live, site.posts["soon"]).read_text(encoding="utf-8")
    assert re.search(r'<p class="past-note"[^>]*data-pagefind-ignore[^>]*hidden>', page)


EN_DATE = r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} [A-Z][a-z]+ \d{4}, 10:00"


def test_english_pages_have_an_english_index_with_english_meta(site: Site) -> None:
    records = fragments(site.live)
    for name, place in (("holiday", "四谷体育館"), ("soon", "牛込地域センター")):
        url = "/en" + url_of(site.live, page_of(site.live, site.posts[name]))
        record = records[url]
        assert record["meta"]["title"] == TITLE
        assert record["meta"]["kind"] == "Event" and record["meta"]["place"] == place
        assert re.match(EN_DATE, record["meta"]["date"]), record["meta"]["date"]
        assert "年" not in record["meta"]["date"]
    # Pagefind keeps one index per <html lang>: the entry file names both languages.
    entry = json.loads((site.live / "pagefind" / "pagefind-entry.json").read_text())
    assert {"ja", "en"} <= set(entry["languages"])


def test_a_just_approved_item_carries_the_same_meta_in_the_delta(site: Site) -> None:
    [item] = [i for i in site.fresh_delta["items"] if i["title"] == TITLE and i["lang"] == "ja"]
    assert item["meta"]["place"] == "戸塚会館" and item["meta"]["kind"] == "イベント"
    fresh_day = site.soon + timedelta(days=7)
    assert item["meta"]["date"].startswith(
        f"{fresh_day.year}年{fresh_day.month}月{fresh_day.day}日"
    )
    assert PAST_NOTE not in item["text"]
    # The same keys as Pagefind's own records of the pages built before it.
    indexed = fragments(site.live)[url_of(site.live, page_of(site.live, site.posts["soon"]))]
    assert set(item["meta"]) == set(indexed["meta"]) - {"title"}
    assert item["lang"] == "ja"
    # Its English twin is in the delta too, with English meta and its language.
    [twin] = [i for i in site.fresh_delta["items"] if i["url"] == "/en" + item["url"]]
    assert twin["lang"] == "en" and twin["title"] == TITLE
    assert twin["meta"]["kind"] == "Event" and twin["meta"]["place"] == "戸塚会館"
    assert re.match(EN_DATE, twin["meta"]["date"]), twin["meta"]["date"]


def _search_rows(
    site: Site, browser: Any, path: str, done: str
) -> list[tuple[str, list[str], str]]:
    """Search on the site's own page; return each result's title, lines and link."""
    from intake.web import create_app

    app = create_app(site.instance.settings, runtime=site.instance.rt)
    with serving(app, "hiroba-dates") as url:
        context = browser.new_context(base_url=url, locale="ja-JP")  # type: ignore[attr-defined]
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(path)
        page.wait_for_selector(f".search-status:has-text('{done}')")
        rows = [
            (
                row.locator("a").inner_text(),
                row.locator("p").all_inner_texts(),
                str(row.locator("a").get_attribute("href")),
            )
            for row in page.locator(".search-results li").all()
        ]
        context.close()
    assert errors == []
    return rows


@pytest.mark.browser
def test_search_results_show_date_place_and_kind(site: Site, shared_chromium: Any) -> None:
    found = _search_rows(site, shared_chromium, "/search/?q=" + TITLE, "件見つかりました")
    assert not any(href.startswith("/en/") for _, _, href in found), found
    rows = [(title, texts) for title, texts, _ in found]
    # The organizer's page lists the events too: a group, said so.
    assert [texts[0] for title, texts in rows if title != TITLE] == ["団体"]
    lines = [(title, texts[0]) for title, texts in rows if title == TITLE]
    places = {"四谷体育館", "牛込地域センター", "戸塚会館"}  # the last only in search/delta.json
    assert len(lines) == 3
    for _, line in lines:
        date_text, place, kind = line.split(" / ")
        assert re.match(r"\d{4}年\d{1,2}月\d{1,2}日\(.\) 10:00〜12:00$", date_text)
        assert place in places and kind == "イベント"
    assert {line.split(" / ")[1] for _, line in lines} == places


@pytest.mark.browser
def test_english_search_shows_english_meta(site: Site, shared_chromium: Any) -> None:
    rows = _search_rows(site, shared_chromium, "/en/search/?q=" + TITLE, "found")
    assert all(href.startswith("/en/") for _, _, href in rows), rows
    assert [texts[0] for title, texts, _ in rows if title != TITLE] == ["Group"]
    lines = [texts[0] for title, texts, _ in rows if title == TITLE]
    assert len(lines) == 3  # the last only in search/delta.json, as its English twin
    for line in lines:
        date_text, place, kind = line.split(" / ")
        assert re.match(EN_DATE, date_text) and "年" not in date_text, date_text
        assert kind == "Event"
    assert {line.split(" / ")[1] for line in lines} == {
        "四谷体育館",
        "牛込地域センター",
        "戸塚会館",
    }
    # The English kind filter is the English index's value.
    kinds = _search_rows(site, shared_chromium, "/en/search/?kind=Event&q=" + TITLE, "found")
    assert len(kinds) == 3 and all(t == TITLE for t, _, _ in kinds)


@pytest.mark.browser
def test_a_japanese_word_inside_a_title_is_found_on_english_search_too(
    site: Site, shared_chromium: Any
) -> None:
    """Pagefind's English index holds users' Japanese unsegmented (one word from its start):
    /en/search/ also asks the Japanese index and shows each hit's English twin, so a word in
    the middle of a title is found there as on /search/, with English meta and filters."""
    word = TITLE[TITLE.index("体操") :]  # 体操教室: not where 同じ名前の体操教室 starts
    assert not TITLE.startswith(word)
    ja = _search_rows(site, shared_chromium, "/search/?q=" + word, "件見つかりました")
    en = _search_rows(site, shared_chromium, "/en/search/?q=" + word, "found")
    # The three of that title and 先月の体操教室, in both languages, each its own language's.
    titles = sorted(title for title, _, _ in ja if title != "耐久テスト団体")
    assert titles == sorted([TITLE] * 3 + ["先月の体操教室"]), ja
    assert sorted(href for _, _, href in en) == sorted("/en" + href for _, _, href in ja), en
    events = [texts[0] for title, texts, _ in en if title in (TITLE, "先月の体操教室")]
    assert len(events) == 4 and all(line.endswith(" / Event") for line in events), events
    assert all(re.match(EN_DATE, line.split(" / ")[0]) for line in events), events
    # The English filter holds for the pages found through the Japanese index too.
    kinds = _search_rows(site, shared_chromium, "/en/search/?kind=Event&q=" + word, "found")
    assert len(kinds) == 4 and all(t in (TITLE, "先月の体操教室") for t, _, _ in kinds), kinds
