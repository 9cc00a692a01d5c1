"""Accessibility of every intake form in real headless Chromium, in Japanese and English.

axe-core (from the npm registry, as in test_site_a11y) finds no WCAG 2.1 A/AA violation on
each form page, in both languages, both as first shown and after an empty submission
(the page re-rendered with its error messages). The people and records behind the pages
are made through the services on one SQLite instance per module; the pages themselves
are reached and filled in the browser, signed in as each role.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from actors import make_staff, new_post, second_factor_code
from browsing import CHROMIUM, WCAG_TAGS, axe_violations, browser_fixture, serving
from conftest import Instance, RedisServer
from organizer_support import GROUP_A, applicant_data, group_event
from site_support import fresh_instance
from sqlalchemy import select

from intake.accounts import changes
from intake.accounts.password_reset import CONTEXT, token_hash
from intake.accounts.second_factor import enrol_account
from intake.accounts.services import (
    PersonData,
    Registration,
    create_staff,
    register,
    register_on_paper,
)
from intake.accounts.signin import disable_account
from intake.applications.links import application_path, link_expiry, make_link_token
from intake.applications.services import apply
from intake.formatting import dates
from intake.helping import factor
from intake.inquiries import services as inquiries
from intake.models import Account, PasswordResetToken, Person, Post, utcnow
from intake.moderation import decisions as post_decisions
from intake.moderation import services as moderation
from intake.notices import banner as banners
from intake.notices import services as operator_notices
from intake.notices.models import BannerLevel
from intake.oversight.analysis import due_monthly_report, month_key, previous_month
from intake.posts.edits import edit_post
from intake.posts.services import PostData, submit_post
from intake.profiles.services import ProfileEdit, update_profile
from intake.site.takedown import take_down

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists() or shutil.which("npm") is None,
        reason="needs /usr/bin/chromium and npm (browsers are never downloaded)",
    ),
]

LANGS = ("ja", "en")
# WCAG 2.1 A/AA and axe's best practices (landmarks, one main, heading order...).
TAGS = [*WCAG_TAGS, "best-practice"]
MODERATOR = ("a11y-moderator", "a11y-moderator-pass")
STAFF = ("a11y-staff", "a11y-staff-password")
ENROLLING = ("a11y-enrolling", "a11y-enrolling-password")  # a staff member after a factor reset
QUESTIONS = [
    {"label": "参加する回", "kind": "choice", "options": ["午前", "午後"], "required": True},
    {"label": "興味のある分野", "kind": "checkbox", "options": ["清掃", "植栽"], "required": True},
    {"label": "アレルギーの有無", "kind": "text", "required": False},
]


@dataclass
class World:
    """The instance, its served URL and the records the pages are about."""

    instance: Instance
    url: str
    post_id: int
    pending_post: int
    pending_account: int
    change_request: int
    reset_token: str
    application_link: str
    extra: dict[str, int] = field(default_factory=dict)


def _reset_token(instance: Instance, account_id: int) -> str:
    """A password reset link's token, stored the way request_reset stores it."""
    token = secrets.token_urlsafe(32)
    with instance.rt.sessions() as db, db.begin():
        person = db.scalars(select(Person).where(Person.account_id == account_id)).first()
        assert person is not None
        db.add(
            PasswordResetToken(
                account_id=account_id,
                person_id=person.id,
                token_hash=token_hash(token),
                token_enc=instance.rt.vault.seal(token, CONTEXT),
                expires_at=utcnow() + timedelta(minutes=30),
            )
        )
    return token


# The operator's details every footer shows (hiroba.toml [operator]).
OPERATOR = """
[operator]
name = "検査 運営事務局"
address = "東京都新宿区検査町1-2-3"
phone = "03-5555-0123"
hours = "平日 9:00〜17:00"
email = "office@example.test"
"""


