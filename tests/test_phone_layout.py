"""Phones: the key pages of the site and the intake's forms at 375 px wide (an iPhone SE
class screen) in real headless Chromium, in both languages. Each page is screenshotted
whole and a script checks that nothing makes it scroll sideways: the document is no
wider than the viewport, a sideways scroll does not move, and no visible element sticks
out on the right."""

from __future__ import annotations

from pathlib import Path

import pytest
from actors import make_staff
from browsing import (
    CHROMIUM,
    axe_violations,
    browser_fixture,
    demo_server_fixture,
    phone_page,
    serving,
    sign_in_page,
)
from conftest import RedisServer
from site_support import HOLIDAY_TITLE, build_demo, event_pages, holiday_month, key_pages
from sqlalchemy import select

from intake.accounts.models import AccountStatus
from intake.models import Account, Post
from intake.moderation import services as moderation
from intake.posts.models import PostStatus

WIDTH = 375

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium"),
]

# The operator's details every footer shows (hiroba.toml [operator]), long enough to wrap.
OPERATOR = """
[operator]
name = "しんじゅく広場 運営事務局（特定非営利活動法人 新宿まちづくり支援センター）"
address = "〒160-0022 東京都新宿区新宿5丁目18番21号 新宿区役所第二分庁舎分館 3階"
phone = "03-5555-0123"
hours = "平日 9:00〜17:00（土日祝日・年末年始を除く）"
email = "hiroba-office-contact-desk@shinjuku-hiroba.example.jp"
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("demo")
    (folder / "instance").mkdir()
    (folder / "instance" / "hiroba.toml").write_text(OPERATOR, encoding="utf-8")
    for made in build_demo(folder, redis_server):
        _show_banner(made)  # every page is measured with a long site-wide banner showing
        yield made


def _show_banner(instance) -> None:  # type: ignore[no-untyped-def]
    """Set an emergency banner with a long line and write /banner.css (the worker's step)."""
    from datetime import timedelta

    from sqlalchemy import select

    from intake.models import Account, utcnow
    from intake.notices import banner as banners
    from intake.notices.models import BannerLevel
    from worker.publication.banner import sync_banner

    with instance.rt.sessions() as db:
        someone = db.scalar(select(Account.id).order_by(Account.id))
    banners.set_banner(
        instance.rt,
        someone,
        BannerLevel.EMERGENCY,
        "大雨・洪水警報の発表にともない、本日予定されていたすべての催しを中止します。"
        "詳しくは https://www.city.shinjuku.lg.jp/anzen/bosai-keihou-information.html"
        " をご覧ください。",
        "Because of heavy rain and flood warnings, every event planned for today is cancelled."
        " See https://www.city.shinjuku.lg.jp/anzen/bosai-keihou-information.html for details.",
        utcnow() + timedelta(hours=6),
    )
    assert sync_banner(instance.rt)


server = demo_server_fixture("hiroba-phone-server")
browser = browser_fixture()

# Measured in the page: how far the document reaches past the viewport, whether a
# sideways scroll moves it, and the elements whose right edge leaves the screen.
OVERFLOW = """() => {
  const width = window.innerWidth;
  window.scrollTo(1000, 0);
  const moved = window.scrollX;
  window.scrollTo(0, 0);
  const outside = [];
  for (const e of document.body.querySelectorAll('*')) {
    const r = e.getBoundingClientRect(), s = getComputedStyle(e);
    if (r.width === 0 || s.visibility === 'hidden') continue;
    if (r.right > width + 1) outside.push(e.tagName.toLowerCase() + '.' + e.className);
  }
  const scrollWidth = document.documentElement.scrollWidth;
  return {scrollWidth, width, moved, outside: outside.slice(0, 5)};
}"""


def _intake_pages(site: Path) -> dict[str, str]:
    """The public forms of the intake: registration, sign-in, an event's application, contact."""
    apply_html = next(
        page for page in event_pages(site) if "/app/events/" in page.read_text(encoding="utf-8")
    )
    event_id = apply_html.parent.name
    return {
        "register individual": "/app/register",
        "register group": "/app/register/group",
        "login": "/app/login",
        "forgot password": "/app/password/forgot",
        "apply": f"/app/events/{event_id}/apply",
        "contact": "/app/contact",
    }


def _english(url: str) -> str:
    """The English version of a page: /en/... on the site, ?lang=en in the intake."""
    if url.startswith("/app/"):
        return f"{url}{'&' if '?' in url else '?'}lang=en"
    return f"/en{url}"


def _measure(browser, server: str, url: str, shots: Path, name: str) -> dict:  # type: ignore[no-untyped-def]
    context, page = phone_page(browser, server, WIDTH)
    response = page.goto(url)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(shots / f"{name.replace(' ', '-')}.png"), full_page=True)
    measured = page.evaluate(OVERFLOW)
    measured["status"] = response.status if response else None
    context.close()
    return measured


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_key_pages_do_not_scroll_sideways_at_375px(demo, server, browser, lang, tmp_path):  # type: ignore[no-untyped-def]
    site = demo.settings.live_dir.resolve()
    assert "03-5555-0123" in (site / "index.html").read_text(encoding="utf-8")  # the footer
    pages = {**key_pages(site), **_intake_pages(site)}
    problems = {}
    for name, url in pages.items():
        if lang == "en":
            url = _english(url)
        measured = _measure(browser, server, url, tmp_path, f"{lang}-{name}")
        assert measured["status"] == 200, (name, url, measured["status"])
        assert measured["width"] == WIDTH
        if measured["scrollWidth"] > WIDTH or measured["moved"] or measured["outside"]:
            problems[name] = measured
        # The screenshot is the page as a phone shows it: exactly the viewport wide.
        shot = (tmp_path / f"{lang}-{name.replace(' ', '-')}.png").read_bytes()
        assert int.from_bytes(shot[16:20], "big") == WIDTH * 2  # PNG IHDR width, at 2x
    assert problems == {}


