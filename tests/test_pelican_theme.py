"""Pelican configuration, plugins and theme: filter unit tests and real site builds."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import logging
import re
import shutil
import sys
from pathlib import Path
from types import ModuleType
from zoneinfo import ZoneInfo

import pytest
from pelican import Pelican
from pelican.settings import read_settings

REPO = Path(__file__).resolve().parent.parent
PELICANCONF = REPO / "pelican" / "pelicanconf.py"
PUBLISHCONF = REPO / "pelican" / "publishconf.py"
WEEKDAYS = "月火水木金土日"
SITEURL = "https://hiroba.example.jp"
TOPICS = {"welfare": "福祉・健康", "children": "子ども・子育て"}
AREAS = {"yotsuya": "四谷", "ochiai": "落合"}


def _load_plugin(name: str) -> ModuleType:
    """Import a plugin from pelican/plugins/ under a private module name."""
    path = REPO / "pelican" / "plugins" / name / "__init__.py"
    # As a package, so the plugin's relative imports (jadates.english) resolve.
    spec = importlib.util.spec_from_file_location(
        f"_hiroba_test_{name}", path, submodule_search_locations=[str(path.parent)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


jadates = _load_plugin("jadates")


def _ja(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日({WEEKDAYS[day.weekday()]})"


# --- jadates filters --------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-12-05T14:00", "2026年12月5日(土)"),
        ("2026-12-05", "2026年12月5日(土)"),
        (dt.date(2026, 12, 6), "2026年12月6日(日)"),
        (dt.datetime(2026, 12, 7, 9, 30), "2026年12月7日(月)"),
        (dt.datetime(2026, 11, 29, 10, 15, tzinfo=ZoneInfo("Asia/Tokyo")), "2026年11月29日(日)"),
        ("2026-12-05T14:00:00+09:00", "2026年12月5日(土)"),
    ],
)
def test_jadate_formats_dates_with_weekday(value: object, expected: str) -> None:
    assert jadates.jadate(value) == expected


def test_jadate_weekdays_cover_the_whole_week() -> None:
    days = [jadates.jadate(f"2026-12-{day:02d}") for day in range(7, 14)]
    assert [d[-2] for d in days] == list("月火水木金土日")


@pytest.mark.parametrize("value", ["", "来週の土曜日", "2026-13-40", "2026-12-05T25:00", None, 42])
def test_jadate_and_jatime_render_bad_input_unchanged(value: object) -> None:
    expected = "" if value is None else str(value)
    assert jadates.jadate(value) == expected
    assert jadates.jatime(value) == expected
    assert jadates.jaspan(value, "2026-12-05T16:00") == expected


def test_jatime() -> None:
    assert jadates.jatime("2026-12-05T14:00") == "14:00"
    assert jadates.jatime(dt.datetime(2026, 12, 5, 9, 5)) == "09:05"
    assert jadates.jatime("2026-12-05") == ""


def test_jaspan_same_day_shows_end_time_only() -> None:
    assert (
        jadates.jaspan("2026-12-05T14:00", "2026-12-05T16:00") == "2026年12月5日(土) 14:00〜16:00"
    )


def test_jaspan_across_days_repeats_the_date() -> None:
    assert (
        jadates.jaspan("2026-12-05T14:00", "2026-12-06T16:00")
        == "2026年12月5日(土) 14:00〜2026年12月6日(日) 16:00"
    )


def test_jaspan_without_end_or_time() -> None:
    assert jadates.jaspan("2026-12-05T14:00") == "2026年12月5日(土) 14:00"
    assert jadates.jaspan("2026-12-05T14:00", "") == "2026年12月5日(土) 14:00"
    assert jadates.jaspan("2026-12-05") == "2026年12月5日(土)"
    assert jadates.jaspan("2026-12-05", "2026-12-05") == "2026年12月5日(土)"
    assert jadates.jaspan("2026-12-05", "2026-12-07") == "2026年12月5日(土)〜2026年12月7日(月)"


def test_jaspan_keeps_an_unreadable_end_as_text() -> None:
    assert jadates.jaspan("2026-12-05T14:00", "夕方") == "2026年12月5日(土) 14:00〜夕方"


def test_upcoming_drops_ended_items_and_sorts_by_start() -> None:
    class Post:
        def __init__(self, starts: str | None, ends: str | None = None) -> None:
            self.starts, self.ends = starts, ends

    past = Post("2026-12-01T10:00", "2026-12-01T12:00")
    later = Post("2026-12-20T10:00")
    sooner = Post("2026-12-04T10:00", "2026-12-06T12:00")
    undated = Post(None)
    assert jadates.upcoming([past, later, undated, sooner], "2026-12-05") == [
        sooner,
        later,
        undated,
    ]


def test_filters_are_registered_on_generator_init() -> None:
    class Generator:
        class env:  # noqa: N801 - stands in for a Jinja environment
            filters: dict[str, object] = {}

    jadates.add_filters(Generator)
    assert {"jadate", "jatime", "jaspan"} <= set(Generator.env.filters)


# --- configuration ----------------------------------------------------------------


def test_pelican_folder_is_not_a_package() -> None:
    assert not (REPO / "pelican" / "__init__.py").exists()


def test_publishconf_extends_pelicanconf() -> None:
    dev = read_settings(str(PELICANCONF))
    prod = read_settings(str(PUBLISHCONF), override={"SITEURL": SITEURL})
    assert prod["RELATIVE_URLS"] is False
    assert prod["FEED_DOMAIN"] == SITEURL
    for key in ("PLUGINS", "PLUGIN_PATHS", "THEME", "ARTICLE_URL", "FORMATTED_FIELDS"):
        assert prod[key] == dev[key]
    assert dev["DEFAULT_LANG"] == "ja"
    assert dev["JINJA_ENVIRONMENT"]["autoescape"] is True
    assert Path(dev["THEME"]) == REPO / "theme"


# --- real builds ------------------------------------------------------------------


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _post(path: Path, **fields: str | None) -> None:
    body = fields.pop("body", None) or "本文です。"
    lines = [f"{key.capitalize()}: {value}" for key, value in fields.items() if value is not None]
    path.write_text("\n".join(lines) + "\n\n" + body + "\n", encoding="utf-8")


def _build(root: Path, posts: dict[str, dict[str, str | None]]) -> list[logging.LogRecord]:
    """Build a site from ``posts`` plus the repository's pages into root/out."""
    content = root / "content"
    (content / "posts").mkdir(parents=True)
    shutil.copytree(REPO / "content" / "pages", content / "pages")
    for name, fields in posts.items():
        _post(content / "posts" / f"{name}.md", **fields)
    settings = read_settings(
        str(PELICANCONF),
        override={
            "PATH": str(content),
            "OUTPUT_PATH": str(root / "out"),
            "THEME": str(REPO / "theme"),
            "SITEURL": SITEURL,
            "HIROBA_TOPICS": TOPICS,
            "HIROBA_AREAS": AREAS,
            "HIROBA_INTAKE_URL": "/app",
        },
    )
    handler = _Records()
    root_logger = logging.getLogger()
    root_logger.addHandler(handler)
    try:
        Pelican(settings).run()
    finally:
        root_logger.removeHandler(handler)
    return handler.records


