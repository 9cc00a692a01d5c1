"""Accessibility of the public site in real headless Chromium (Debian's package, driven by
Playwright): axe-core from the npm registry finds no WCAG 2.1 A/AA violation on the key
pages of a demo build; keyboard users get the skip link and a visible focus ring; text
renders without JavaScript; a Japanese search finds an event."""

from __future__ import annotations

import re
import shutil

import pytest
from browsing import CHROMIUM, axe_violations, browser_fixture, demo_server_fixture
from site_support import demo_fixture, key_pages

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists() or shutil.which("npm") is None,
        reason="needs /usr/bin/chromium and npm (browsers are never downloaded)",
    ),
]

demo = demo_fixture()
server = demo_server_fixture("hiroba-a11y-server")
browser = browser_fixture()


def _open(browser, server: str, javascript: bool = True):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=server, locale="ja-JP", java_script_enabled=javascript)
    context.set_default_timeout(15_000)
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    return context, context.new_page(), requests


def _both_languages(pages: dict[str, str]) -> dict[str, str]:
    """Return the pages in Japanese and their English twins under /en/."""
    return pages | {f"{name} (English)": f"/en{url}" for name, url in pages.items()}


def test_key_pages_have_no_axe_violations(demo, server, browser, axe_source):  # type: ignore[no-untyped-def]
    found = {}
    for name, url in _both_languages(key_pages(demo.settings.live_dir.resolve())).items():
        context, page, requests = _open(browser, server)
        page.goto(url)
        expected = "en" if url.startswith("/en/") else "ja"
        assert page.evaluate("() => document.documentElement.lang") == expected, name
        page.wait_for_load_state("networkidle")
        # axe is evaluated in the page (not added as a <script>: the site's CSP forbids that).
        result = axe_violations(page, axe_source)
        if result:
            found[name] = result
        assert all(r.startswith(server) for r in requests), (name, requests)  # one origin
        context.close()
    assert found == {}


def test_a_site_wide_banner_shows_without_javascript_and_passes_axe(
    demo, server, browser, axe_source
):  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from sqlalchemy import select

    from intake.models import Account, utcnow
    from intake.notices import banner as banners
    from intake.notices.models import BannerLevel
    from worker.publication.banner import sync_banner

    with demo.rt.sessions() as db:
        someone = db.scalar(select(Account.id).order_by(Account.id))
    found = {}
    try:
        for level in BannerLevel:
            banners.set_banner(
                demo.rt,
                someone,
                level,
                "システムの点検のため、申込みを一時停止します。",
                "Applications are paused for maintenance.",
                utcnow() + timedelta(hours=2),
            )
            assert sync_banner(demo.rt)  # the worker's step, run here on the demo's files
            for url, text in (("/", "申込みを一時停止します"), ("/en/", "Applications are paused")):
                context, page, _ = _open(browser, server, javascript=False)
                page.goto(url)
                banner = page.locator(".site-banner")
                assert banner.is_visible(), (level, url)
                shown = page.evaluate(
                    "() => getComputedStyle(document.querySelector('.site-banner-text'),"
                    " '::before').content"
                )
                assert text in shown, (level, url, shown)
                context.close()
                context, page, _ = _open(browser, server)
                page.goto(url)
                page.wait_for_load_state("networkidle")
                result = axe_violations(page, axe_source)
                if result:
                    found[f"{level} {url}"] = result
                context.close()
    finally:
        banners.clear(demo.rt, someone)
        sync_banner(demo.rt)
    assert found == {}


def test_skip_link_is_first_and_focus_is_visible(demo, server, browser):  # type: ignore[no-untyped-def]
    context, page, _ = _open(browser, server)
    page.goto(key_pages(demo.settings.live_dir.resolve())["event"])
    page.keyboard.press("Tab")
    first = page.evaluate(
        "() => { const e = document.activeElement, s = getComputedStyle(e);"
        " return {text: e.textContent.trim(), href: e.getAttribute('href'),"
        " outline: s.outlineStyle, width: parseFloat(s.outlineWidth),"
        " top: e.getBoundingClientRect().top}; }"
    )
    assert first["text"] == "本文へ移動" and first["href"] == "#main"
    assert first["outline"] == "solid" and first["width"] >= 2 and first["top"] >= 0
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    ring = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert ring == "solid"
    context.close()


def test_event_text_renders_without_javascript(demo, server, browser):  # type: ignore[no-untyped-def]
    context, page, _ = _open(browser, server, javascript=False)
    page.goto(key_pages(demo.settings.live_dir.resolve())["event"])
    assert page.locator("h1").inner_text()
    assert re.search(
        r"\d{4}年\d{1,2}月\d{1,2}日\(.\) \d{2}:\d{2}", page.locator("dl.details").inner_text()
    )
    assert not page.locator("p.past-note").is_visible()  # the demo's events are upcoming
    context.close()