PAPER_FORM = {
    "public_name": "紙で登録した会員（東京都新宿区四谷地域の子育て支援の会）",
    "person-name": "紙 花子",
    "person-kana": "かみ はなこ",
    "person-postal_code": "160-0022",
    "person-address": "東京都新宿区新宿5丁目18番21号 新宿区役所第二分庁舎分館 3階 3-0123号室",
    "person-phone": "03-1234-5678",
}


def _moderator_pages(demo) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Moderation pages (each with the waiting counts), helping people, paper and phone work."""
    with demo.rt.sessions() as db:
        post = db.scalars(select(Post.id).where(Post.status == PostStatus.APPROVED)).first()
        event = db.scalars(
            select(Post.id).where(
                Post.status == PostStatus.APPROVED, Post.accepts_applications.is_(True)
            )
        ).first()
        group = db.scalars(
            select(Account.id).where(
                Account.kind == "group", Account.status == AccountStatus.ACTIVE
            )
        ).first()
    assert post is not None and event is not None and group is not None
    return {
        "moderation": "/app/moderation",
        "inquiries": "/app/moderation/inquiries",
        "status": "/app/moderation/status",
        "find accounts": "/app/moderation/accounts",
        "factor resets": "/app/moderation/staff",
        "correct a post": f"/app/moderation/live/{post}/correct",
        "restore a post": f"/app/moderation/live/{post}/restore",
        "re-enable an account": f"/app/moderation/accounts/{group}/enable",
        "paper registration": "/app/moderation/paper/individual",
        "enter an application": f"/app/moderation/events/{event}/enter",
        "enter a change": f"/app/moderation/accounts/{group}/change/contact",
        "post on behalf": f"/app/moderation/on-behalf/{group}",
        "operator notices": "/app/moderation/notices",
        "write a notice": "/app/moderation/notices/new",
        "site-wide banner": "/app/moderation/banner",
    }


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_moderator_pages_do_not_scroll_sideways_at_375px(  # type: ignore[no-untyped-def]
    demo, server, browser, lang, tmp_path
):
    login, password = f"phone-mod-{lang}", "phone-moderator-password-1"
    make_staff(demo, "moderator", login, password, "電話幅の運営")
    context, page = phone_page(browser, server, WIDTH)
    sign_in_page(page, login, password, lang)
    problems = {}
    for name, url in _moderator_pages(demo).items():
        response = page.goto(_english(url) if lang == "en" else url)
        page.wait_for_load_state("networkidle")
        assert response is not None and response.status == 200, (name, url)
        # Every moderation page shows the count of each waiting queue, as text.
        assert page.locator("ul[aria-labelledby=waiting-work] li").count() == 6, url
        if name == "find accounts":  # the results, after a search (POST)
            page.fill("#search-query", "ｹﾝｻ")
            page.locator("main form[role=search] button[type=submit]").click()
            page.wait_for_load_state("networkidle")
        page.screenshot(path=str(tmp_path / f"{lang}-{name.replace(' ', '-')}.png"), full_page=True)
        measured = page.evaluate(OVERFLOW)
        if measured["scrollWidth"] > WIDTH or measured["moved"] or measured["outside"]:
            problems[name] = measured
    # The printable letter, in answer to a paper registration.
    page.goto(
        _english("/app/moderation/paper/individual")
        if lang == "en"
        else "/app/moderation/paper/individual"
    )
    page.fill("[name=login]", f"phone-paper-{lang}")
    for field_name, value in PAPER_FORM.items():
        page.fill(f"[name={field_name}]", value)
    page.locator("main form[novalidate] button[type=submit]").first.click()
    page.wait_for_load_state("load")
    assert page.locator(".letter").count() == 1
    page.screenshot(path=str(tmp_path / f"{lang}-letter.png"), full_page=True)
    measured = page.evaluate(OVERFLOW)
    if measured["scrollWidth"] > WIDTH or measured["moved"] or measured["outside"]:
        problems["letter"] = measured
    # The person's first sign-in with the letter's password: the page asking for their own.
    initial = page.locator(".letter code.password").inner_text()
    context.close()
    with demo.rt.sessions() as db:
        paper = db.scalars(
            select(Account.id).where(Account.source == "paper").order_by(Account.id)
        ).all()[-1]
        me = db.scalars(select(Account.id).where(Account.kind == "moderator")).first()
    moderation.decide_account(demo.rt, me, paper, approve=True)
    context, page = phone_page(browser, server, WIDTH)
    page.goto(f"/app/login?lang={lang}")
    page.fill("#login", f"phone-paper-{lang}")
    page.fill("#password", initial)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/app/account/first-password" in url)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(tmp_path / f"{lang}-first-password.png"), full_page=True)
    measured = page.evaluate(OVERFLOW)
    if measured["scrollWidth"] > WIDTH or measured["moved"] or measured["outside"]:
        problems["first password"] = measured
    context.close()
    assert problems == {}


LONG_TITLE = (
    "子育てひろば「おやこでたのしむ秋のリズムあそびと絵本の読み聞かせ会」参加者募集のお知らせ"
)
LONG_BODY = (
    "## 当日の流れ\n\n"
    "受付はhttps://www.city.shinjuku.lg.jp/kodomo/kosodate-hiroba-information-page.html"
    "をご覧ください。\n\n"
    "| 時間 | 内容 | 持ち物 |\n|---|---|---|\n"
    "| 10:00〜10:30 | 受付・自己紹介（おやこでいっしょに） | 上履き・飲み物・タオル |\n"
)


def _waiting_work(demo) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Put work in every moderation queue of the demo: a post with a long title, a table and
    a long link, an edit of a live post, a registration, a change request and an inquiry;
    return the desk's pages by name."""
    from datetime import datetime, timedelta

    from intake.accounts import changes
    from intake.accounts.services import PersonData, Registration, register
    from intake.inquiries import services as inquiries
    from intake.posts.edits import edit_post
    from intake.posts.services import PostData, submit_post

    rt = demo.rt
    with rt.sessions() as db:
        group, live = db.execute(
            select(Post.account_id, Post.id)
            .join(Account, Account.id == Post.account_id)
            .where(Post.status == PostStatus.APPROVED, Account.kind == "group")
            .order_by(Post.id)
        ).first()  # type: ignore[misc]
    starts = datetime.now().replace(second=0, microsecond=0) + timedelta(days=21)
    data = PostData(
        kind="event",
        title=LONG_TITLE,
        summary="親子で参加できるリズムあそびと絵本の会です。" * 3,
        body=LONG_BODY,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        place_name="新宿区立子ども総合センター 4階 多目的室（エレベーターあり）",
        place_address="東京都新宿区新宿7丁目3番29号 新宿ここ・から広場",
        fee="無料（材料費として1家族100円をいただきます）",
        capacity=20,
    )
    post = submit_post(rt, group, data)
    data.title = LONG_TITLE + "（改）"
    revision = edit_post(rt, group, live, data).revision_id
    register(
        rt,
        Registration(
            kind="individual",
            login="phone-desk-pending",
            password="phone-desk-pending-password",
            public_name="審査待ちの人（四谷地域の子育て支援の会の連絡担当）",
            persons={"self": PersonData(name="審査 待子", kana="しんさ まちこ")},
        ),
    )
    changes.propose(rt, group, "contact", PersonData(name="変更 一郎", phone="03-1234-5678"))
    inquiries.submit(
        rt, inquiries.InquiryData("other", "質問です。" * 20, "検査 問合", "q@example.test", "")
    )
    demo.worker_burst()  # the registration and the post reach the queues
    return {
        "desk (post)": f"/app/moderation/posts/{post}",
        "desk (edit of a live post)": f"/app/moderation/revisions/{revision}",
    }


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_desk_and_the_queues_do_not_scroll_sideways_at_375px(  # type: ignore[no-untyped-def]
    demo, server, browser, lang, tmp_path
):
    desks = _desk_pages(demo)
    login, password = f"phone-desk-{lang}", "phone-desk-password-1"
    make_staff(demo, "moderator", login, password, "電話幅の審査")
    context, page = phone_page(browser, server, WIDTH)
    sign_in_page(page, login, password, lang)
    pages = {
        "queue": "/app/moderation",
        "inquiries": "/app/moderation/inquiries",
        "profiles": "/app/moderation/profiles",
        **desks,
    }
    problems = {}
    for name, url in pages.items():
        response = page.goto(_english(url) if lang == "en" else url)
        page.wait_for_load_state("networkidle")
        assert response is not None and response.status == 200, (name, url)
        if name == "queue":  # every queue has work: its rows are shown
            assert page.locator("table.cards tbody tr").count() >= 3, url
        shots = [name]
        if name.startswith("desk"):
            assert page.locator(".post-preview .body table").count() == 1, url
            measured = page.evaluate(OVERFLOW)
            if measured["scrollWidth"] > WIDTH or measured["moved"] or measured["outside"]:
                problems[name] = measured
            # Sent without a choice: the error, and the fields opened with what was typed.
            page.locator("form.desk button[type=submit]").click()
            page.wait_for_load_state("load")
            assert page.locator("fieldset.decision .error").count() == 1, url
            assert page.locator("details.desk-edit[open]").count() == 1, url
            name = f"{name} (no choice)"
            shots.append(name)
        page.screenshot(path=str(tmp_path / f"{lang}-{name.replace(' ', '-')}.png"), full_page=True)
        measured = page.evaluate(OVERFLOW)
        if measured["scrollWidth"] > WIDTH or measured["moved"] or measured["outside"]:
            problems[name] = measured
    context.close()
    assert problems == {}


