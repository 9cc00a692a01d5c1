"""Search is fresh at once: a just-approved item is found (in Japanese, with filters) through
search/delta.json before Pagefind re-indexes, and through Pagefind after; a taken-down
item's text leaves every file of the live site and every search result. Real Redis, rq
workers, Pelican, Pagefind and Chromium; the follow-up re-index runs as the real job."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from actors import open_group
from browsing import close_contexts, serving
from sqlalchemy import select

from intake.models import Build
from intake.moderation import decisions as post_decisions
from intake.posts.services import PostData, submit_post
from intake.site.takedown import take_down
from intake.taxonomy import TOPICS

DELTA = "search/delta.json"
ZWSP = "\u200b"  # Pagefind puts one between the words it segments Japanese into


def _post(n: int, title: str, body: str, topic: str = "culture") -> PostData:
    start = datetime.combine(date.today(), datetime.min.time()) + timedelta(days=20 + n, hours=10)
    return PostData(
        kind="event",
        title=title,
        summary=f"検索の鮮度を確かめる催しです（{n}）。",
        body=body,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        place_name="テスト会館",
        topic=topic,
        area="yotsuya",
    )


def _approve(instance, moderator: int, group: int, data: PostData) -> int:  # type: ignore[no-untyped-def]
    post_id = submit_post(instance.rt, group, data)
    post_decisions.approve(instance.rt, moderator, post_decisions.Subject("post", post_id))
    return post_id


def _drain(instance) -> None:  # type: ignore[no-untyped-def]
    """Run the main queue (ingest, publish, rebuild) with a real rq worker, not the search one."""
    from worker.run import make_worker

    make_worker(instance.rt).work(burst=True, with_scheduler=False)


def _settle(instance) -> None:  # type: ignore[no-untyped-def]
    """Run the follow-up Pagefind re-index the publications asked for (its own rq queue)."""
    from worker.run import make_search_worker

    make_search_worker(instance.rt).work(burst=True, with_scheduler=False)


def _live(instance) -> Path:  # type: ignore[no-untyped-def]
    return instance.settings.live_dir.resolve()


def _delta(root: Path) -> dict:
    return json.loads((root / DELTA).read_text(encoding="utf-8"))


def _texts(root: Path) -> dict[str, str]:
    """Every file of a build as text, gzip files (Pagefind's) decompressed, words rejoined."""
    found = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        found[str(path.relative_to(root))] = data.decode("utf-8", "replace").replace(ZWSP, "")
    return found


def _fragment_urls(root: Path) -> set[str]:
    texts = _texts(root)
    return {
        json.loads(text[len("pagefind_dcd") :])["url"]
        for rel, text in texts.items()
        if rel.startswith("pagefind/fragment/")
    }


def _indexed(instance, url: str) -> bool:  # type: ignore[no-untyped-def]
    """Tell whether Pagefind's index of the live site has url and the delta is empty."""
    try:
        live = _live(instance)
        return url in _fragment_urls(live) and _delta(live)["items"] == []
    except (OSError, ValueError):  # switched (and pruned) while we read: look again
        return False


def _build_logs(instance) -> list[str]:  # type: ignore[no-untyped-def]
    with instance.rt.sessions() as session:
        return list(session.scalars(select(Build.log).order_by(Build.id)))


@pytest.fixture
def browser(shared_chromium) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """The session's Chromium; the contexts a test opened are closed after it."""
    yield shared_chromium
    close_contexts(shared_chromium)


@pytest.fixture
def site(instance) -> Iterator[str]:  # type: ignore[no-untyped-def]
    from intake.web import create_app

    with serving(create_app(instance.settings, runtime=instance.rt), "hiroba-search") as url:
        yield url


def _search(browser, site: str, lang: str = "ja", **params: str) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    """Search on the site's own page (/en/search/ for English); return the status line and
    the result titles."""
    context = browser.new_context(base_url=site, locale="ja-JP")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    folder = "" if lang == "ja" else f"/{lang}"
    page.goto(f"{folder}/search/?" + urlencode(params))
    done = "件見つかりました" if lang == "ja" else "found"
    page.wait_for_selector(f".search-status:has-text('{done}')")
    links = page.locator(".search-results li a").evaluate_all("(as) => as.map(a => a.href)")
    assert all((f"{site}/en/" in link) == (lang == "en") for link in links), links
    status = page.locator(".search-status").inner_text()
    titles = page.locator(".search-results li a").all_inner_texts()
    context.close()
    assert errors == []
    return status, titles


def test_approved_item_is_found_from_the_delta_then_from_pagefind(
    instance, worker_env, site, browser
):  # type: ignore[no-untyped-def]
    moderator, group = open_group(instance)
    for n in range(3):
        _approve(instance, moderator, group, _post(n, f"ふつうの集い{n}", "いつもの本文です。"))
    _drain(instance)  # the first publication is a full build: Pagefind ran, the delta is empty
    assert _delta(_live(instance))["items"] == []
    title = "ひまわり朗読会のご案内"
    body = "絵本の読み聞かせと、ＡＢＣ英語かるた大会を行います。"
    fresh = _approve(instance, moderator, group, _post(7, title, body, topic="childcare"))
    _drain(instance)
    live = _live(instance)
    assert "search:" in _build_logs(instance)[-1]
    url = f"/events/{fresh}/"
    # Not in Pagefind's index yet: only the delta has it (with Pagefind's filters).
    assert url not in _fragment_urls(live)
    (item,) = [i for i in _delta(live)["items"] if i["url"] == url]
    assert item["title"] == title and "ABC英語かるた" in item["text"].replace("ＡＢＣ", "ABC")
    assert item["filters"]["分野"] == [TOPICS["childcare"]]
    status, titles = _search(browser, site, q="朗読会")
    assert titles[0] == title, status  # the delta's hits come first
    # NFKC: half-width letters find full-width ones; the filters apply to the delta too
    # (its group's page lists it as well, and is in the delta with it).
    assert title in _search(browser, site, q="abc英語かるた", topic=TOPICS["childcare"])[1]
    assert title not in _search(browser, site, q="朗読会", topic=TOPICS["culture"])[1]
    others = _search(browser, site, q="集い", kind="イベント")[1]
    assert title not in others
    assert {f"ふつうの集い{n}" for n in range(3)} <= set(others)  # Pagefind's results still come
    # English: the delta's English twin, with the English index's filter values.
    (twin,) = [i for i in _delta(live)["items"] if i["url"] == "/en" + url]
    assert twin["lang"] == "en" and twin["filters"]["種類"] == ["Event"]
    english = _search(browser, site, lang="en", q="朗読会")
    assert english[1][0] == title, english
    assert title in _search(browser, site, lang="en", q="朗読会", kind="Event")[1]
    assert title not in _search(browser, site, lang="en", q="朗読会", kind="Notice")[1]
    # The English index does not segment Japanese (Pagefind segments "ja" pages only): a
    # user's Japanese words are found from the start of a phrase as written.
    assert {f"ふつうの集い{n}" for n in range(3)} <= set(
        _search(browser, site, lang="en", q="ふつうの集い", kind="Event")[1]
    )

    _settle(instance)  # the follow-up job: Pagefind over the live site, a new build
    live = _live(instance)
    assert _build_logs(instance)[-1].startswith("search re-index")
    assert _delta(live) == {"items": [], "removed_ids": [], "removed_urls": []}
    assert url in _fragment_urls(live) and "/en" + url in _fragment_urls(live)
    assert title in _search(browser, site, q="朗読会")[1]
    assert _search(browser, site, q="朗読会", topic=TOPICS["childcare"])[1] == [title]
    assert _search(browser, site, lang="en", q="ひまわり朗読会", kind="Event")[1] == [title]
    # The next publication reuses the folder the job gave the new index (hard links).
    later = _approve(instance, moderator, group, _post(8, "あさがお観察会", "観察の本文。"))
    _drain(instance)
    live = _live(instance)
    assert [i["url"] for i in _delta(live)["items"]].count(f"/events/{later}/") == 1
    assert url in _fragment_urls(live)
    assert title in _search(browser, site, q="朗読会")[1]
    assert _search(browser, site, q="観察会")[1][0] == "あさがお観察会"


def test_taken_down_item_leaves_every_file_and_search(instance, worker_env, site, browser):  # type: ignore[no-untyped-def]
    moderator, group = open_group(instance)
    title = "みかん畑の秘密の合言葉"
    sentence = "取り下げを確かめるための特別な一文です"
    gone = _approve(instance, moderator, group, _post(1, title, sentence + "。"))
    kept = _approve(instance, moderator, group, _post(2, "りんご畑の見学会", "収穫体験つき。"))
    _drain(instance)  # full build: both pages are in Pagefind's index
    url = f"/events/{gone}/"
    assert url in _fragment_urls(_live(instance))
    assert title in _search(browser, site, q="みかん畑")[1]  # and its group's page, listing it

    take_down(instance.rt, moderator, gone, "テストのための緊急非公開")
    _drain(instance)
    live = _live(instance)
    delta = _delta(live)
    # The page and its English twin are gone, each from its own language's index.
    assert delta["gone"] == 2 and delta["removed_ids"] and url not in delta["removed_urls"]
    assert url not in _fragment_urls(live) and "/en" + url not in _fragment_urls(live)
    # The page, every listing and feed, search/index.json and the page's Pagefind fragment
    # (its URL, title and text) are gone at once; the delta does not name it either.
    # Pagefind's word index still maps single terms (the title among them) to the page's
    # number until the re-index, which a removal asks for without delay; no page text or
    # URL is left with them, and search.js drops hits on removed pages before loading.
    for rel, text in _texts(live).items():
        if not rel.startswith("pagefind/index/"):
            assert title not in text and sentence not in text, rel
            assert url not in text, rel
    assert title not in _search(browser, site, q="みかん畑")[1]
    assert title not in _search(browser, site, q="取り下げ")[1]
    assert title not in _search(browser, site, lang="en", q="みかん畑")[1]
    assert "りんご畑の見学会" in _search(browser, site, q="見学会")[1]

    _settle(instance)
    live = _live(instance)
    for rel, text in _texts(live).items():
        assert title not in text and sentence not in text and url not in text, rel
    assert f"/events/{kept}/" in _fragment_urls(live)
    assert title not in _search(browser, site, q="みかん畑")[1]


def test_running_worker_reindexes_after_a_publication(instance):  # type: ignore[no-untyped-def]
    """`python -m worker run` starts the search worker beside the main one: after an
    incremental publication the re-index follows by itself and empties the delta."""
    moderator, group = open_group(instance)
    _approve(instance, moderator, group, _post(0, "最初の集い", "本文。"))
    worker = instance.start_worker()
    try:
        deadline = time.monotonic() + 240
        while not (instance.settings.live_dir / "index.html").is_file():
            assert time.monotonic() < deadline, "no first build"
            time.sleep(0.2)
        fresh = _approve(instance, moderator, group, _post(1, "つづきの集い", "本文の二。"))
        url = f"/events/{fresh}/"
        while not _indexed(instance, url):
            assert time.monotonic() < deadline, _build_logs(instance)
            time.sleep(0.5)
    finally:
        instance.kill_group(worker)
    logs = _build_logs(instance)
    assert any(log.startswith("incremental: 1 changed post") for log in logs), logs
    assert logs[-1].startswith("search re-index"), logs
