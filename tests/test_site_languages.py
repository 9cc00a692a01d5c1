"""The public site in two languages: every page of the demo build exists in Japanese at
its path and in English under /en/ (rendered in the same pass), with English chrome and
dates, users' text kept as written (marked lang="ja"), links between the two, both in
the sitemap, and a catalog that translates every string the templates mark."""

from __future__ import annotations

import json
import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from site_support import demo_fixture, event_pages

ROOT = Path(__file__).resolve().parent.parent
THEME = ROOT / "theme"
CATALOG = THEME / "translations" / "en" / "LC_MESSAGES" / "messages.po"
NOT_PAGES = ("pagefind/", "theme/", "en/")

demo = demo_fixture()


def _pages(site: Path) -> set[str]:
    """Return every HTML page of the Japanese tree, relative to the site."""
    return {
        str(p.relative_to(site))
        for p in site.rglob("*.html")
        if not str(p.relative_to(site)).startswith(NOT_PAGES)
    }


def _english(site: Path) -> set[str]:
    return {str(p.relative_to(site / "en")) for p in (site / "en").rglob("*.html")}


def test_every_page_has_an_english_twin_and_no_other(demo) -> None:  # type: ignore[no-untyped-def]
    site = demo.settings.live_dir.resolve()
    japanese, english = _pages(site), _english(site)
    assert len(japanese) > 40
    assert japanese == english
    for rel in sorted(japanese):
        ja = (site / rel).read_text(encoding="utf-8")
        en = (site / "en" / rel).read_text(encoding="utf-8")
        assert '<html lang="ja">' in ja and '<html lang="en">' in en, rel
        url = rel[: -len("index.html")] if rel.endswith("index.html") else rel
        # each links to the other (visible switch) and names both as alternates
        assert f'<a href="/en/{url}" hreflang="en" lang="en">English</a>' in ja, rel
        assert f'<a href="/{url}" hreflang="ja" lang="ja">日本語</a>' in en, rel
        for text in (ja, en):
            assert f'<link rel="alternate" hreflang="en" href="/en/{url}">' in text, rel
            assert f'<link rel="alternate" hreflang="ja" href="/{url}">' in text, rel


def test_english_event_page_translates_the_chrome_and_keeps_the_post(demo) -> None:  # type: ignore[no-untyped-def]
    site = demo.settings.live_dir.resolve()
    page = event_pages(site)[0]
    rel = page.relative_to(site)
    ja = page.read_text(encoding="utf-8")
    en = (site / "en" / rel).read_text(encoding="utf-8")
    title = re.search(r"<h1>(.*?)</h1>", ja).group(1)  # type: ignore[union-attr]
    assert f'<h1 lang="ja">{title}</h1>' in en  # users' text as written, marked Japanese
    assert "本文へ移動" in ja and "Skip to main content" in en and "本文へ移動" not in en
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日\(.\) \d{2}:\d{2}", ja)
    assert re.search(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} [A-Z][a-z]+ \d{4}, \d{2}:\d{2}", en)
    # links stay in the language; the intake is asked for English; assets are shared
    assert 'href="/en/events/"' in en and 'href="/events/"' not in en.split("</header>")[1]
    apply = re.search(r'class="button" href="([^"]+)"', en)
    assert apply and apply.group(1).endswith("/apply?lang=en")
    assert 'href="/theme/css/site.css"' in en
    # both indexed: Pagefind splits its index by <html lang>, so /en/ searches English
    assert "data-pagefind-body" in ja and "data-pagefind-body" in en
    assert '<html lang="en">' in en