def _desk_pages(demo) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The desk pages _waiting_work made (the Japanese run makes them; English reuses them)."""
    from intake.models import PostRevision
    from intake.posts.models import RevisionStatus

    with demo.rt.sessions() as db:
        post = db.scalar(select(Post.id).where(Post.title == LONG_TITLE))
        revision = db.scalar(
            select(PostRevision.id).where(PostRevision.status == RevisionStatus.PENDING)
        )
    if post is None or revision is None:
        return _waiting_work(demo)
    return {
        "desk (post)": f"/app/moderation/posts/{post}",
        "desk (edit of a live post)": f"/app/moderation/revisions/{revision}",
    }


# Like OVERFLOW, but an element inside a box that scrolls sideways on its own (a wide table
# in its .table-scroll region) or clips it (a table for screen readers only) is that box's
# business, not the page's: it is counted only when the box itself sticks out. The
# .table-scroll boxes whose content is wider than they are are listed.
OVERFLOW_BOXED = """() => {
  const width = window.innerWidth;
  window.scrollTo(1000, 0);
  const moved = window.scrollX;
  window.scrollTo(0, 0);
  const inBox = (e) => {
    for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o !== 'visible') return p.getBoundingClientRect().right <= width + 1;  // scrolls or clips
    }
    return false;
  };
  const outside = [];
  for (const e of document.body.querySelectorAll('*')) {
    const r = e.getBoundingClientRect(), s = getComputedStyle(e);
    if (r.width === 0 || s.visibility === 'hidden') continue;
    if (r.right > width + 1 && !inBox(e)) outside.push(e.tagName.toLowerCase() + '.' + e.className);
  }
  const scrolling = [...document.querySelectorAll('.table-scroll')]
    .filter((b) => b.scrollWidth > b.clientWidth)
    .map((b) => b.getAttribute('tabindex') === '0' && b.getAttribute('role') === 'region');
  const scrollWidth = document.documentElement.scrollWidth;
  return {scrollWidth, width, moved, outside: outside.slice(0, 5), scrolling};
}"""


def _staff_pages(demo, lang: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The ward staff's pages, with a stored monthly audit report, a long hand-over in the
    ledger and a handler with a long name on the roster."""
    from datetime import timedelta

    from intake.models import utcnow
    from intake.oversight.analysis import due_monthly_report
    from intake.protection.ledger import Handover, add_handover

    make_staff(demo, "moderator", f"phone-roster-long-name-{lang}", "phone-roster-password-1",
               "区民活動支援担当（地域振興課 協働推進係 兼 広報担当）長い名前の運営者")  # fmt: skip
    add_handover(
        demo.rt,
        None,
        Handover(
            utcnow().date(),
            "しんじゅく広場 運営事務局 事務局長 山田太郎（個人情報取扱責任者）",
            "紙の参加申込書（12月の講座「地域の防災と子育て支援を考える連続講座」全4回分）の原本",
            120,
            "新宿区 地域振興部 地域コミュニティ課 協働推進係 担当 鈴木一郎",
        ),
    )
    local = utcnow() + timedelta(hours=9)
    first = (local.replace(day=1) + timedelta(days=32)).replace(day=1, hour=0, minute=30)
    due_monthly_report(demo.rt, first - timedelta(hours=9))  # this month's report, stored
    return {
        "staff home": "/app/staff",
        "ward report": "/app/staff/report",
        "monthly audit": f"/app/staff/audit/{local:%Y-%m}",
        "roster": "/app/staff/roster",
        "ledger": "/app/ledger",
    }


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_staff_pages_do_not_scroll_sideways_at_375px(demo, server, browser, lang, tmp_path):  # type: ignore[no-untyped-def]
    """Ward staff's pages: wide tables scroll inside their own box, never the page."""
    login, password = f"phone-staff-{lang}", "phone-staff-password-1"
    make_staff(demo, "staff", login, password, "電話幅の区職員")
    pages = _staff_pages(demo, lang)
    context, page = phone_page(browser, server, WIDTH)
    sign_in_page(page, login, password, lang)
    problems, boxes = {}, {}
    for name, url in pages.items():
        response = page.goto(_english(url) if lang == "en" else url)
        page.wait_for_load_state("networkidle")
        assert response is not None and response.status == 200, (name, url)
        assert page.locator("main table").count() > 0, (name, "no table to measure")
        page.screenshot(path=str(tmp_path / f"{lang}-{name.replace(' ', '-')}.png"), full_page=True)
        measured = page.evaluate(OVERFLOW_BOXED)
        if measured["scrollWidth"] > WIDTH or measured["moved"] or measured["outside"]:
            problems[name] = measured
        boxes[name] = measured["scrolling"]
    context.close()
    assert problems == {}
    # The ward report's figures are wider than a phone: they scroll in their own labelled,
    # focusable region (so a keyboard can scroll them too).
    assert boxes["ward report"] and all(boxes["ward report"]), boxes
    assert all(all(found) for found in boxes.values()), boxes