def test_japanese_search_finds_an_event_with_filters(demo, server, browser):  # type: ignore[no-untyped-def]
    context, page, _ = _open(browser, server)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/search/")
    page.fill("#q", "体験会")
    page.select_option("#kind", "イベント")
    page.click("button[type=submit]")
    page.wait_for_selector(".search-results li a")
    assert "件見つかりました" in page.locator(".search-status").inner_text()
    titles = page.locator(".search-results li a").all_inner_texts()
    assert titles and all("体験会" in t for t in titles), titles
    page.locator(".search-results li a").first.click()
    assert page.locator("h1").inner_text() == titles[0]
    assert errors == []
    context.close()


def test_language_switch_keeps_the_page_and_its_content(demo, server, browser):  # type: ignore[no-untyped-def]
    context, page, _ = _open(browser, server)
    event = key_pages(demo.settings.live_dir.resolve())["event"]
    page.goto(event)
    title = page.locator("h1").inner_text()
    summary = page.locator("p.lead").inner_text()
    page.get_by_role("link", name="English").click()
    page.wait_for_url(f"**/en{event}")
    assert page.evaluate("() => document.documentElement.lang") == "en"
    assert page.locator("h1").inner_text() == title  # the post as written
    assert page.locator("h1").get_attribute("lang") == "ja"
    assert page.locator("p.lead").inner_text() == summary
    assert page.locator("dl.details dt").first.inner_text() == "Type"
    assert page.locator("a.skip-link").inner_text() == "Skip to main content"
    apply = page.locator("p.apply a")
    if apply.count():
        assert apply.get_attribute("href").endswith("?lang=en")
        assert apply.inner_text().startswith("Apply")
    menu = page.get_by_role("navigation", name="Main menu")
    menu.get_by_role("link", name="Events", exact=True).click()  # navigation stays English
    page.wait_for_url("**/en/events/")
    assert page.locator("h1").inner_text() == "Events"
    page.get_by_role("link", name="日本語").click()
    page.wait_for_url("**/events/")
    assert not page.url.rstrip("/").endswith("/en/events")
    assert page.evaluate("() => document.documentElement.lang") == "ja"
    context.close()


def test_english_search_finds_japanese_posts_and_links_english_pages(demo, server, browser):  # type: ignore[no-untyped-def]
    context, page, _ = _open(browser, server)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/en/search/")
    assert page.locator("label[for=kind]").inner_text() == "Type"
    page.fill("#q", "体験会")
    page.select_option("#kind", label="Events")
    page.click("button[type=submit]")
    page.wait_for_selector(".search-results li a")
    assert re.fullmatch(r"\d+ found(.*)\.", page.locator(".search-status").inner_text())
    links = page.locator(".search-results li a")
    assert all(href.startswith("/en/events/") for href in links.evaluate_all(
        "els => els.map(e => e.getAttribute('href'))"))  # fmt: skip
    title = links.first.inner_text()
    links.first.click()
    assert page.locator("h1").inner_text() == title
    assert page.evaluate("() => document.documentElement.lang") == "en"
    assert errors == []
    context.close()


EVENT_LINK = re.compile(r"^/(events|recruitment)/\d+/$")  # a dated item's own page


def _click_through(page, prefix: str) -> str:  # type: ignore[no-untyped-def]
    """Follow same-site links under prefix (a list, then a month) until an event link shows,
    then click it and return its text; fail when no path leads to an event."""
    for _ in range(3):
        hrefs = page.eval_on_selector_all(
            "main a[href]", "els => els.map(e => e.getAttribute('href'))"
        )
        events = [h for h in hrefs if EVENT_LINK.match(h)]
        if events:
            link = page.locator(f'main a[href="{events[0]}"]').first
            text = link.inner_text().strip()
            link.click()
            return text
        deeper = [h for h in hrefs if h.startswith(prefix) and h != page.url.split(":", 2)[-1]]
        deeper = [h for h in deeper if h.rstrip("/").count("/") > prefix.rstrip("/").count("/")]
        assert deeper, (page.url, hrefs)
        page.locator(f'main a[href="{deeper[0]}"]').first.click()
        page.wait_for_load_state()
    raise AssertionError(f"no event reached from {prefix}")


@pytest.mark.parametrize(("nav", "prefix"), [("分野別", "/topics/"), ("カレンダー", "/calendar/")])
def test_browse_from_home_to_an_event(demo, server, browser, nav, prefix):  # type: ignore[no-untyped-def]
    context, page, _ = _open(browser, server)
    page.goto("/")
    page.get_by_role("link", name=nav, exact=True).first.click()
    page.wait_for_url(re.compile(re.escape(prefix) + "$"))
    title = _click_through(page, prefix)
    page.wait_for_url(re.compile(r"/(events|recruitment)/\d+/$"))
    # The item's own page: the link named it (a calendar cell adds the time), and its details.
    heading = page.get_by_role("heading", level=1).inner_text().strip()
    assert heading and heading in title
    assert page.locator("dl.details").count() == 1
    context.close()