XSS_TITLE = "<script>alert(1)</script>"
XSS_BODY = (
    "普通の段落です。\n\n<script>alert(1)</script>\n\n"
    "<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1)) and "
    '<a href="javascript:alert(2)" onclick="alert(3)">y</a> '
    "[公式サイト](https://example.jp/)"
)
EVENT_START = dt.datetime.now(ZoneInfo("Asia/Tokyo")).date() + dt.timedelta(days=30)


def _posts() -> dict[str, dict[str, str | None]]:
    start = EVENT_START.isoformat()
    return {
        "12": {
            "title": "子ども食堂ボランティア説明会",
            "date": "2026-11-29T10:15:00+09:00",
            "slug": "12",
            "category": "events",
            "kind": "event",
            "topic": "welfare",
            "area": "yotsuya",
            "starts": f"{start}T14:00",
            "ends": f"{start}T16:00",
            "place": "四谷地域センター 集会室",
            "place_address": "東京都新宿区内藤町87",
            "fee": "無料",
            "capacity": "20",
            "organizer": "新宿こども応援ネット",
            "organizer_id": "3",
            "contact": "電話 03-0000-0000（平日10時〜17時）",
            "apply_url": "/app/events/12/apply",
            "summary": "子ども食堂の運営ボランティアを募集します。",
            "body": "説明会では**活動内容**を紹介します。\n\n- 持ち物：筆記用具",
        },
        "13": {
            "title": XSS_TITLE,
            "date": "2026-11-28T09:00:00+09:00",
            "slug": "13",
            "category": "recruitment",
            "kind": "recruitment",
            "topic": "children",
            "area": "unknown-area",
            "starts": f"{start}T10:00",
            "ends": (EVENT_START + dt.timedelta(days=1)).isoformat() + "T12:00",
            "organizer": "<b>団体</b>",
            "organizer_id": "4",
            "summary": "<b>要約</b> & more",
            "body": XSS_BODY,
        },
        "14": {
            "title": "落合地域の清掃活動の報告",
            "date": "2026-11-27T18:00:00+09:00",
            "slug": "14",
            "category": "notices",
            "kind": "notice",
            "area": "ochiai",
            "organizer": "落合まちの会",
            "organizer_id": "5",
            "summary": "先月の清掃活動の報告です。",
        },
    }


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("site")
    records = _build(root, _posts())
    problems = [r.getMessage() for r in records if r.levelno >= logging.WARNING]
    assert problems == []
    return root / "out"


