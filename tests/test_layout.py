"""One layout for the site and the intake, in real headless Chromium at 375 px and 1280 px,
in Japanese and English (issue 17).

The intake's pages carry the site's header, menu and footer (theme/templates/_chrome.html)
with the site's stylesheets and DADS tokens; radios and check boxes are small boxes beside
their labels; registration asks for consent to the terms and the privacy notice; the
apply form names its event and links back to it; an event prints on one A4 page without
the site's chrome, with its address; the .ics downloads have webcal: links beside them.
"""

from __future__ import annotations

import io
import re
import shutil
from dataclasses import replace
from html import unescape
from pathlib import Path

import pytest
from accounts_support import individual_form
from actors import make_staff
from browsing import (
    CHROMIUM,
    axe_violations,
    browser_fixture,
    demo_server_fixture,
    sign_in_page,
)
from conftest import RedisServer, submit
from site_support import build_demo, event_pages

from intake.config import REPO_ROOT
from intake.formatting import dates

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists() or shutil.which("npm") is None,
        reason="needs /usr/bin/chromium and npm (browsers are never downloaded)",
    ),
]

WIDTHS = (375, 1280)
LANGS = ("ja", "en")
OPERATOR = """
[operator]
name = "しんじゅく広場 運営事務局"
address = "東京都新宿区新宿5丁目18番21号"
phone = "03-5555-0123"
hours = "平日 9:00〜17:00"
email = "office@hiroba.example.jp"
"""
MODERATOR = ("layout-moderator", "layout-moderator-password-1")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("layout")
    (folder / "instance").mkdir()
    (folder / "instance" / "hiroba.toml").write_text(OPERATOR, encoding="utf-8")
    yield from build_demo(folder, redis_server)


server = demo_server_fixture("hiroba-layout-server")
browser = browser_fixture()


def _client(demo):  # type: ignore[no-untyped-def]
    from intake.web import create_app

    return create_app(demo.settings, runtime=demo.rt).test_client()


def _event_with_applications(demo) -> str:  # type: ignore[no-untyped-def]
    """Return the id of a published event that takes applications (its page links the form)."""
    site = demo.settings.live_dir.resolve()
    page = next(p for p in event_pages(site) if "/app/events/" in p.read_text(encoding="utf-8"))
    return page.parent.name


def _in(lang: str, url: str) -> str:
    """The page in lang: /en/... on the site, ?lang=en in the intake."""
    if lang == "ja":
        return url
    if url.startswith("/app/"):
        return f"{url}{'&' if '?' in url else '?'}lang={lang}"
    return f"/{lang}{url}"


def _page(browser, server: str, width: int):  # type: ignore[no-untyped-def]
    context = browser.new_context(
        base_url=server, viewport={"width": width, "height": 800}, locale="ja-JP"
    )
    context.set_default_timeout(15_000)
    return context, context.new_page()