def _make_world(folder: Path, redis_server: RedisServer) -> Iterator[World]:
    (folder / "instance").mkdir(parents=True, exist_ok=True)
    (folder / "instance" / "hiroba.toml").write_text(OPERATOR, encoding="utf-8")
    instance = fresh_instance(folder, redis_server)
    rt, settings = instance.rt, instance.settings
    try:
        setup = group_event(instance, capacity=3, applicants=1)
        with rt.sessions() as db, db.begin():
            post = db.get(Post, setup.post_id)
            assert post is not None
            post.questions = json.dumps(QUESTIONS, ensure_ascii=False)
        make_staff(instance, "moderator", *MODERATOR, name="検査 運営")
        make_staff(instance, "staff", *STAFF, name="検査 職員")
        due_monthly_report(rt)  # last month's stored audit report, for its staff page
        pending_account = register(
            rt,
            Registration(
                kind="individual",
                login="a11y-pending",
                password="a11y-pending-password",
                public_name="審査待ちの人",
                persons={"self": PersonData(name="審査 待子", kana="しんさ まちこ")},
            ),
        )
        pending_post = submit_post(
            rt,
            setup.group_a,
            PostData(kind="notice", title="審査待ちのお知らせ", summary="確認中です。"),
        )
        request_id = changes.propose(
            rt, setup.group_a, "representative", PersonData(name="耐久 一郎", phone="0312345678")
        )
        applied = apply(rt, setup.post_id, applicant_data(9))
        asked = inquiries.InquiryData("other", "質問です。", "検査 問合", "q@example.test", "")
        inquiry = inquiries.submit(rt, asked)
        inquiries.add_note(rt, inquiry, setup.moderator, "折り返し電話する。")
        # A published post with an edit under review, and a group profile text to review.
        live = new_post(instance, setup.group_a, 3)
        post_decisions.approve(rt, setup.moderator, post_decisions.Subject("post", live))
        edit = PostData(kind="event", title="耐久テスト行事3（改）", summary="内容を変えました。")
        edit.starts_at = datetime.now() + timedelta(days=20)
        edit.place_name = "テスト会場"
        revision = edit_post(rt, setup.group_a, live, edit).revision_id
        assert revision is not None
        update_profile(rt, setup.group_a, ProfileEdit(True, "地域の清掃をしています。", "", ""))
        # A staff member whose lost second factor two moderators reset: enrols at sign-in.
        lost = create_staff(rt, "staff", *ENROLLING, name="再登録 職員")
        enrol_account(rt, lost)
        second = create_staff(rt, "moderator", "a11y-second-mod", "a11y-second-pass", name="二人目")
        factor.confirm_reset(rt, second, factor.request_reset(rt, setup.moderator, lost, "紛失"))
        # A taken-down post and a disabled account, for the pages that help people.
        down = new_post(instance, setup.group_a, 4)
        post_decisions.approve(rt, setup.moderator, post_decisions.Subject("post", down))
        take_down(rt, setup.moderator, down, "確認のため非公開にします。")
        stopped = register(
            rt,
            Registration(
                kind="individual",
                login="a11y-stopped",
                password="a11y-stopped-password",
                public_name="利用停止中の人",
                persons={"self": PersonData(name="停止 花子", kana="ていし はなこ")},
            ),
        )
        moderation.decide_account(rt, setup.moderator, stopped, approve=True)
        disable_account(rt, setup.moderator, stopped, "確認のため")
        notice = operator_notices.write(
            rt,
            setup.moderator,
            operator_notices.NoticeText("窓口休業のお知らせ", "年末年始は休みます。"),
        )
        # Every page below is checked with the site-wide banner showing (the strongest colours).
        banners.set_banner(
            rt,
            setup.moderator,
            BannerLevel.EMERGENCY,
            "大雨のため、本日の催しは中止です。",
            "Events today are cancelled because of heavy rain.",
            utcnow() + timedelta(days=1),
        )
        with rt.sessions() as db:
            event = db.get(Post, setup.post_id)
            assert event is not None
            expires = link_expiry(event)
        link = application_path(
            make_link_token(settings.secret_key(), applied.application_id, expires)
        )
        from intake.web import create_app

        with serving(create_app(settings, runtime=rt), "hiroba-intake-a11y") as url:
            yield World(
                instance=instance,
                url=url,
                post_id=setup.post_id,
                pending_post=pending_post,
                pending_account=pending_account,
                change_request=request_id,
                reset_token=_reset_token(instance, setup.group_a),
                application_link=link,
                extra={
                    "revision": revision,
                    "profile": setup.group_a,
                    "inquiry": inquiry,
                    "taken_down": down,
                    "disabled": stopped,
                    "notice": notice,
                },
            )
    finally:
        rt.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer) -> Iterator[World]:
    yield from _make_world(tmp_path_factory.mktemp("intake-a11y"), redis_server)