# Each event title of the calendar: its text, how many lines it takes, and the width of its
# box against the width of the day it sits in. A title broken every 2-3 characters (the grid's
# seven columns squeezed into 375 px) takes a line per few characters.
CALENDAR_TITLES = """() => [...document.querySelectorAll('table.calendar li a span')].map((s) => {
  const lines = new Set([...s.getClientRects()].map((r) => Math.round(r.top))).size;
  const cell = s.closest('td');
  return {text: s.textContent.trim(), lines, width: s.getBoundingClientRect().width,
          cell: cell.getBoundingClientRect().width, display: getComputedStyle(cell).display};
})"""


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_calendar_is_a_list_of_days_at_375px(demo, server, browser, lang, tmp_path):  # type: ignore[no-untyped-def]
    url = holiday_month(demo)
    url = _english(url) if lang == "en" else url
    context, page = phone_page(browser, server, WIDTH)
    assert page.goto(url).status == 200  # type: ignore[union-attr]
    page.screenshot(path=str(tmp_path / f"{lang}-calendar.png"), full_page=True)
    measured = page.evaluate(OVERFLOW)
    assert measured["scrollWidth"] <= WIDTH and not measured["moved"], measured
    assert not measured["outside"], measured
    titles = page.evaluate(CALENDAR_TITLES)
    assert any(t["text"] == HOLIDAY_TITLE for t in titles), titles
    for title in titles:
        assert title["display"] == "grid", title  # the day is a row of the list, not a cell
        # Never a line per 3 characters or fewer: the title has the day's row to itself.
        assert len(title["text"]) / title["lines"] > 3, title
        assert title["width"] > title["cell"] / 2 or title["lines"] == 1, title
    # The weekday and the holiday are words, not a colour: 日曜日 / Sunday, 祝日: 元日 ...
    days = page.locator("table.calendar td:not(.outside)")
    assert days.count() >= 28
    weekday = days.first.locator(".weekday")
    assert weekday.is_visible() and weekday.inner_text().strip()
    holiday = page.locator("table.calendar td.holiday .holiday-name").first
    assert holiday.is_visible()
    assert ("Holiday: " if lang == "en" else "祝日: ") in holiday.inner_text()
    context.close()