# The chrome of a page as the reader meets it: links (address and words), the operator's
# lines, and the computed look of the header, the menu and the main heading.
CHROME = """() => {
  const links = sel => [...document.querySelectorAll(sel)].map(
    a => [a.getAttribute('href'), a.textContent.trim()]);
  const look = (sel, props) => { const e = document.querySelector(sel); if (!e) return null;
    const s = getComputedStyle(e); return props.map(p => s.getPropertyValue(p)); };
  return {
    nav: links('header.site-header nav:not(.account-nav) ul.nav > li > a'),
    footer: links('footer.site-footer .footer-links a'),
    operator: (document.querySelector('footer .operator') || {}).innerText || '',
    siteName: document.querySelector('header .site-name a').textContent.trim(),
    header: look('header.site-header',
      ['background-color', 'border-bottom-color', 'border-bottom-width']),
    navLink: look('header.site-header ul.nav a', ['color', 'font-size', 'min-height']),
    footerBox: look('footer.site-footer',
      ['background-color', 'border-top-color', 'display', 'padding-top', 'text-align']),
    operatorList: look('footer .operator dl', ['display', 'grid-template-columns']),
    h1: look('main h1', ['font-size', 'line-height']),
    body: look('body', ['font-family', 'font-size', 'color']),
    token: getComputedStyle(document.documentElement)
      .getPropertyValue('--color-primitive-blue-900').trim(),
    sheets: [...document.styleSheets].filter(s => !s.href.endsWith('/banner.css')).map(s => [
      s.href.split('/').pop(), s.cssRules.length]),
  };
}"""


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", LANGS)
def test_the_intake_wears_the_sites_header_menu_footer_and_type(demo, server, browser, lang, width):  # type: ignore[no-untyped-def]
    event = _event_with_applications(demo)
    context, page = _page(browser, server, width)
    seen = {}
    for name, url in (
        ("event", f"/events/{event}/"),
        ("apply", f"/app/events/{event}/apply"),
        ("register", "/app/register"),
        ("contact", "/app/contact"),
    ):
        response = page.goto(_in(lang, url))
        assert response is not None and response.status == 200, url
        page.wait_for_load_state("networkidle")
        seen[name] = page.evaluate(CHROME)
        sheets = dict(seen[name]["sheets"])
        assert sheets["tokens.css"] == 1 and sheets["site.css"] > 50, (name, sheets)
        assert seen[name]["token"] == "#0017c1", name  # a DADS token, defined on :root
    context.close()
    site = seen.pop("event")
    assert len(site["nav"]) >= 8 and len(site["footer"]) >= 10
    assert "03-5555-0123" in site["operator"]
    prefix = "" if lang == "ja" else "/en"
    assert (f"{prefix}/events/", "イベント" if lang == "ja" else "Events") in map(
        tuple, site["nav"]
    )
    for name, intake in seen.items():
        for part in (
            "operatorList",
            "nav",
            "footer",
            "operator",
            "siteName",
            "header",
            "navLink",
            "footerBox",
            "body",
        ):
            assert intake[part] == site[part], (name, part, intake[part], site[part])
        # One type scale: the intake's main heading is the site's h1 (DADS 28px, 1.5).
        assert intake["h1"] == site["h1"], (name, intake["h1"], site["h1"])
    # The contact link of every footer reaches the operator's contact page in the language.
    assert [f"/app/contact?lang={lang}", "お問い合わせ" if lang == "ja" else "Contact"] in site[
        "footer"
    ]


def test_the_intake_stylesheet_uses_the_dads_tokens_only() -> None:
    """intake.css names no colour of its own: every colour is a token of tokens.css."""
    intake = (REPO_ROOT / "intake" / "web" / "static" / "intake.css").read_text(encoding="utf-8")
    tokens = (REPO_ROOT / "theme" / "static" / "css" / "tokens.css").read_text(encoding="utf-8")
    colours = re.findall(
        r"#[0-9a-fA-F]{3,8}\b|\brgba?\(|\bhsla?\(|:\s*(?:white|black|red)\b", intake
    )
    assert colours == []
    defined = set(re.findall(r"(--[a-z0-9-]+)\s*:", tokens + intake))
    used = set(re.findall(r"var\((--[a-z0-9-]+)\)", intake))
    assert used and used <= defined, used - defined
    assert any(name.startswith("--color-") for name in used)


# Each radio and check box in main: its box, and where its label's first line is.
BOXES = """() => [...document.querySelectorAll('main input[type=radio], main input[type=checkbox]')]
  .filter(i => i.offsetParent !== null)
  .map(i => {
    const box = i.getBoundingClientRect();
    const label = document.querySelector(`label[for="${i.id}"]`);
    const range = document.createRange();
    range.selectNodeContents(label);
    const rects = [...range.getClientRects()];
    const first = rects[0];
    const words = label.textContent.trim();
    return {name: i.name, value: i.value, width: box.width, height: box.height,
            boxTop: box.top, boxBottom: box.bottom, boxRight: box.right,
            labelTop: first.top, labelBottom: first.bottom, labelLeft: first.left,
            labelLines: new Set(rects.map(r => Math.round(r.top))).size,
            labelWidth: label.getBoundingClientRect().width, words};
  })"""


def _sign_in_moderator(page, demo) -> None:  # type: ignore[no-untyped-def]
    sign_in_page(page, *MODERATOR)