browser = browser_fixture()  # one Chromium for the module


class Checker:
    """Runs axe on pages of one browser context and gathers the violations by page."""

    def __init__(self, browser, world: World, axe: str) -> None:  # type: ignore[no-untyped-def]
        self.context = browser.new_context(base_url=world.url, locale="ja-JP")
        self.context.set_default_timeout(20_000)
        self.page = self.context.new_page()
        self.axe = axe
        self.found: dict[str, list[str]] = {}
        self.checked: list[str] = []

    def goto(self, path: str, lang: str) -> None:
        joiner = "&" if "?" in path else "?"
        response = self.page.goto(f"{path}{joiner}lang={lang}")
        assert response is not None and response.status < 500, (path, response)

    def run(self, name: str, lang: str) -> None:
        """Check the page as it is now: its language and what axe finds."""
        self.page.wait_for_load_state("load")
        assert self.page.evaluate("() => document.documentElement.lang") == lang, name
        violations = axe_violations(self.page, self.axe, TAGS)
        self.checked.append(f"{name} [{lang}]")
        if violations:
            self.found[f"{name} [{lang}]"] = violations

    def form(self, name: str, path: str, submit: bool = True, reject: bool = False) -> None:
        """Check a form page in each language, then re-rendered after an empty submission.

        A decision form is sent as a rejection without a reason (an empty one approves).
        """
        for lang in LANGS:
            self.goto(path, lang)
            self.run(name, lang)
            if reject:
                self._choose_reject()
            if submit:
                self.page.locator("main form[novalidate] button[type=submit]").first.click()
                self.page.wait_for_load_state("load")
                assert self.page.locator(".error, .error-summary").count() > 0, (name, lang)
                self.run(f"{name} (errors)", lang)

    def _choose_reject(self) -> None:
        form = self.page.locator("main form[novalidate]").first
        if form.locator("select[name=action]").count():
            form.locator("select[name=action]").select_option("reject")
        else:
            form.locator("input[name=action][value=reject]").check()

    def sign_in(self, login: str, password: str, verify: bool = False) -> None:
        self.goto("/app/login", "ja")
        self.page.fill("#login", login)
        self.page.fill("#password", password)
        self.page.locator("main form button[type=submit]").click()
        if verify:
            self.page.wait_for_url(re.compile(r"/app/login/verify"))
            self.form("second factor", "/app/login/verify")
            self.page.fill("#code", second_factor_code(login))
            self.page.locator("main form button[type=submit]").click()
        self.page.wait_for_url(lambda url: "/app/login" not in url)

    def close(self) -> None:
        self.context.close()


def test_public_forms_have_no_axe_violations(world, browser, axe_source):  # type: ignore[no-untyped-def]
    check = Checker(browser, world, axe_source)
    check.form("register (individual)", "/app/register")
    check.form("register (group)", "/app/register/group")
    check.form("sign in", "/app/login")
    check.form("forgot password", "/app/password/forgot")
    check.form("reset password", f"/app/password/reset/{world.reset_token}")
    check.form("apply to an event", f"/app/events/{world.post_id}/apply")
    check.form("application (check or cancel)", world.application_link, submit=False)
    check.form("contact", "/app/contact")
    check.close()
    assert len(check.checked) == 7 * 4 + 2
    assert check.found == {}, json.dumps(check.found, ensure_ascii=False, indent=1)