# Every error page of the intake (intake/web/responses.py), answered for real by a route that
# fails with that status.
ERROR_STATUSES = (400, 403, 404, 405, 409, 410, 413, 429, 500, 503)


@pytest.fixture(scope="module")
def failing_server(demo):  # type: ignore[no-untyped-def]
    from flask import abort

    from intake.web import create_app

    app = create_app(demo.settings, runtime=demo.rt)

    @app.route("/app/phone-fails/<int:status>")
    def fails(status: int):  # type: ignore[no-untyped-def]
        if status == 500:
            raise RuntimeError("a failure on purpose")
        abort(status)

    with serving(app, "hiroba-phone-errors") as url:
        yield url


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_error_pages_do_not_scroll_sideways_at_375px(failing_server, browser, lang, tmp_path):  # type: ignore[no-untyped-def]
    context, page = phone_page(browser, failing_server, WIDTH)
    problems = {}
    urls = {"missing page": "/app/no-such-page"}
    urls |= {str(status): f"/app/phone-fails/{status}" for status in ERROR_STATUSES}
    for name, url in urls.items():
        response = page.goto(_english(url) if lang == "en" else url)
        assert response is not None, name
        assert response.status == (404 if name == "missing page" else int(name)), name
        assert page.locator("header.site-header").count() == 1, name  # the site's layout
        assert page.locator("main h1").inner_text().strip(), name
        page.screenshot(path=str(tmp_path / f"{lang}-{name}.png"), full_page=True)
        measured = page.evaluate(OVERFLOW)
        if measured["scrollWidth"] > WIDTH or measured["moved"] or measured["outside"]:
            problems[name] = measured
    context.close()
    assert problems == {}


