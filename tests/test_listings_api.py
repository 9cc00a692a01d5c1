"""The listings plugin's typed interface (pelican/plugins/listings/api.py), called on a
small set of entries the way the worker's incremental publisher calls it."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import shutil
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pelican import Pelican

from intake.config import Settings
from worker.build.session import listings_api, pelican_settings

JST = ZoneInfo("Asia/Tokyo")


def _pelican_settings(folder: Path) -> dict:
    """Pelican's settings for a build of a fresh instance in folder (its content dir made)."""
    config = Settings.from_env({"HIROBA_HOME": str(folder / "instance")})
    config.content_dir.mkdir(parents=True)
    return pelican_settings(config, folder / "out")


@pytest.fixture(scope="module")
def listings(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The listings plugin's interface, as the worker loads it (through Pelican)."""
    return listings_api(Pelican(_pelican_settings(tmp_path_factory.mktemp("listings"))))


def _module(listings: Any, name: str) -> ModuleType:
    """Return the plugin's module `name`, from the package Pelican loaded the plugin as."""
    return importlib.import_module(f"{listings.__module__.rpartition('.')[0]}.{name}")


def _article(n: int, kind: str, starts: str, status: str = "published") -> SimpleNamespace:
    return SimpleNamespace(
        slug=str(n),
        category=SimpleNamespace(slug=kind),
        url=f"{kind}/{n}/",
        save_as=f"{kind}/{n}/index.html",
        status=status,
        title=f"催し{n}",
        summary=f"催し{n}の概要",
        date=dt.datetime(2026, 11, 1, 9, 0, tzinfo=JST),
        starts=starts,
        ends=starts,
        topic="welfare",
        area="yotsuya",
        organizer="テスト団体",
        organizer_id="3",
    )


@pytest.fixture
def settings(tmp_path: Path) -> dict:
    return _pelican_settings(tmp_path)


def test_a_site_is_planned_from_entries_with_a_signature_for_every_page(
    listings: Any, settings: dict
) -> None:
    api = _module(listings, "api")
    entries = [
        listings.entry_from_article(
            _article(n, kind, starts),
            f"posts/{n}.md",
            listings.source_digest(f"posts/{n}.md", f"本文{n}".encode()),
        )
        for n, kind, starts in [
            (1, "events", "2026-12-05T14:00"),
            (2, "recruitment", "2027-01-10T10:00"),
            (3, "notices", ""),
        ]
    ]
    hidden = listings.entry_from_article(
        _article(4, "events", "2026-12-06T10:00", status="hidden"), "posts/4.md", "sig4"
    )
    site = listings.plan_site([*entries, hidden], settings, [])
    assert isinstance(site, api.SitePlan)
    assert site.today == dt.datetime.now(ZoneInfo(settings["TIMEZONE"])).date()
    assert site.language_prefixes == ["en/"]
    assert {"index.html", "sitemap.xml", "search/index.json"} <= set(site.pages)
    for entry in [*entries, hidden]:  # each post's page has its source's digest, in each language
        assert site.signatures[entry.page] == entry.page_sig
        assert site.signatures["en/" + entry.page] == entry.page_sig
    assert set(site.pages) <= set(site.signatures)
    assert all(isinstance(page, api.Page) for page in site.pages.values())
    # A hidden entry has its page but is in no listing.
    assert "催し4" not in str(site.pages["index.html"].data)
    again = listings.plan_site(list(reversed([*entries, hidden])), settings, [])
    assert again.signatures == site.signatures  # the plan does not depend on the order


def test_entries_survive_a_saved_state_and_digests_tell_files_apart(
    listings: Any, tmp_path: Path
) -> None:
    entry = listings.entry_from_article(
        _article(1, "events", "2026-12-05T14:00"), "posts/1.md", "sig1"
    )
    restored = listings.restore_entry(entry.snapshot())
    assert restored == entry and restored.start_key == entry.start_key
    assert listings.restore_entry(restored) is restored
    first = listings.source_digest("posts/1.md", b"a")
    assert first == listings.source_digest("posts/1.md", b"a")
    assert first != listings.source_digest("posts/1.md", b"b")
    assert first != listings.source_digest("posts/2.md", b"a")
    post = tmp_path / "1.md"
    assert listings.post_stat(str(post)) is None
    post.write_text("x", encoding="utf-8")
    st = post.stat()
    assert listings.post_stat(str(post)) == [st.st_ino, st.st_size, st.st_mtime_ns]
    assert isinstance(listings.STATE_VERSION, int)


def test_the_search_delta_is_counted_per_language(listings: Any, tmp_path: Path) -> None:
    """HIROBA_SEARCH_DELTA_MAX_PAGES holds in each language: a page under a language's
    folder of the Pagefind index counts for that language, any other for the default."""
    searchfresh = _module(listings, "searchfresh")
    assert searchfresh.languages_of(tmp_path) == frozenset()  # no index yet
    (tmp_path / "pagefind").mkdir()
    (tmp_path / "pagefind" / "pagefind-entry.json").write_text(
        '{"version":"1.5.2","languages":{"ja":{},"en":{}}}', encoding="utf-8"
    )
    languages = searchfresh.languages_of(tmp_path)
    assert languages == {"ja", "en"}
    pages = {"events/5/index.html", "en/events/5/index.html", "en/events/6/index.html",
             "english/index.html", "index.html"}  # fmt: skip
    assert searchfresh.pages_by_language(pages, languages) == {"": 3, "en": 2}
    assert searchfresh.pages_by_language(pages, frozenset()) == {"": 5}


def _page(title: str, text: str) -> str:
    return (
        f'<html lang="ja"><body><main data-pagefind-body><h1>{title}</h1>'
        f"<p>{text}</p></main></body></html>"
    )


def _search_folders(tmp_path: Path) -> tuple[Path, Path]:
    """A live folder and a spare made from it, sharing one (empty) Pagefind index."""
    live, target = tmp_path / "live", tmp_path / "target"
    for root in (live, target):
        (root / "pagefind").mkdir(parents=True)
    (live / "pagefind" / "pagefind-entry.json").write_text('{"languages": {"ja": {}}}')
    (target / "pagefind" / "pagefind-entry.json").hardlink_to(
        live / "pagefind" / "pagefind-entry.json"
    )
    return live, target


def test_the_search_delta_reads_only_the_pages_that_changed(listings: Any, tmp_path: Path) -> None:
    """A page the live folder has with the same signature keeps its item of the live delta
    (not read again); a changed page is read again; the bytes are those of reading all."""
    searchfresh = _module(listings, "searchfresh")
    live, target = _search_folders(tmp_path)
    pages = {"events/1/index.html": _page("一", "最初"), "events/2/index.html": _page("二", "前")}
    for root in (live, target):
        for rel, html in pages.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(html, encoding="utf-8")
    live_sigs = {"events/1/index.html": "a", "events/2/index.html": "b"}
    state = {"index": "i", "fragments": {}, "pending": sorted(live_sigs), "deleted": {}}
    first = searchfresh.refresh(live, (live, {}), dict(state), live_sigs)  # reads both
    assert first is not None and first[1]["items"] == 2
    # Changed since the live delta was written: page 2 (a new signature) and page 3 (new).
    (target / "events/2/index.html").write_text(_page("二", "後"), encoding="utf-8")
    (target / "events/3").mkdir()
    (target / "events/3/index.html").write_text(_page("三", "新"), encoding="utf-8")
    wanted = dict(live_sigs, **{"events/2/index.html": "c", "events/3/index.html": "d"})
    # Page 1 is unchanged: a marker in the live delta shows its item is not read again.
    delta = (live / "search/delta.json").read_bytes()
    (live / "search/delta.json").write_bytes(delta.replace("最初".encode(), "既知".encode()))
    searchfresh.refresh(target, (live, live_sigs), dict(first[0]), wanted)
    items = json.loads((target / "search/delta.json").read_bytes())["items"]
    assert [(item["url"], item["text"]) for item in items] == [
        ("/events/1/", "一 既知"),
        ("/events/2/", "二 後"),
        ("/events/3/", "三 新"),
    ]
    # Without a live delta every pending page is read: the same bytes but page 1's text.
    (live / "search/delta.json").unlink()
    again = tmp_path / "again"
    shutil.copytree(target, again, copy_function=shutil.copy)
    (again / "pagefind/pagefind-entry.json").unlink()
    (again / "pagefind/pagefind-entry.json").hardlink_to(live / "pagefind/pagefind-entry.json")
    searchfresh.refresh(again, (live, live_sigs), dict(first[0]), wanted)
    expected = (target / "search/delta.json").read_bytes().replace("既知".encode(), "最初".encode())
    assert (again / "search/delta.json").read_bytes() == expected
