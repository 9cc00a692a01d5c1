"""Every form: bad input is refused with a clear Japanese message and what was typed is
kept; every state-changing route refuses a request without a CSRF token."""

from __future__ import annotations

import pytest
from actors import EVENT, group_form, make_moderator, new_post, open_group, sign_in, submit
from sqlalchemy import func, select

from intake.models import Account, Application, Post
from intake.moderation import decisions as post_decisions


def count(instance, model) -> int:  # type: ignore[no-untyped-def]
    with instance.rt.sessions() as db:
        return db.scalar(select(func.count()).select_from(model)) or 0


def test_individual_registration_keeps_input_and_explains(instance, client):
    data = {
        "person-name": "見本 三郎",
        "person-kana": "Mihon",
        "person-postal_code": "16000",
        "person-address": "東京都新宿区見本町1",
        "person-phone": "03-12",
        "person-email": "not-an-email",
        "public_name": "",
        "login": "ab",
        "password": "short",
        "password_confirm": "other",
    }
    response = submit(client, "/app/register", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in (
        "ふりがなはひらがなまたはカタカナで",
        "郵便番号は7桁の数字で",
        "電話番号は0から始まる",
        "メールアドレスの形式が正しくありません",
        "この項目は必須です",
        "ログインIDは半角英数字で始まる",
        "パスワードは10文字以上",
    ):
        assert message in html, message
    for typed in ("見本 三郎", "東京都新宿区見本町1", "03-12", "not-an-email", "Mihon"):
        assert f'value="{typed}"' in html, typed
    assert 'aria-invalid="true"' in html and "入力内容を確認してください" in html
    # Each error is tied to its field, and no attribute is written as the text "None".
    assert 'aria-describedby="person-email-error"' in html
    assert 'autocomplete="email"' in html and '="None"' not in html
    assert count(instance, Account) == 0


def test_group_registration_normalises_good_input_and_refuses_a_taken_login(instance, client):
    form = group_form(3, "group-three")
    form["representative-phone"] = "０３ー１２３４ー５６７８"
    assert submit(client, "/app/register/group", form).status_code == 302
    response = submit(client, "/app/register/group", group_form(4, "group-three"))
    assert response.status_code == 422
    assert "このログインIDは使えません" in response.get_data(as_text=True)
    with instance.rt.sessions() as db:
        [account] = db.scalars(select(Account)).all()
        rep = account.persons[0]
        assert instance.rt.vault.open(rep.phone_enc, "persons.phone") == "0312345678"
        assert instance.rt.vault.open(rep.postal_code_enc, "persons.postal_code") == "160-0022"


def test_group_registration_with_hostile_choices_is_refused(instance, client):
    form = group_form(5, "group-five")
    form["topics"] = ["not-a-topic"]
    response = submit(client, "/app/register/group", form)
    assert response.status_code == 422
    assert "テスト団体5" in response.get_data(as_text=True)


def test_sign_in_failure_is_one_vague_message(instance, client):
    response = submit(client, "/app/login", {"login": "nobody", "password": "whatever-123"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "ログインIDまたはパスワードが正しくない" in html and 'value="nobody"' in html


@pytest.fixture
def poster(instance, client):  # type: ignore[no-untyped-def]
    moderator, group = open_group(instance)
    sign_in(client, "durable-group", "durable-password-1")
    return moderator, group


def test_post_form_checks_dates_numbers_and_kinds(instance, client, poster):
    bad = {**EVENT, "starts_at": "", "capacity": "abc", "title": "日付のない行事"}
    html = submit(client, "/app/posts/new", bad).get_data(as_text=True)
    assert "開始日時が必要です" in html and 'value="日付のない行事"' in html
    assert 'value="abc"' in html
    bad = {**EVENT, "starts_at": "2026-12-05T16:00", "ends_at": "2026-12-05T10:00"}
    assert "終了日時は開始日時より後に" in submit(client, "/app/posts/new", bad).get_data(
        as_text=True
    )
    bad = {**EVENT, "kind": "notice"}
    assert "お知らせでは参加申込を受け付けられません" in submit(
        client, "/app/posts/new", bad
    ).get_data(as_text=True)
    bad = {**EVENT, "starts_at": "来週の土曜", "kind": "bogus", "topic": "bogus"}
    response = submit(client, "/app/posts/new", bad)
    assert response.status_code == 422
    assert count(instance, Post) == 0


def test_apply_form_needs_a_way_to_reach_the_applicant(instance, client, poster):
    moderator, group = poster
    post_id = new_post(instance, group, 1, capacity=5)
    post_decisions.approve(instance.rt, moderator, post_decisions.Subject("post", post_id))
    data = {
        "name": "見本 四郎",
        "address": "東京都新宿区見本町4",
        "phone": "",
        "email": "",
        "party_size": "0",
    }
    response = submit(client, f"/app/events/{post_id}/apply", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "電話番号かメールアドレスのどちらかを入力してください" in html
    assert "1〜10人で入力してください" in html and "申し込むには同意が必要です" in html
    assert 'value="見本 四郎"' in html
    assert count(instance, Application) == 0


def test_moderation_rejects_an_unknown_action(instance, client):
    _moderator, _group = open_group(instance)
    make_moderator(instance)
    sign_in(client, "mod-tester", "moderator-password-1")
    with instance.rt.sessions() as db:
        group = db.scalars(select(Account.id).where(Account.kind == "group")).one()
    response = submit(client, f"/app/moderation/accounts/{group}", {"action": "delete-all"})
    assert response.status_code == 422


POST_ROUTES = [
    "/app/register",
    "/app/register/group",
    "/app/login",
    "/app/login/verify",
    "/app/logout",
    "/app/posts/new",
    "/app/events/{post}/apply",
    "/app/applications/{token}",
    "/app/moderation/posts/{post}",
    "/app/moderation/accounts/{account}",
    "/app/moderation/accounts/{account}/disable",
    "/app/moderation/paper/{kind}",
    "/app/moderation/changes/{request}",
    "/app/account/change/{role}",
    "/app/account/withdraw",
    "/app/account/password",
    "/app/account/first-password",
    "/app/password/forgot",
    "/app/password/reset/{token}",
    "/app/organizer/events/{post}/attendance",
    "/app/organizer/events/{post}/cancel",
    "/app/organizer/events/{post}/export",
    "/app/organizer/events/{post}/message",
    "/app/posts/{post}/edit",
    "/app/posts/{post}/withdraw",
    "/app/account/profile",
    "/app/moderation/posts/bulk",
    "/app/moderation/revisions/{revision}",
    "/app/moderation/reasons",
    "/app/moderation/reasons/{template}",
    "/app/moderation/reasons/{template}/move",
    "/app/moderation/profiles/{account}",
    "/app/moderation/live/{post}/takedown",
    "/app/moderation/live/{post}/stale",
    "/app/moderation/stale",
    "/app/contact",
    "/app/moderation/inquiries/{inquiry}/handling",
    "/app/moderation/inquiries/{inquiry}/note",
    "/app/moderation/inquiries/{inquiry}/reply",
    "/app/moderation/accounts",
    "/app/moderation/accounts/{account}/enable",
    "/app/moderation/staff/{account}/factor-reset",
    "/app/moderation/factor-resets/{reset}/confirm",
    "/app/moderation/live/{post}/correct",
    "/app/moderation/live/{post}/restore",
    "/app/login/enrol",
    "/app/organizer/events/{post}/enter",
    "/app/moderation/events/{post}/enter",
    "/app/moderation/accounts/{account}/change/{person}",
    "/app/moderation/on-behalf/{account}",
    "/app/ledger",
    "/app/moderation/notices/new",
    "/app/moderation/notices/{post}/edit",
    "/app/moderation/notices/{post}/withdraw",
    "/app/moderation/banner",
    "/app/moderation/banner/clear",
]
# How each placeholder above is written in the URL map, and the value a request uses.
PLACEHOLDERS = {
    "{post}": "<int:post_id>",
    "{account}": "<int:account_id>",
    "{kind}": "<any(individual, group):kind>",
    "{request}": "<int:request_id>",
    "{role}": "<role>",
    "{token}": "<token>",
    "{revision}": "<int:revision_id>",
    "{template}": "<int:template_id>",
    "{inquiry}": "<int:inquiry_id>",
    "{reset}": "<int:reset_id>",
    "{person}": "<any(self, representative, contact):role>",
}


def route_url(route: str, post_id: int, account: int) -> str:
    """One of POST_ROUTES with its placeholders filled: a post, an account, the rest fixed."""
    return route.format(
        post=post_id,
        account=account,
        kind="group",
        request=1,
        role="self",
        token="some-token",
        revision=1,
        template=1,
        inquiry=1,
        reset=1,
        person="contact",
    )


def test_every_state_changing_route_refuses_a_missing_csrf_token(instance, app, client):
    moderator, group = open_group(instance)
    post_id = new_post(instance, group, 1, capacity=5)
    post_decisions.approve(instance.rt, moderator, post_decisions.Subject("post", post_id))
    make_moderator(instance)
    sign_in(client, "mod-tester", "moderator-password-1")
    posting_rules = {rule.rule for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    listed = set()
    for route in POST_ROUTES:
        for placeholder, rule in PLACEHOLDERS.items():
            route = route.replace(placeholder, rule)
        listed.add(route)
    assert posting_rules == listed, "a new POST route must be added to this test"
    for route in POST_ROUTES:
        url = route_url(route, post_id, group)
        response = client.post(url, data={"action": "approve", "login": "x", "name": "y"})
        assert response.status_code == 400, url
        assert "送信を受け付けられませんでした" in response.get_data(as_text=True)
    with instance.rt.sessions() as db:
        assert db.get(Account, group).status == "active"
        assert db.get(Post, post_id).status == "approved"