def test_hand_written_pages_have_english_versions(demo) -> None:  # type: ignore[no-untyped-def]
    site = demo.settings.live_dir.resolve()
    for slug, heading in (("about", "About this site"), ("privacy", "Privacy policy"),
                          ("terms", "Terms of use"), ("how-to-register", "How to register"),
                          ("accessibility", "Accessibility statement")):  # fmt: skip
        en = (site / "en" / "pages" / slug / "index.html").read_text(encoding="utf-8")
        assert f"<h1>{heading}</h1>" in en, slug
        assert f">{heading}</a>" in en  # the English menu and footer
    not_found = (site / "en" / "404.html").read_text(encoding="utf-8")
    assert "Page not found" in not_found and 'href="/en/events/"' in not_found
    assert not (site / "pages" / "about" / "en").exists()  # no stray Pelican translation


def test_sitemap_lists_both_languages(demo) -> None:  # type: ignore[no-untyped-def]
    site = demo.settings.live_dir.resolve()
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    event = event_pages(site)[0].parent.relative_to(site)
    for url in ("/", "/en/", f"/{event}/", f"/en/{event}/", "/pages/about/", "/en/pages/about/"):
        assert f"<loc>{url}</loc>" in sitemap, url


def test_catalog_translates_every_marked_string() -> None:
    extracted = {
        (message[4], message[2] if isinstance(message[2], str) else message[2][0])
        for message in extract_from_dir(
            str(THEME),
            method_map=[("templates/**.html", "jinja2")],
            options_map={"templates/**.html": {"trim_blocks": "True", "lstrip_blocks": "True"}},
        )
    }
    assert len(extracted) > 50
    with open(CATALOG, "rb") as handle:
        catalog = read_po(handle, locale="en")
    translated = {(m.context, m.id) for m in catalog if m.id and m.string and not m.fuzzy}
    assert sorted(extracted - translated) == []
    for message in catalog:  # placeholders survive translation
        if message.id and message.string:
            assert sorted(re.findall(r"%\((\w+)\)s", str(message.id))) == sorted(
                re.findall(r"%\((\w+)\)s", str(message.string))
            ), message.id


def test_a_missing_english_page_gets_the_english_404(demo) -> None:  # type: ignore[no-untyped-def]
    from intake.web import create_app

    client = create_app(demo.settings, runtime=demo.rt).test_client()
    for url, status, text in (
        ("/en/events/999999/", 404, "Page not found"),
        ("/events/999999/", 404, "ページが見つかりません"),
        ("/en/", 200, "Skip to main content"),
    ):
        with client.get(url) as response:  # closed: the site's files are sent as streams
            assert response.status_code == status, url
            assert text in response.get_data(as_text=True), url


def test_pagefind_reads_every_page_it_indexes(demo) -> None:  # type: ignore[no-untyped-def]
    """Pagefind reads only the files its --glob matches (pagefind.PAGES): every page marked
    for the index must be one of them, and the index holds every marked page."""
    from fnmatch import fnmatchcase

    source = (ROOT / "pelican" / "plugins" / "listings" / "pagefind.py").read_text()
    glob = re.search(r'^PAGES = "(.+)"$', source, re.M).group(1)  # type: ignore[union-attr]
    site = demo.settings.live_dir.resolve()
    marked = [
        str(p.relative_to(site))
        for p in site.rglob("*.html")
        if "data-pagefind-body" in p.read_text(encoding="utf-8")
    ]
    assert any(rel.startswith("groups/") for rel in marked) and len(marked) > 5
    head, _, rest = glob.partition("{")  # one {a,b} group of alternatives, as Pagefind reads it
    choices, _, tail = rest.partition("}")
    globs = [head + choice + tail for choice in choices.split(",")] if rest else [glob]
    for rel in marked:  # a glob's * never crosses a "/"
        assert any(rel.count("/") == g.count("/") and fnmatchcase(rel, g) for g in globs), rel
    entry = json.loads((site / "pagefind" / "pagefind-entry.json").read_text(encoding="utf-8"))
    counts = {lang: index["page_count"] for lang, index in entry["languages"].items()}
    assert sum(counts.values()) == len(marked), counts  # one index per language, all read
