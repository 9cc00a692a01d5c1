"""The public site's pages on a demo build: event details the Japanese way, the group
directory, past marking, 404, robots, Open Graph, the search page and the weight budget."""

from __future__ import annotations

import datetime as dt
import gzip
import html
import importlib.util
import re
import sys
from pathlib import Path

from site_support import demo_fixture, event_pages

demo = demo_fixture()
JA_SPAN = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日\([月火水木金土日]\) \d{2}:\d{2}〜")
BUDGET = 50 * 1024  # bytes over the wire (gzip, as served) for HTML, CSS and JS together


def _site(demo) -> Path:  # type: ignore[no-untyped-def]
    return demo.settings.live_dir.resolve()


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_event_page_shows_date_place_map_fee_organizer_and_past_note(demo):  # type: ignore[no-untyped-def]
    site = _site(demo)
    pages = event_pages(site)
    with_fee = 0
    for path in pages:
        page = _read(path)
        assert JA_SPAN.search(page), path
        assert (
            '<p class="past-note" data-ends="' in page
            and "hidden>このイベントは終了しました" in page
        )
        if "<dt>会場</dt>" in page and 'class="address"' in page:
            assert 'href="https://www.openstreetmap.org/search?query=' in page
        with_fee += "<dt>費用</dt>" in page
        group = re.search(r'<dt>主催</dt>\s*<dd><a href="/groups/(\d+)/">', page)
        assert group, path
        group_page = _read(site / "groups" / group.group(1) / "index.html")
        assert f'href="/{path.parent.relative_to(site)}/"' in group_page
        assert (
            '<meta property="og:title"' in page
            and '<meta property="og:type" content="article">' in page
        )
    assert with_fee


def test_group_directory_lists_every_group_with_its_public_name_only(demo):  # type: ignore[no-untyped-def]
    site = _site(demo)
    directory = _read(site / "groups" / "index.html")
    groups = sorted((site / "groups").glob("*/index.html"))
    assert len(groups) >= 3
    for path in groups:
        name = html.unescape(re.search(r"<h1>(.*?)</h1>", _read(path)).group(1))
        assert f'href="/groups/{path.parent.name}/">{html.escape(name)}</a>' in directory
        assert (site / "calendar" / "groups" / f"{path.parent.name}.ics").is_file()
        assert (site / "feeds" / "groups" / f"{path.parent.name}.atom.xml").is_file()


def test_404_search_page_and_robots_exist(demo):  # type: ignore[no-untyped-def]
    site = _site(demo)
    assert "ページが見つかりません" in _read(site / "404.html")
    search = _read(site / "search" / "index.html")
    for field in ('id="q"', 'id="kind"', 'id="topic"', 'id="area"', 'id="month"'):
        assert field in search
    assert (site / "pagefind" / "pagefind.js").is_file()
    assert not list((site / "pagefind").glob("pagefind-ui.*"))
    assert (site / "robots.txt").is_file()


def _assets(page: str) -> list[str]:
    """Every URL the browser fetches for the page (stylesheets, scripts, images)."""
    links = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page)
    return links + re.findall(r'<(?:script|img)[^>]* src="([^"]+)"', page)


def test_event_page_weight_budget_and_same_origin_only(demo):  # type: ignore[no-untyped-def]
    site = _site(demo)
    for path in event_pages(site):
        page = _read(path)
        assets = _assets(page)
        assert assets and all(a.startswith("/") and not a.startswith("//") for a in assets)
        # /banner.css lives beside the builds (worker/publication/banner.py): a comment, or
        # one banner's few hundred bytes.
        files = [path] + [site / a.lstrip("/") for a in assets if a != "/banner.css"]
        wire = sum(len(gzip.compress(f.read_bytes(), 6)) for f in files)
        raw = sum(f.stat().st_size for f in files)
        assert wire <= BUDGET and raw <= BUDGET, (path, wire, raw)
        for img in re.findall(r"<img [^>]*>", page):
            assert all(a in img for a in ('width="', 'height="', 'loading="lazy"')), img


def _load_plan():  # type: ignore[no-untyped-def]
    """Import the listings plugin (a package) under a private module name."""
    folder = Path(__file__).resolve().parents[1] / "pelican" / "plugins" / "listings"
    name = "_hiroba_test_listings"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, folder / "__init__.py", submodule_search_locations=[str(folder)]
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    module = sys.modules[name]
    return module.Entry, module.plan


def test_month_listing_marks_what_ended_before_the_build_day() -> None:
    entry_cls, plan = _load_plan()
    common = {"page_sig": "x", "listed": True, "summary": "", "kind": "events",
              "date": "2026-11-01T10:00:00+09:00", "organizer": "団体",
              "organizer_id": "3"}  # fmt: skip
    entries = [
        entry_cls(
            source=f"posts/{n}.md",
            slug=str(n),
            url=f"events/{n}/",
            page=f"events/{n}/index.html",
            title=f"催し{n}",
            starts=f"2026-12-{day:02d}T10:00",
            **common,
        )  # fmt: skip
        for n, day in ((1, 3), (2, 20))
    ]
    settings = {"HIROBA_KINDS": {"events": "イベント"}}
    pages = plan(entries, settings, dt.date(2026, 12, 10), [])
    assert pages["events/2026/12/index.html"].data["past"] == ["1"]
    group = pages["groups/3/index.html"].data
    assert [e.slug for e in group["past"]] == ["1"] and [e.slug for e in group["upcoming"]] == ["2"]
    assert "events/1/event.ics" in pages and "calendar/groups/3.ics" in pages
