"""Password reset by email: a real SMTP server receives the link, which works once."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from accounts_support import (
    PASSWORD,
    approver,
    client_for,
    forget_outcome_mails,
    individual_form,
    reconfigure,
    register_and_approve,
    sign_in_member,
)
from actors import submit
from conftest import csrf_token
from mailsink import MailSink, mailsink  # noqa: F401 - the fixture
from sqlalchemy import select

from intake.models import Account, AuditEntry, PasswordResetToken, utcnow
from intake.moderation import services as moderation

NEW_PASSWORD = "a-brand-new-passphrase-7"
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
LINK = re.compile(r"(https?://\S+/app/password/reset/(\S+))")


@pytest.fixture
def mailing(instance, mailsink: MailSink):  # type: ignore[no-untyped-def]  # noqa: F811
    """The instance sending mail to the test SMTP server, and its client."""
    reconfigure(
        instance,
        HIROBA_SMTP_HOST=mailsink.host,
        HIROBA_SMTP_PORT=str(mailsink.port),
        HIROBA_MAIL_FROM="noreply@hiroba.example.jp",
        HIROBA_PUBLIC_URL="https://hiroba.example.jp",
    )
    return instance, client_for(instance), mailsink


def ask(client, identifier: str):  # type: ignore[no-untyped-def]
    response = submit(client, "/app/password/forgot", {"identifier": identifier})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/app/password/requested")
    return response


def link_of(message) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    match = LINK.search(message.get_content())
    assert match, message.get_content()
    return match.group(1), match.group(2)


def test_reset_mail_arrives_and_its_link_works_once(mailing):
    instance, client, sink = mailing
    register_and_approve(instance, client, 11, "forgetful")
    forget_outcome_mails(instance, sink)
    other_device = client_for(instance)
    sign_in_member(other_device, "forgetful")
    assert "パスワードを忘れた方" in client.get("/app/login").get_data(as_text=True)
    ask(client, "forgetful")
    ask(client, "nobody-has-this-id")  # the same answer for an unknown ID
    # Only the token row's id travels on the queue: no token, no address.
    for job in instance.rt.queue.get_jobs():
        assert all(isinstance(arg, int) for arg in job.args), job.args
    with instance.rt.sessions() as db:
        row = db.scalars(select(PasswordResetToken)).one()
        assert row.token_enc is not None and row.sent_at is None

    instance.worker_burst()
    [message] = sink.wait_for(1)
    assert message["To"] == "leak-probe-11@example.test"
    assert message["From"] == "noreply@hiroba.example.jp"
    assert "パスワード再設定" in message["Subject"]
    url, token = link_of(message)
    assert url.startswith("https://hiroba.example.jp/app/password/reset/")
    with instance.rt.sessions() as db:
        row = db.scalars(select(PasswordResetToken)).one()
        assert row.token_enc is None and row.sent_at is not None  # only the hash is left
        assert token not in row.token_hash

    path = f"/app/password/reset/{token}"
    weak = submit(client, path, {"password": "short", "password_confirm": "short"})
    assert weak.status_code == 422 and "10文字以上" in weak.get_data(as_text=True)
    done = submit(client, path, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"].endswith("/app/login")

    assert client.get(path).status_code == 410  # used up
    assert other_device.get("/app/account").status_code == 302  # its session was revoked
    old = submit(client, "/app/login", {"login": "forgetful", "password": PASSWORD})
    assert old.status_code == 422
    sign_in_member(client, "forgetful", NEW_PASSWORD)
    assert client.get("/app/account").status_code == 200
    with instance.rt.sessions() as db:
        assert db.scalars(select(AuditEntry).where(AuditEntry.action == "password_reset")).one()


def test_reset_by_email_address(mailing):
    instance, client, sink = mailing
    register_and_approve(instance, client, 12, "by-mail")
    forget_outcome_mails(instance, sink)
    ask(client, "LEAK-PROBE-12@example.test")
    instance.worker_burst()
    [message] = sink.wait_for(1)
    assert message["To"] == "leak-probe-12@example.test"


def test_the_reset_mail_speaks_the_language_the_account_registered_in(mailing):
    instance, _client, sink = mailing
    english = client_for(instance)
    english.get("/app/register?set_lang=en")  # the switch: registered in English
    response = submit(english, "/app/register", individual_form(13, "in-english"))
    assert response.status_code == 302
    with instance.rt.sessions() as db:
        account = db.scalars(select(Account).where(Account.public_name == "個人会員13")).one()
        assert account.language == "en"
    moderation.decide_account(instance.rt, approver(instance), account.id, approve=True)
    instance.worker_burst()
    sink.messages.clear()
    # Asked from a Japanese page: the mail follows the account, not the page.
    ask(client_for(instance), "in-english")
    instance.worker_burst()
    [message] = sink.wait_for(1)
    site = instance.settings.site_name  # the deployment's own name, as it is written
    subject, body = str(message["Subject"]), message.get_content()
    assert subject == f"[{site}] Password reset", subject
    assert "30 minutes" in body and "once" in body, body
    assert not JAPANESE.search(body.replace(site, "")), body
    url, token = link_of(message)
    assert url.endswith("?lang=en")
    page = english.get(f"/app/password/reset/{token}?lang=en").get_data(as_text=True)
    assert 'lang="en"' in page and "New password" in page, page[:2000]
    # A Japanese account's mail stays Japanese (the first test), word for word the catalog's.
    register_and_approve(instance, client_for(instance), 14, "in-japanese")
    instance.worker_burst()
    sink.messages.clear()
    ask(english, "in-japanese")  # asked from an English page
    instance.worker_burst()
    [japanese] = sink.wait_for(1)
    assert "パスワード再設定のご案内" in str(japanese["Subject"])
    assert "30分間、1回だけ使えます" in japanese.get_content()
    assert "?lang=" not in link_of(japanese)[0]


def test_an_expired_token_is_refused(mailing):
    instance, client, sink = mailing
    register_and_approve(instance, client, 13, "too-late")
    forget_outcome_mails(instance, sink)
    ask(client, "too-late")
    instance.worker_burst()
    [message] = sink.wait_for(1)
    _, token = link_of(message)
    with instance.rt.sessions() as db:
        row = db.scalars(select(PasswordResetToken)).one()
        row.expires_at = utcnow() - timedelta(minutes=1)
        db.commit()
    page = client.get(f"/app/password/reset/{token}")
    assert page.status_code == 410 and "有効期限" in page.get_data(as_text=True)
    assert client.get("/app/password/reset/not-a-real-token").status_code == 410


def test_an_unknown_or_pending_account_gets_no_mail(mailing):
    instance, client, sink = mailing
    response = submit(
        client,
        "/app/register",
        {
            **individual_form(14, "still-pending"),
        },
    )
    assert response.status_code == 302
    ask(client, "still-pending")
    ask(client, "leak-probe-14@example.test")
    ask(client, "nobody@example.test")
    instance.worker_burst()
    assert sink.messages == []
    with instance.rt.sessions() as db:
        assert not db.scalars(select(PasswordResetToken)).all()


def test_a_flood_of_requests_mails_at_most_the_cap_with_identical_answers(mailing):
    """25 rapid requests (login ID and address, from 25 client addresses behind the trusted
    proxy) deliver the cap of mails; every answer is the one an unknown ID gets."""
    instance, client, sink = mailing
    register_and_approve(instance, client, 15, "flooded")
    forget_outcome_mails(instance, sink)
    reconfigure(instance, HIROBA_TRUSTED_PROXIES="1", HIROBA_RATE_LIMIT_FORMS="100 per minute")
    behind_proxy = client_for(instance)
    token = csrf_token(behind_proxy.get("/app/password/forgot").get_data(as_text=True))

    def answer(identifier: str, n: int) -> tuple[int, str | None, bytes]:
        response = behind_proxy.post(
            "/app/password/forgot",
            data={"identifier": identifier, "csrf_token": token},
            headers={"X-Forwarded-For": f"10.1.{n // 250}.{n % 250 + 1}"},
        )
        return response.status_code, response.headers.get("Location"), response.get_data()

    targets = ["flooded", "leak-probe-15@example.test", "LEAK-PROBE-15@example.test "]
    answers = {answer(targets[n % 3], n) for n in range(25)}
    answers.add(answer("nobody@example.test", 99))
    [(status, location, _body)] = answers  # one answer for all 26
    assert (status, location) == (302, "/app/password/requested")
    instance.worker_burst()
    cap = instance.settings.reset_mails_per_hour
    assert cap == 3
    assert len(sink.wait_for(cap)) == cap == len(sink.messages)  # burst: all sent already
    assert {m["To"] for m in sink.messages} == {"leak-probe-15@example.test"}
    keys = [k.decode() for k in instance.rt.redis.keys("hiroba:password-reset:*")]
    assert keys and not any("leak-probe" in k.lower() or "flooded" in k for k in keys)
    assert all(0 < instance.rt.redis.ttl(k) <= 3600 for k in keys)


def test_the_address_cap_holds_across_accounts_sharing_it(mailing):
    """Two accounts registered with one mail address: the address gets the cap, not twice it."""
    instance, client, sink = mailing
    register_and_approve(instance, client, 16, "shared-one")
    register_and_approve(instance, client, 16, "shared-two")
    forget_outcome_mails(instance, sink)
    for n in range(8):
        ask(client, ["shared-one", "shared-two"][n % 2])
    instance.worker_burst()
    assert len(sink.wait_for(3)) == 3 == len(sink.messages)