@pytest.fixture(scope="module")
def moderator(demo) -> str:  # type: ignore[no-untyped-def]
    """A moderator, for the pages with radios behind the sign-in (the banner's level)."""
    return make_staff(demo, "moderator", *MODERATOR, "配置の運営")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", LANGS)
def test_radios_and_check_boxes_are_small_boxes_beside_their_labels(  # type: ignore[no-untyped-def]
    demo,
    server,
    browser,
    moderator,
    axe_source,
    lang,
    width,
):
    pages = {
        "contact (radios)": "/app/contact",
        "register group (check boxes)": "/app/register/group",
        "register (consent)": "/app/register",
        "site-wide banner (level radios)": "/app/moderation/banner",
    }
    context, page = _page(browser, server, width)
    problems, measured, violations = {}, 0, {}
    for name, url in pages.items():
        if name.startswith("site-wide"):
            _sign_in_moderator(page, demo)
        response = page.goto(_in(lang, url))
        assert response is not None and response.status == 200, url
        page.wait_for_load_state("load")
        boxes = page.evaluate(BOXES)
        assert boxes, name
        if name.startswith("site-wide"):
            assert {b["name"] for b in boxes} == {"level"}, boxes
        for b in boxes:
            measured += 1
            wrong = []
            if not (b["width"] < 40 and b["height"] < 40):
                wrong.append(f"box {b['width']:.0f}x{b['height']:.0f}")
            # The label starts on the box's line, to its right.
            middle = (b["boxTop"] + b["boxBottom"]) / 2
            if not (b["labelTop"] <= middle <= b["labelBottom"]):
                wrong.append("label on another line")
            if b["labelLeft"] < b["boxRight"]:
                wrong.append("label left of the box")
            # A short label (a word or two) stays on one line: never split mid-word.
            if len(b["words"]) <= 12 and b["labelLines"] > 1:
                wrong.append(f"label '{b['words']}' on {b['labelLines']} lines")
            if wrong:
                problems[f"{name} {b['name']}={b['value']}"] = wrong
        found = axe_violations(page, axe_source)
        if found:
            violations[name] = found
    context.close()
    assert measured >= 10
    assert problems == {}
    assert violations == {}


@pytest.mark.parametrize("lang", LANGS)
def test_registration_asks_for_consent_to_the_terms_and_privacy_notice(demo, lang):  # type: ignore[no-untyped-def]
    client = _client(demo)
    url = _in(lang, "/app/register")
    form = individual_form(72, f"layout-consent-{lang}")
    del form["consent"]
    refused = submit(client, url, form)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    message = "登録するには同意が必要です。" if lang == "ja" else "You need to agree to register."
    assert message in html
    assert 'id="consent"' in html and 'aria-invalid="true"' in html
    assert 'aria-describedby="consent-error"' in html
    prefix = "" if lang == "ja" else "/en"
    assert f'href="{prefix}/pages/terms/"' in html and f'href="{prefix}/pages/privacy/"' in html
    # What was typed is kept (the password is not, as on every form).
    assert f'value="{form["person-address"]}"' in html and f'value="{form["login"]}"' in html
    accepted = submit(client, url, {**form, "consent": "y"})
    assert accepted.status_code == 302, accepted.get_data(as_text=True)[:2000]
    # A moderator typing in a paper registration is not asked: the resident agreed on paper.
    from intake.accounts.forms import group_registration_form, individual_registration_form

    personal = demo.settings.deployment.personal_fields
    for form_of in (individual_registration_form, group_registration_form):
        assert form_of(personal).consent is not None
        assert form_of(personal, paper=True).consent is None


