"""The first password: a paper registration's initial password must be replaced at the
first sign-in. Every intake page but the change page, signing out and static files sends
the account there; the new password follows the registration's rules, is not the initial
one, clears the mark and is audited. Through HTTP with CSRF, on both databases."""

from __future__ import annotations

import re

from accounts_support import client_for, individual_form
from actors import MODERATOR, decide, make_moderator, sign_in
from conftest import Instance, csrf_token, submit
from sqlalchemy import select

from intake.accounts.services import authenticate, login_index
from intake.models import Account, AuditEntry

INITIAL = re.compile(r'<code class="password">([a-z0-9]{16})</code>')
PAGE = "/app/account/first-password"
NEW = "my-own-words-71"


def paper_account(instance: Instance, n: int, login: str) -> str:
    """Type in a paper registration as a moderator, approve it; return the initial password."""
    make_moderator(instance)
    moderator = client_for(instance)
    sign_in(moderator, *MODERATOR)
    response = submit(moderator, "/app/moderation/paper/individual", individual_form(n, login))
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    found = INITIAL.search(response.get_data(as_text=True))
    assert found is not None
    decide(moderator, f"/app/moderation/accounts/{account(instance, login).id}", approve=True)
    return found.group(1)


def account(instance: Instance, login: str) -> Account:
    with instance.rt.sessions() as db:
        return db.scalars(
            select(Account).where(Account.login_index == login_index(instance.rt.vault, login))
        ).one()


def changes_audited(instance: Instance) -> list[AuditEntry]:
    with instance.rt.sessions() as db:
        return list(
            db.scalars(select(AuditEntry).where(AuditEntry.action == "initial_password_changed"))
        )


def test_a_paper_account_sets_its_own_password_before_anything_else(instance: Instance) -> None:
    initial = paper_account(instance, 71, "paper-first-71")
    assert account(instance, "paper-first-71").must_change_password

    member = client_for(instance)
    signed = submit(member, "/app/login", {"login": "paper-first-71", "password": initial})
    assert signed.status_code == 302
    home = signed.headers["Location"]
    # Every intake page, the ordinary password page too, leads to the first-password page.
    for path in (home, "/app/account", "/app/account/password", "/app/posts/new", "/app/login"):
        answer = member.get(path)
        assert answer.status_code == 302, path
        assert answer.headers["Location"].endswith(PAGE), (path, answer.headers["Location"])
    # A form sent with a good token is turned away too, before it does anything.
    token = csrf_token(member.get(PAGE).get_data(as_text=True))
    posted = member.post(
        "/app/account/withdraw", data={"csrf_token": token, "password": initial, "confirm": "y"}
    )
    assert posted.status_code == 302 and posted.headers["Location"].endswith(PAGE)
    assert account(instance, "paper-first-71").status == "active"
    # Static files and the health check are not pages.
    style = member.get("/app/static/intake.css")
    style.close()
    assert style.status_code == 200
    assert member.get("/healthz").status_code == 200

    page = member.get(PAGE)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "パスワードの設定" in html
    assert 'name="current"' not in html  # they have just typed the initial one

    # The registration's rules, each refusal keeping the page and nothing changed.
    for data, message in (
        ({"password": NEW, "password_confirm": "something-else-1"}, "パスワードが一致しません"),
        ({"password": "short", "password_confirm": "short"}, "10文字以上"),
        ({"password": "password123", "password_confirm": "password123"}, "よく使われて"),
        ({"password": initial, "password_confirm": initial}, "仮のパスワードとは違う"),
    ):
        refused = submit(member, PAGE, data)
        assert refused.status_code == 422, data
        assert message in refused.get_data(as_text=True), data
    assert account(instance, "paper-first-71").must_change_password
    assert changes_audited(instance) == []

    done = submit(member, PAGE, {"password": NEW, "password_confirm": NEW})
    assert done.status_code == 302 and done.headers["Location"] == home
    assert member.get(home).status_code == 200  # signed in still, and free to go on
    assert member.get("/app/account").status_code == 200
    assert member.get(PAGE).status_code == 302  # nothing left to change
    assert not account(instance, "paper-first-71").must_change_password
    [entry] = changes_audited(instance)
    assert entry.actor_id == entry.target_id == account(instance, "paper-first-71").id
    assert initial not in entry.detail and NEW not in entry.detail
    assert authenticate(instance.rt, "paper-first-71", initial) is None
    assert authenticate(instance.rt, "paper-first-71", NEW) is not None


def test_signing_out_is_open_and_the_mark_waits_for_the_next_sign_in(instance: Instance) -> None:
    initial = paper_account(instance, 72, "paper-first-72")
    member = client_for(instance)
    sign_in(member, "paper-first-72", initial)
    token = csrf_token(member.get(PAGE).get_data(as_text=True))
    out = member.post("/app/logout", data={"csrf_token": token})
    assert out.status_code == 302 and out.headers["Location"].endswith("/app/login")
    assert member.get("/app/account").headers["Location"].startswith("/app/login")

    again = client_for(instance)
    sign_in(again, "paper-first-72", initial)
    assert again.get("/app/account").headers["Location"].endswith(PAGE)


def test_a_web_registration_and_a_moderator_are_not_marked(instance: Instance) -> None:
    make_moderator(instance)
    moderator = client_for(instance)
    sign_in(moderator, *MODERATOR)
    assert moderator.get("/app/moderation").status_code == 200
    assert moderator.get(PAGE).status_code == 302
    assert not account(instance, MODERATOR[0]).must_change_password


def test_a_reset_by_mail_clears_the_mark(instance: Instance) -> None:
    from intake.accounts import password_reset
    from intake.models import PasswordResetToken

    initial = paper_account(instance, 73, "paper-first-73")
    password_reset.request_reset(instance.rt, "paper-first-73")
    with instance.rt.sessions() as db:
        row = db.scalars(select(PasswordResetToken)).one()
        token = instance.rt.vault.open(row.token_enc, password_reset.CONTEXT)
    assert token is not None
    password_reset.reset_password(instance.rt, token, NEW)
    assert not account(instance, "paper-first-73").must_change_password
    member = client_for(instance)
    sign_in(member, "paper-first-73", NEW)
    assert member.get("/app/account").status_code == 200
    assert authenticate(instance.rt, "paper-first-73", initial) is None


def test_every_intake_page_sends_a_marked_account_to_set_its_password(instance: Instance) -> None:
    from flask import url_for

    from intake.first_password.views import OPEN_ENDPOINTS
    from intake.web import create_app

    initial = paper_account(instance, 74, "paper-first-74")
    app = create_app(instance.settings, runtime=instance.rt)
    member = app.test_client()
    sign_in(member, "paper-first-74", initial)
    values = {"kind": "group", "role": "self", "token": "not-a-token", "month": "2026-11"}
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint in OPEN_ENDPOINTS or "GET" not in (rule.methods or ()):
                continue
            arguments = {name: values.get(name, 1) for name in rule.arguments}
            urls.append(url_for(rule.endpoint, **arguments))
    assert len(urls) > 50
    for url in urls:
        answer = member.get(url)
        assert answer.status_code == 302, (url, answer.status_code)
        assert answer.headers["Location"].endswith(PAGE), url
    assert member.get(PAGE).status_code == 200  # still signed in, still marked