def test_member_forms_have_no_axe_violations(world, browser, axe_source):  # type: ignore[no-untyped-def]
    check = Checker(browser, world, axe_source)
    check.sign_in(*GROUP_A)
    check.form("my page", "/app/my", submit=False)
    check.form("new post", "/app/posts/new")
    check.form("edit a published post", f"/app/posts/{world.post_id}/edit", submit=False)
    check.form("withdraw a post", f"/app/posts/{world.pending_post}/withdraw")
    check.form("public profile", "/app/account/profile", submit=False)
    check.form("registered details", "/app/account", submit=False)
    check.form("change request", "/app/account/change/representative")
    check.form("withdraw", "/app/account/withdraw")
    check.form("change password", "/app/account/password")
    check.form("organizer: events", "/app/organizer/events", submit=False)
    check.form("organizer: applicants", f"/app/organizer/events/{world.post_id}", submit=False)
    check.form("organizer: message", f"/app/organizer/events/{world.post_id}/message")
    check.form("organizer: enter an application", f"/app/organizer/events/{world.post_id}/enter")
    for lang in LANGS:  # the export page shows once per export
        check.goto(f"/app/organizer/events/{world.post_id}", lang)
        check.page.locator("form[action*='/export'] button[type=submit]").click()
        check.page.wait_for_url(re.compile(r"/export"))
        check.run("organizer: export", lang)
    check.close()
    assert check.found == {}, json.dumps(check.found, ensure_ascii=False, indent=1)


def test_the_first_password_page_has_no_axe_violations(world, browser, axe_source):  # type: ignore[no-untyped-def]
    """A paper registration's first sign-in lands on the page that asks for its own password."""
    rt = world.instance.rt
    with rt.sessions() as db:
        moderator = db.scalars(select(Account.id).where(Account.kind == "moderator")).first()
    account_id, initial = register_on_paper(
        rt,
        moderator,
        Registration(
            kind="individual",
            login="a11y-paper",
            password="",
            public_name="紙で登録した人",
            persons={"self": PersonData(name="紙 花子", kana="かみ はなこ")},
        ),
    )
    moderation.decide_account(rt, moderator, account_id, approve=True)
    check = Checker(browser, world, axe_source)
    check.sign_in("a11y-paper", initial)
    assert "/app/account/first-password" in check.page.url
    check.form("first password", "/app/account/first-password")
    check.close()
    assert len(check.checked) == 4
    assert check.found == {}, json.dumps(check.found, ensure_ascii=False, indent=1)


