"""Withdrawal (退会): personal data erased from the stored bytes, posts unpublished or kept."""

from __future__ import annotations

from accounts_support import (
    PASSWORD,
    approver,
    client_for,
    reconfigure,
    register_and_approve,
    sign_in_member,
    sqlite_bytes,
)
from actors import new_post, submit
from sqlalchemy import select

from intake.accounts import password_reset
from intake.accounts.changes import propose
from intake.accounts.services import PersonData
from intake.accounts.withdrawal import WITHDRAWN_NAME
from intake.models import (
    Account,
    AuditEntry,
    ChangeRequest,
    PasswordResetToken,
    Person,
    Post,
)
from intake.moderation import decisions as post_decisions


def publish(instance, account_id: int, n: int) -> int:  # type: ignore[no-untyped-def]
    post_id = new_post(instance, account_id, n)
    post_decisions.approve(instance.rt, approver(instance), post_decisions.Subject("post", post_id))
    return post_id


def live_page(instance, post_id: int):  # type: ignore[no-untyped-def]
    return instance.settings.live_dir / "events" / str(post_id) / "index.html"


def sealed_values(instance, account_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    """Every sealed value stored for the account, as it sits in the database."""
    with instance.rt.sessions() as db:
        account = db.get(Account, account_id)
        assert account is not None and account.login_enc
        values = [account.login_enc]
        for p in account.persons:
            values += [
                getattr(p, c.key)
                for c in Person.__table__.columns
                if c.key.endswith("_enc") and getattr(p, c.key)
            ]
        values += [
            r.proposed_enc
            for r in db.scalars(select(ChangeRequest).where(ChangeRequest.account_id == account_id))
            if r.proposed_enc
        ]
    return values


def test_withdrawal_erases_personal_data_and_unpublishes_posts(instance, client):
    account_id = register_and_approve(instance, client, 5, "leaver-one")
    post_id = publish(instance, account_id, 1)
    instance.worker_burst()
    assert live_page(instance, post_id).exists()
    propose(instance.rt, account_id, "self", PersonData(name="漏洩検査 花子5改", kana="はなこ"))
    password_reset.request_reset(instance.rt, "leaver-one")
    sealed = sealed_values(instance, account_id)
    assert len(sealed) >= 8

    sign_in_member(client, "leaver-one")
    other_device = client_for(instance)
    sign_in_member(other_device, "leaver-one")
    page = client.get("/app/account/withdraw").get_data(as_text=True)
    assert "公開中の投稿は公開を終了します" in page
    wrong = submit(client, "/app/account/withdraw", {"password": "not-my-password", "confirm": "y"})
    assert wrong.status_code == 422
    assert "パスワードが正しくありません" in wrong.get_data(as_text=True)
    unconfirmed = submit(client, "/app/account/withdraw", {"password": PASSWORD})
    assert unconfirmed.status_code == 422
    assert "確認欄にチェック" in unconfirmed.get_data(as_text=True)
    done = submit(client, "/app/account/withdraw", {"password": PASSWORD, "confirm": "y"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/app/account/withdrawn")

    with instance.rt.sessions() as db:
        account = db.get(Account, account_id)
        assert account is not None
        assert account.status == "withdrawn" and account.public_name == WITHDRAWN_NAME
        assert account.login_enc is None and account.login_index is None
        assert not db.scalars(select(Person).where(Person.account_id == account_id)).all()
        assert not db.scalars(select(ChangeRequest)).all()
        assert not db.scalars(select(PasswordResetToken)).all()
        assert db.get(Post, post_id).status == "withdrawn"  # type: ignore[union-attr]
        erasure = db.scalars(
            select(AuditEntry).where(AuditEntry.action == "erase_personal_data")
        ).one()
    assert erasure.target_id == account_id and erasure.count == 1
    assert "persons=1; change_requests=1; reset_tokens=1; posts_unpublished=1" in erasure.detail

    # Signed out everywhere, and the login no longer works.
    assert client.get("/app/account").status_code == 302
    assert other_device.get("/app/account").status_code == 302
    refused = submit(client, "/app/login", {"login": "leaver-one", "password": PASSWORD})
    assert refused.status_code == 422

    instance.worker_burst()
    assert not live_page(instance, post_id).exists()
    assert not (instance.settings.content_dir / "posts" / f"{post_id}.md").exists()

    if instance.settings.is_sqlite:
        stored = sqlite_bytes(instance)
        assert b"leaver-one" not in stored
        left = [value for value in sealed if value.encode("ascii") in stored]
        assert not left, "erased values remain in the database file"


def test_keep_anonymous_keeps_posts_live_under_a_neutral_name(instance):
    reconfigure(instance, '[withdrawal]\nposts = "keep_anonymous"\n')
    client = client_for(instance)
    account_id = register_and_approve(instance, client, 6, "leaver-two")
    with instance.rt.sessions() as db:
        account = db.get(Account, account_id)
        assert account is not None
        shown_name = account.public_name
    post_id = publish(instance, account_id, 2)
    instance.worker_burst()
    assert shown_name in live_page(instance, post_id).read_text(encoding="utf-8")

    sign_in_member(client, "leaver-two")
    page = client.get("/app/account/withdraw").get_data(as_text=True)
    assert "退会した利用者" in page
    done = submit(client, "/app/account/withdraw", {"password": PASSWORD, "confirm": "y"})
    assert done.status_code == 302
    with instance.rt.sessions() as db:
        assert db.get(Post, post_id).status == "approved"  # type: ignore[union-attr]
        erasure = db.scalars(
            select(AuditEntry).where(AuditEntry.action == "erase_personal_data")
        ).one()
    assert "posts_kept_anonymous=1" in erasure.detail

    instance.worker_burst()
    html = live_page(instance, post_id).read_text(encoding="utf-8")
    assert WITHDRAWN_NAME in html and shown_name not in html