def _read(site: Path, rel: str) -> str:
    return (site / rel).read_text(encoding="utf-8")


def test_event_page_shows_the_public_fields(site: Path) -> None:
    html = _read(site, "events/12/index.html")
    assert '<html lang="ja">' in html
    assert '<meta name="viewport"' in html
    assert "<h1>子ども食堂ボランティア説明会</h1>" in html
    assert f"{_ja(EVENT_START)} 14:00〜16:00" in html
    assert "四谷地域センター 集会室" in html and "東京都新宿区内藤町87" in html
    assert "福祉・健康" in html and "四谷" in html
    assert "<dd>20人</dd>" in html and "<dd>無料</dd>" in html
    assert 'data-post-id="12"' in html
    assert 'href="/app/events/12/apply?lang=ja"' in html and "申し込む" in html
    assert '<a class="skip-link" href="#main">本文へ移動</a>' in html
    assert '<main id="main"' in html
    assert "<strong>活動内容</strong>" in html


def test_index_lists_upcoming_items_and_notices(site: Path) -> None:
    html = _read(site, "index.html")
    assert 'href="https://hiroba.example.jp/events/12/"' in html
    assert "子ども食堂ボランティア説明会" in html
    assert f"{_ja(EVENT_START)} 14:00〜16:00" in html
    assert "落合地域の清掃活動の報告" in html and "落合" in html
    assert "2026年11月27日(金)" in html


def test_site_structure(site: Path) -> None:
    for rel in (
        "feeds/all.atom.xml",
        "feeds/events.atom.xml",
        "events/index.html",
        "recruitment/index.html",
        "notices/index.html",
        "404.html",
        "theme/css/site.css",
        "pages/about/index.html",
        "pages/how-to-register/index.html",
        "pages/privacy/index.html",
        "pages/terms/index.html",
        "pages/accessibility/index.html",
    ):
        assert (site / rel).is_file(), rel
    for folder in ("author", "authors", "tag", "tags", "drafts", "archives"):
        assert not (site / folder).exists(), folder
    assert not list(site.glob("*.rss.xml")) and not list(site.glob("feeds/*.rss.xml"))
    assert "イベント" in _read(site, "feeds/events.atom.xml").split("<entry>")[0]
    # Hidden pages stay out of the navigation.
    assert "/404.html" not in _read(site, "index.html")
    assert "/app/register/group" in _read(site, "pages/how-to-register/index.html")