# The header's rows: where the site's name, the language switch and the menu sit.
HEADER_ROWS = """() => {
  const box = (s) => document.querySelector(s).getBoundingClientRect();
  const name = box('.site-header .site-name'), sw = box('.site-header .lang-switch');
  return {name: [name.top, name.bottom], switch: [sw.top, sw.bottom],
          nav: box('.site-header nav').top, header: box('.site-header').height};
}"""


@pytest.mark.parametrize("width", [WIDTH, 1280])
def test_the_language_switch_shares_the_site_names_row(demo, server, browser, width):  # type: ignore[no-untyped-def]
    site = demo.settings.live_dir.resolve()
    pages = {"home": "/", "event": key_pages(site)["event"], "apply": _intake_pages(site)["apply"]}
    pages |= {f"{name} (English)": _english(url) for name, url in pages.items()}
    context, page = phone_page(browser, server, width)
    rows = {}
    for name, url in pages.items():
        assert page.goto(url).status == 200, name  # type: ignore[union-attr]
        rows[name] = found = page.evaluate(HEADER_ROWS)
        top, bottom = found["name"]
        # The switch is in the name's row (their boxes overlap vertically)...
        assert found["switch"][0] < bottom and found["switch"][1] > top, (name, found)
        # ...and the menu follows that row at once: no row of the switch's own between them.
        first_row = max(bottom, found["switch"][1])
        assert first_row - 1 <= found["nav"] <= first_row + 8, (name, found)
    context.close()
    # The site's pages share one header: the same height in a language.
    for lang in ("", " (English)"):
        assert round(rows[f"home{lang}"]["header"]) == round(rows[f"event{lang}"]["header"]), rows


def test_a_calendar_month_with_a_holiday_has_no_axe_violations(demo, server, browser, axe_source):  # type: ignore[no-untyped-def]
    """The month grid with a public holiday named in it, and its phone layout (a list of
    days), in both languages. Here, not in test_site_a11y: holiday_month may approve an
    event, and that module reads the session's shared demo, which no test may change."""
    month = holiday_month(demo)
    found = {}
    for url in (month, f"/en{month}"):
        for width in (1280, 375):
            context = browser.new_context(base_url=server, viewport={"width": width, "height": 800})
            page = context.new_page()
            page.goto(url)
            page.wait_for_load_state("networkidle")
            assert page.locator("table.calendar td.holiday .holiday-name").count() >= 1, url
            result = axe_violations(page, axe_source)
            if result:
                found[f"{url} at {width}px"] = result
            context.close()
    assert found == {}