def test_moderation_and_staff_forms_have_no_axe_violations(world, browser, axe_source):  # type: ignore[no-untyped-def]
    check = Checker(browser, world, axe_source)
    check.sign_in(*MODERATOR, verify=True)
    check.form("moderation queue", "/app/moderation", submit=False)
    # Every moderation page's nav counts the waiting work as text (the world has some).
    waiting = check.page.locator("nav.moderation-nav ul[aria-labelledby=waiting-work] li")
    assert waiting.count() == 6 and re.search(r"[（(]\d+", waiting.first.inner_text())
    check.form(
        "moderation: account", f"/app/moderation/accounts/{world.pending_account}", reject=True
    )
    check.form("moderation: post", f"/app/moderation/posts/{world.pending_post}", reject=True)
    check.form(
        "moderation: change request", f"/app/moderation/changes/{world.change_request}", reject=True
    )
    check.form("paper registration (individual)", "/app/moderation/paper/individual")
    check.form("paper registration (group)", "/app/moderation/paper/group")
    for lang in LANGS:  # the printable letter shows once, in answer to the registration
        check.goto("/app/moderation/paper/individual", lang)
        for name, value in {
            "login": f"a11y-paper-{lang}",
            "public_name": "紙の会員",
            "person-name": "紙 花子",
            "person-kana": "かみ はなこ",
            "person-postal_code": "160-0022",
            "person-address": "東京都新宿区検査町1-1",
            "person-phone": "03-1234-5678",
        }.items():
            check.page.fill(f"[name={name}]", value)
        check.page.locator("main form[novalidate] button[type=submit]").first.click()
        check.page.wait_for_load_state("load")
        assert check.page.locator(".letter").count() == 1, lang
        check.run("paper registration: the letter", lang)
    group = world.extra["profile"]  # an active group
    check.form("enter an application", f"/app/moderation/events/{world.post_id}/enter")
    check.form("enter a change", f"/app/moderation/accounts/{group}/change/representative")
    check.form("post on behalf: accounts", "/app/moderation/on-behalf", submit=False)
    check.form("post on behalf", f"/app/moderation/on-behalf/{group}")
    check.form("published posts", "/app/moderation/live", submit=False)
    check.form("published post: take down", f"/app/moderation/live/{world.post_id}")
    check.form("outdated posts", "/app/moderation/stale", submit=False)
    check.form("reason templates", "/app/moderation/reasons")
    check.form("profile reviews", "/app/moderation/profiles", submit=False)
    profile = world.extra["profile"]
    check.form("profile review", f"/app/moderation/profiles/{profile}", reject=True)
    revision = world.extra["revision"]
    check.form("published post edit", f"/app/moderation/revisions/{revision}", reject=True)
    check.form("site status", "/app/moderation/status", submit=False)
    check.form("inquiries", "/app/moderation/inquiries", submit=False)
    check.form("ledger", "/app/ledger")  # sent empty: the errors are checked too
    check.form("operator notices", "/app/moderation/notices", submit=False)
    check.form("operator notice: new", "/app/moderation/notices/new")
    notice = f"/app/moderation/notices/{world.extra['notice']}/edit"
    check.form("operator notice: edit", notice, submit=False)
    check.form("site-wide banner", "/app/moderation/banner")
    inquiry = f"/app/moderation/inquiries/{world.extra['inquiry']}"
    check.form("inquiry", inquiry, submit=False)
    for lang in LANGS:  # the thread again, after an empty reply
        check.goto(inquiry, lang)
        check.page.locator("form[action*='/reply'] button[type=submit]").click()
        check.page.wait_for_load_state("load")
        assert check.page.locator(".error").count() > 0, lang
        check.run("inquiry (errors)", lang)
    # Helping people: the account search (and its results), factor resets, re-enabling an
    # account, correcting a published post, restoring a taken-down one.
    check.form("find accounts", "/app/moderation/accounts")
    for lang in LANGS:
        check.goto("/app/moderation/accounts", lang)
        check.page.fill("#search-query", "ﾃｲｼ")
        check.page.locator("main form[role=search] button[type=submit]").click()
        check.page.wait_for_load_state("load")
        assert check.page.locator("table").count() > 0, lang
        check.run("find accounts (results)", lang)
    check.form("factor resets", "/app/moderation/staff", submit=False)
    check.form("re-enable an account", f"/app/moderation/accounts/{world.extra['disabled']}/enable")
    correct = f"/app/moderation/live/{world.post_id}/correct"
    check.form("correct a published post", correct, submit=False)
    for lang in LANGS:  # sent without a title: the form comes back with the message
        check.goto(correct, lang)
        check.page.fill("#title", "")
        check.page.locator("main form[novalidate] button[type=submit]").first.click()
        check.page.wait_for_load_state("load")
        assert check.page.locator(".error").count() > 0, lang
        check.run("correct a published post (errors)", lang)
    check.form("restore a post", f"/app/moderation/live/{world.extra['taken_down']}/restore")
    check.close()
    staff = Checker(browser, world, axe_source)
    staff.sign_in(*STAFF, verify=True)
    staff.form("staff page", "/app/staff", submit=False)
    staff.form("ward report", "/app/staff/report", submit=False)
    bad_period = "/app/staff/report?start=2027-02-30&end=2027-03-31"
    staff.form("ward report (errors)", bad_period, submit=False)
    staff.form("roster", "/app/staff/roster", submit=False)
    last_month = month_key(previous_month(utcnow()))
    staff.form("monthly audit report", f"/app/staff/audit/{last_month}", submit=False)
    staff.close()
    # After a reset, the password step leads to enrolling a new second factor.
    enrolling = Checker(browser, world, axe_source)
    enrolling.goto("/app/login", "ja")
    enrolling.page.fill("#login", ENROLLING[0])
    enrolling.page.fill("#password", ENROLLING[1])
    enrolling.page.locator("main form button[type=submit]").click()
    enrolling.page.wait_for_url(re.compile(r"/app/login/enrol"))
    enrolling.form("second factor enrolment", "/app/login/enrol")
    enrolling.close()
    found = {**check.found, **staff.found, **enrolling.found}
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)