def test_empty_kind_still_has_a_page(tmp_path: Path) -> None:
    records = _build(tmp_path, {})
    assert [r for r in records if r.levelno >= logging.ERROR] == []
    assert "現在、掲載中のものはありません。" in _read(tmp_path / "out", "notices/index.html")


def test_user_markup_never_reaches_the_output(site: Path) -> None:
    html = _read(site, "recruitment/13/index.html")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the title, escaped
    assert "&lt;b&gt;団体&lt;/b&gt;" in html
    assert "unknown-area" in html  # an unknown area key falls back to the key itself
    assert 'href="https://example.jp/" rel="noopener noreferrer nofollow"' in html
    for path in site.rglob("*"):
        if path.suffix not in (".html", ".xml"):
            continue
        text = path.read_text(encoding="utf-8")
        # The theme's own scripts, and JSON-LD that parses and holds no "<", are allowed.
        for name in ("availability", "past", "search", "print-url"):
            text = text.replace(f'<script src="{SITEURL}/theme/js/{name}.js" defer></script>', "")
        for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', text):
            assert "<" not in block and json.loads(block)["@type"] == "Event"
        text = re.sub(r'<script type="application/ld\+json">.*?</script>', "", text)
        for needle in ("<script", "onerror=", "javascript:", "onclick=", "<img"):
            assert needle not in text.lower(), (path, needle)


def test_feed_summary_is_escaped_plain_text(site: Path) -> None:
    feed = _read(site, "feeds/all.atom.xml")
    # Plain text inside type="html": the markup is escaped twice, so readers show it.
    assert "&amp;lt;b&amp;gt;要約&amp;lt;/b&amp;gt; &amp;amp; more" in feed
    assert "&lt;b&gt;要約&lt;/b&gt; &amp; more" in _read(site, "recruitment/13/index.html")


def test_unknown_metadata_key_fails_the_build(tmp_path: Path) -> None:
    posts = _posts()
    posts["15"] = dict(posts["14"], slug="15", organizer_email="someone@example.jp")
    records = _build(tmp_path, posts)
    errors = [r.getMessage() for r in records if r.levelno >= logging.ERROR]
    assert any("organizer_email" in message for message in errors), errors
    assert not any("someone@example.jp" in m for m in errors)


def test_non_site_apply_url_fails_the_build(tmp_path: Path) -> None:
    posts = {"12": dict(_posts()["12"], apply_url="https://evil.example/apply")}
    records = _build(tmp_path, posts)
    assert any(r.levelno >= logging.ERROR and "apply_url" in r.getMessage() for r in records)


def test_date_filters_follow_the_page_language() -> None:
    from jinja2 import Environment

    env = Environment(autoescape=True)

    class Generator:
        pass

    Generator.env = env  # type: ignore[attr-defined]
    jadates.add_filters(Generator)
    template = env.from_string(
        "{{ s|jaspan(e) }} / {{ s|jaspan(x) }} / {{ s|jadate }} / {{ 2026|year_month(12) }}"
        " / {{ 5|weekday_name }}"
    )
    values = {"s": "2026-12-05T14:00", "e": "2026-12-05T16:00", "x": "2026-12-06T16:00"}
    assert template.render(values) == (
        "2026年12月5日(土) 14:00〜16:00 / 2026年12月5日(土) 14:00〜2026年12月6日(日) 16:00"
        " / 2026年12月5日(土) / 2026年12月 / 土"
    )
    assert template.render(values, LANG="en") == (
        "Sat 5 December 2026, 14:00–16:00 / Sat 5 December 2026, 14:00 – Sun 6 December 2026, 16:00"
        " / Sat 5 December 2026 / December 2026 / Sat"
    )
    assert env.from_string("{{ '夕方'|jaspan }}").render(LANG="en") == "夕方"  # never raises
