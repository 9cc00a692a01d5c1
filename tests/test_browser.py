"""A real headless Chromium (Playwright, no downloaded browsers) on the app and the live site."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from actors import (
    EVENT_DAY_JA,
    decide,
    make_moderator,
    post_event,
    register_group,
    sign_in,
    sign_out,
)
from browsing import CHROMIUM, browser_fixture, serving
from sqlalchemy import func, select

from intake.models import Account, Application, Post

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="no system Chromium at /usr/bin/chromium (browsers are never "
        "downloaded; apt-get install -y chromium)",
    ),
]


browser = browser_fixture()  # one Chromium for the module


@pytest.fixture
def server(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """Serve the app (intake and live site on one origin) on a free loopback port."""
    with serving(app) as url:
        yield url


@pytest.fixture
def page(browser, server):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=server, locale="ja-JP", java_script_enabled=True)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert errors == [], errors


def publish_event(instance, client) -> int:  # type: ignore[no-untyped-def]
    """Through HTTP: a group registers and is approved, posts the event, which is approved
    and built by a real worker. Return the post id."""
    register_group(client, 1, "browser-group-1")
    make_moderator(instance)
    with instance.rt.sessions() as db:
        account_id = db.scalars(select(Account.id).where(Account.kind == "group")).one()
    sign_in(client, "mod-tester", "moderator-password-1")
    decide(client, f"/app/moderation/accounts/{account_id}")
    sign_out(client)
    sign_in(client, "browser-group-1", "group-password-123")
    post_event(client)
    sign_out(client)
    instance.worker_burst()
    with instance.rt.sessions() as db:
        post_id = db.scalars(select(Post.id)).one()
    sign_in(client, "mod-tester", "moderator-password-1")
    decide(client, f"/app/moderation/posts/{post_id}")
    sign_out(client)
    instance.worker_burst()
    assert (instance.settings.live_dir / "events" / str(post_id) / "index.html").is_file()
    return post_id


def focused(page) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return page.evaluate(
        "() => { const e = document.activeElement;"
        " return {tag: e.tagName.toLowerCase(), id: e.id, text: e.textContent.trim(),"
        " cls: e.className}; }"
    )


def test_skip_link_is_the_first_tab_stop_then_read_event_and_apply(instance, client, page):
    """One published site (a group, its event approved and built by a real worker) for
    both: the skip link first, then a resident reads the event and applies."""
    post_id = publish_event(instance, client)
    for url in ("/", "/app/register"):
        page.goto(url)
        page.keyboard.press("Tab")
        first = focused(page)
        assert (first["tag"], first["text"]) == ("a", "本文へ移動"), (url, first)
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"#main$"))
        assert focused(page)["id"] == "main", url

    page.goto("/")
    page.get_by_role("heading", name="これから開催されるイベント").wait_for()
    page.get_by_role("link", name="川沿いクリーン作戦").click()
    page.wait_for_url(re.compile(rf"/events/{post_id}/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "川沿いクリーン作戦"
    details = page.locator("dl.details")
    for text in (
        f"{EVENT_DAY_JA} 14:00〜16:00",
        "落合第一地域センター",
        "東京都新宿区下落合4-6-7",
        "テスト団体1",
    ):
        assert details.get_by_text(text).first.is_visible(), text

    page.get_by_role("link", name="申し込む").click()
    page.wait_for_url(
        re.compile(rf"/app/events/{post_id}/apply(\?lang=ja)?$")
    )  # the page's language
    assert "川沿いクリーン作戦" in page.get_by_role("heading", level=1).inner_text()
    page.get_by_label("氏名", exact=True).fill("ブラウザ 太郎")
    page.get_by_label("住所", exact=True).fill("東京都新宿区歌舞伎町1-4-1")
    page.get_by_label("電話番号", exact=True).fill("03-5273-4321")
    page.get_by_label("メールアドレス", exact=True).fill("browser-taro@example.test")
    page.get_by_label("参加人数", exact=True).fill("2")
    page.get_by_label("個人情報の取扱いに同意します").check()
    page.get_by_role("button", name="申し込む").click()
    page.get_by_role("heading", name="申込を受け付けました").wait_for()
    assert page.url.endswith(f"/app/events/{post_id}/applied?lang=ja")  # the form's language
    assert "「川沿いクリーン作戦」への申込を受け付けました。" in page.content()

    with instance.rt.sessions() as db:
        [application] = db.scalars(select(Application)).all()
        vault = instance.rt.vault
        assert application.post_id == post_id and application.party_size == 2
        assert vault.open(application.name_enc, "applications.name") == "ブラウザ 太郎"
        assert vault.open(application.phone_enc, "applications.phone") == "0352734321"
        assert (
            vault.open(application.email_enc, "applications.email") == "browser-taro@example.test"
        )
    instance.worker_burst()
    with instance.rt.sessions() as db:
        assert db.get(Application, application.id).status == "confirmed"


def test_bad_phone_is_reported_next_to_the_field_and_input_is_kept(instance, page):
    page.goto("/app/register")
    values = {
        "氏名": "ブラウザ 花子",
        "ふりがな": "ぶらうざ はなこ",
        "郵便番号": "160-0022",
        "住所": "東京都新宿区新宿5-18-21",
        "電話番号": "12345",
        "メールアドレス": "browser-hanako@example.test",
        "公開する表示名（投稿の主催者名として表示されます）": "はなこの会",
        "ログインID": "browser-hanako",
        "パスワード（10文字以上）": "hanako-password-1",
        "パスワード（確認）": "hanako-password-1",
    }
    for label, value in values.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_label("利用規約と個人情報の取扱いに同意します").check()  # only the phone is wrong
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="登録を申請する").click()
    assert posted.value.status == 422

    phone = page.get_by_label("電話番号", exact=True)
    assert phone.get_attribute("aria-invalid") == "true"
    error = page.locator("#person-phone-error")
    assert error.is_visible()
    assert "電話番号は0から始まる10桁または11桁の番号で入力してください" in error.inner_text()
    assert "person-phone-error" in (phone.get_attribute("aria-describedby") or "").split()
    # Next to the field: the message sits in the same field block as the input.
    block = page.locator(".field", has=page.locator("#person-phone"))
    assert block.locator("#person-phone-error").count() == 1
    assert "has-error" in (block.get_attribute("class") or "")
    # Nothing else is flagged, and what the user typed is still there.
    assert page.locator("[aria-invalid=true]").count() == 1
    assert page.get_by_label("氏名", exact=True).input_value() == "ブラウザ 花子"
    assert page.get_by_label("ふりがな", exact=True).input_value() == "ぶらうざ はなこ"
    assert page.get_by_label("住所", exact=True).input_value() == "東京都新宿区新宿5-18-21"
    assert phone.input_value() == "12345"
    assert page.get_by_label("ログインID", exact=True).input_value() == "browser-hanako"

    summary = page.locator(".error-summary")
    assert summary.count() == 1 and summary.is_visible()
    assert summary.get_attribute("tabindex") == "-1" and summary.get_attribute("role") == "alert"
    assert "入力内容を確認してください" in summary.inner_text()
    summary.focus()
    assert "error-summary" in focused(page)["cls"]

    with instance.rt.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Account)) == 0