@pytest.mark.parametrize("lang", LANGS)
def test_the_apply_form_names_its_event_and_links_back(demo, lang):  # type: ignore[no-untyped-def]
    from intake.models import Post

    event = _event_with_applications(demo)
    with demo.rt.sessions() as db:
        post = db.get(Post, int(event))
        assert post is not None
        title, place = post.title, post.place_name
        starts, ends = post.starts_at, post.ends_at
    html = _client(demo).get(_in(lang, f"/app/events/{event}/apply")).get_data(as_text=True)
    assert title in html and place and place in html
    # The time as the event's page gives it: the start and the end (10:00〜12:00).
    assert starts is not None and ends is not None
    span = dates.format_time_range(starts, ends, lang)
    assert f"{ends:%H:%M}" in span
    assert re.search(r"<dt>(日時|Date and time)</dt><dd>" + re.escape(span) + "</dd>", html)
    prefix = "" if lang == "ja" else "/en"
    back = "イベントのページに戻る" if lang == "ja" else "Back to the event's page"
    assert f'<a href="{prefix}/events/{event}/">{back}</a>' in unescape(html)
    site = demo.settings.live_dir.resolve()
    assert (site / prefix.lstrip("/") / "events" / event / "index.html").is_file()


@pytest.mark.parametrize("lang", LANGS)
def test_an_event_prints_on_one_a4_page_without_the_sites_chrome(demo, server, browser, lang):  # type: ignore[no-untyped-def]
    from pypdf import PdfReader

    event = _event_with_applications(demo)
    context, page = _page(browser, server, 1280)
    url = _in(lang, f"/events/{event}/")
    page.goto(url)
    page.wait_for_load_state("networkidle")
    assert page.locator("header.site-header").is_visible()
    assert not page.locator(".print-url").is_visible()
    page.emulate_media(media="print")
    for chrome in ("header.site-header", "footer.site-footer", "nav", ".apply", ".skip-link"):
        hidden = page.locator(chrome).evaluate_all(
            "els => els.every(e => getComputedStyle(e).display === 'none'"
            " || e.offsetParent === null)"
        )
        assert hidden, chrome
    assert page.locator("main h1").is_visible()
    address = page.locator(".print-url").inner_text()
    assert f"{server}{url}" in address, address
    pdf = page.pdf(format="A4", print_background=False)
    context.close()
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert f"{url}" in text.replace("\n", "")


def test_webcal_links_stand_beside_the_ics_downloads(demo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """With the site's public address known, every .ics download has its webcal: twin."""
    from worker.build.full import build_site

    out = tmp_path / "site"
    build_site(replace(demo.settings, site_url="https://hiroba.example.jp"), out)
    event = _event_with_applications(demo)
    group = sorted((out / "groups").glob("*/index.html"))[0].parent.name
    for prefix in ("", "en/"):
        page = (out / prefix / "events" / event / "index.html").read_text(encoding="utf-8")
        # The calendars of English pages are the English copies under /en/.
        assert f'href="https://hiroba.example.jp/{prefix}events/{event}/event.ics"' in page
        assert f'href="webcal://hiroba.example.jp/{prefix}events/{event}/event.ics"' in page
        assert f'href="webcal://hiroba.example.jp/{prefix}calendar/all.ics"' in page  # footer
        groups = (out / prefix / "groups" / group / "index.html").read_text(encoding="utf-8")
        assert re.search(r'href="webcal://hiroba\.example\.jp/[^"]+\.ics"', groups)
        # On paper the page says where it is.
        assert f"https://hiroba.example.jp/{prefix}events/{event}/</span>" in page
    english = (out / "en" / "events" / event / "index.html").read_text(encoding="utf-8")
    assert "Subscribe in a calendar app (webcal)" in english
    # A relative build knows no host: no webcal: link at all rather than a broken one.
    relative = demo.settings.live_dir.resolve() / "events" / event / "index.html"
    assert "webcal:" not in relative.read_text(encoding="utf-8")


def test_the_intake_footer_is_the_sites_with_an_absolute_address(demo) -> None:  # type: ignore[no-untyped-def]
    """With HIROBA_SITE_URL set, the intake's menu and footer point at it, webcal: included."""
    from intake.web import create_app

    settings = replace(demo.settings, site_url="https://hiroba.example.jp")
    client = create_app(settings, runtime=replace(demo.rt, settings=settings)).test_client()
    html = client.get("/app/contact?lang=en").get_data(as_text=True)
    assert 'href="https://hiroba.example.jp/en/events/"' in html
    assert 'href="https://hiroba.example.jp/en/calendar/all.ics"' in html
    assert 'href="webcal://hiroba.example.jp/en/calendar/all.ics"' in html
    assert 'href="/app/contact?lang=en"' in html