def test_switching_language_keeps_the_page_and_the_form_works(world, browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=world.url, locale="ja-JP")
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto("/app/register?lang=ja")
    assert page.get_by_role("heading", level=1).inner_text() == "個人で登録"
    # The header's switch, as on the site's pages (theme/templates/_chrome.html's slot).
    switch = page.locator("header .lang-switch").get_by_role("link", name="English")
    assert switch.get_attribute("lang") == "en"
    switch.click()
    page.wait_for_url(re.compile(r"/app/register\?set_lang=en$"))
    assert page.evaluate("() => document.documentElement.lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "Register as an individual"
    # The choice is remembered: the next page without ?lang= is English too.
    page.goto("/app/register")
    page.get_by_label("Postcode").fill("12")
    page.get_by_role("button", name="Apply for registration").click()
    assert "Please check your entries" in page.locator(".error-summary").inner_text()
    assert "Enter the postcode as 7 digits" in page.content()
    assert page.get_by_label("Postcode").input_value() == "12"  # kept as typed
    fields = {
        "Name": "英語 花子",
        "Furigana (reading in kana)": "えいご はなこ",
        "Postcode": "160-0022",
        "Address": "東京都新宿区新宿1-1-1",
        "Phone number": "03-1234-5678",
        "Email address": "english-hanako@example.test",
        "Public display name (shown as the organizer of your posts)": "Hanako",
        "Login ID": "english-hanako",
        "Password (at least 10 characters)": "english-password-1",
        "Password (again)": "english-password-1",
    }
    for label, value in fields.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_label("I agree to the terms of use and the privacy policy").check()
    page.get_by_role("button", name="Apply for registration").click()
    page.get_by_role("heading", name="Registration received").wait_for()
    # Back to Japanese from the English page: same page, Japanese text.
    page.locator("header .lang-switch").get_by_role("link", name="日本語").click()
    page.get_by_role("heading", name="登録を受け付けました").wait_for()
    context.close()
    with world.instance.rt.sessions() as db:
        from intake.models import Account

        made = db.scalars(select(Account).where(Account.public_name == "Hanako")).all()
        assert [(a.kind, a.status) for a in made] == [("individual", "received")]


def test_application_dates_follow_the_language(world, browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=world.url, locale="ja-JP")
    page = context.new_page()
    with world.instance.rt.sessions() as db:
        starts = db.get(Post, world.post_id).starts_at  # type: ignore[union-attr]
    assert isinstance(starts, datetime)
    page.goto(f"/app/events/{world.post_id}/apply?lang=ja")
    assert f"{starts.year}年{starts.month}月{starts.day}日(" in page.content()
    page.goto(f"/app/events/{world.post_id}/apply?lang=en")
    english = dates.format_date(starts, "en")  # Mon 21 December 2026, the one formatter's
    assert english in page.content() and "Date and time</dt>" in page.content()
    context.close()


def test_the_moderators_desk_has_no_axe_violations(world, browser, axe_source):  # type: ignore[no-untyped-def]
    """The desk as first shown, sent without a choice (the decision's error, the fields opened
    with what was typed), and sent as an approval with edits that break a rule."""
    check = Checker(browser, world, axe_source)
    check.sign_in(*MODERATOR, verify=True)
    desks = {
        "desk: post": f"/app/moderation/posts/{world.pending_post}",
        "desk: edit of a live post": f"/app/moderation/revisions/{world.extra['revision']}",
    }
    for name, path in desks.items():
        for lang in LANGS:
            check.goto(path, lang)
            assert check.page.locator("input[name=action]:checked").count() == 0, (name, lang)
            check.run(name, lang)
            check.page.locator("form.desk button[type=submit]").click()
            check.page.wait_for_load_state("load")
            assert check.page.locator("fieldset.decision .error").count() == 1, (name, lang)
            assert check.page.locator("details.desk-edit[open]").count() == 1, (name, lang)
            check.run(f"{name} (no choice)", lang)
            check.page.locator("input[name=action][value=approve_edited]").check()
            check.page.fill("form.desk [name=title]", "")
            check.page.locator("form.desk button[type=submit]").click()
            check.page.wait_for_load_state("load")
            assert check.page.locator("details.desk-edit[open] .has-error").count() > 0, lang
            check.run(f"{name} (edit with an error)", lang)
    check.close()
    assert len(check.checked) == 4 + 2 * 2 * 3  # the second factor at sign-in, then the desks
    assert check.found == {}, json.dumps(check.found, ensure_ascii=False, indent=1)
