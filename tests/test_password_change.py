"""A signed-in member changes their own password: checked, audited, every session ended."""

from __future__ import annotations

from actors import open_group, sign_in
from conftest import submit
from sqlalchemy import select

from intake.models import AuditEntry

URL = "/app/account/password"
NEW = "a-brand-new-password-7"


def test_a_member_changes_their_password_and_signs_in_with_the_new_one(instance, app):  # type: ignore[no-untyped-def]
    _, group = open_group(instance)
    client, other_device = app.test_client(), app.test_client()
    sign_in(client, "durable-group", "durable-password-1")
    sign_in(other_device, "durable-group", "durable-password-1")
    assert URL in client.get("/app/account").get_data(as_text=True)  # linked from the account

    wrong = submit(
        client, URL, {"current": "not-it-at-all", "password": NEW, "password_confirm": NEW}
    )
    assert wrong.status_code == 422
    assert "現在のパスワードが正しくありません。" in wrong.get_data(as_text=True)
    mismatch = submit(
        client,
        URL,
        {"current": "durable-password-1", "password": NEW, "password_confirm": NEW + "x"},
    )
    assert mismatch.status_code == 422
    assert "パスワードが一致しません。" in mismatch.get_data(as_text=True)
    weak = submit(
        client,
        URL,
        {"current": "durable-password-1", "password": "short", "password_confirm": "short"},
    )
    assert weak.status_code == 422

    done = submit(
        client, URL, {"current": "durable-password-1", "password": NEW, "password_confirm": NEW}
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("/app/login")
    # Every session ended, this one and the other device's.
    assert client.get("/app/account").status_code in (302, 303)
    assert other_device.get("/app/account").status_code in (302, 303)
    old = submit(
        app.test_client(),
        "/app/login",
        {"login": "durable-group", "password": "durable-password-1"},
    )
    assert old.status_code == 422
    sign_in(app.test_client(), "durable-group", NEW)
    with instance.rt.sessions() as db:
        changed = db.scalars(
            select(AuditEntry).where(AuditEntry.action == "password_changed")
        ).all()
    assert [(e.actor_id, e.target_id) for e in changed] == [(group, group)]
    assert all(NEW not in (e.detail or "") for e in changed)


def test_the_page_in_english_and_for_nobody_signed_in(instance, app):  # type: ignore[no-untyped-def]
    open_group(instance)
    anonymous = app.test_client()
    assert anonymous.get(URL).status_code in (302, 303)
    client = app.test_client()
    sign_in(client, "durable-group", "durable-password-1")
    page = client.get(URL + "?lang=en").get_data(as_text=True)
    assert "Change your password" in page or "Change password" in page
    wrong = submit(
        client,
        URL + "?lang=en",
        {"current": "nope-nope-nope", "password": NEW, "password_confirm": NEW},
    )
    assert wrong.status_code == 422
    assert "現在のパスワード" not in wrong.get_data(as_text=True)
