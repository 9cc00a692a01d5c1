"""Mail through a real aiosmtpd with STARTTLS or TLS and AUTH LOGIN/PLAIN; the sender's
display name; a refused login leaves the mail owed until the password is fixed."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from accounts_support import client_for, reconfigure, register_and_approve
from actors import submit
from conftest import instance_env
from mailsink import MailSink, running_sink
from smtp_support import (  # noqa: F401 - fixtures
    SMTP_USER,
    smtp_env,
    start_secure_sink,
    starttls_sink,
    tls_sink,
)
from sqlalchemy import select

from intake import mail
from intake.config import Settings
from intake.errors import ConfigError
from intake.installation.checkup import check_smtp
from intake.models import PasswordResetToken, Task

SENDER = "しんじゅく広場 事務局 <office@hiroba.example.jp>"


def settings_for(tmp_path: Path, **env: str) -> Settings:
    base = instance_env(tmp_path, f"sqlite:///{tmp_path / 'x.db'}", "redis://127.0.0.1:1/0")
    return Settings.from_env({**base, **env})


def send_one(settings: Settings) -> None:
    mail.send(settings, mail.build_message(settings, "reader@example.test", "件名", "本文です。"))


@pytest.mark.parametrize("tls", ["starttls", "tls"])
def test_mail_goes_over_tls_with_a_login_and_a_japanese_sender(tmp_path, tls, request):
    sink = request.getfixturevalue("starttls_sink" if tls == "starttls" else "tls_sink")
    settings = settings_for(tmp_path, **smtp_env(sink, tls), HIROBA_MAIL_FROM=SENDER)
    send_one(settings)
    [message] = sink.wait_for(1)
    assert sink.logins and all(ok for _mechanism, _user, ok in sink.logins)
    assert sink.logins[-1][1] == SMTP_USER
    assert message["From"].addresses[0].display_name == "しんじゅく広場 事務局"
    assert message["From"].addresses[0].addr_spec == "office@hiroba.example.jp"
    assert message["Message-ID"].endswith("@hiroba.example.jp>")
    assert message.get_content().strip() == "本文です。"


@pytest.mark.parametrize("mechanism", ["LOGIN", "PLAIN"])
def test_each_login_mechanism_is_used_when_it_is_the_one_offered(tmp_path, mechanism):
    sink, controller = start_secure_sink(tmp_path, implicit_tls=False, mechanisms=(mechanism,))
    try:
        send_one(settings_for(tmp_path, **smtp_env(sink, "starttls")))
        sink.wait_for(1)
    finally:
        controller.stop()
    assert [(m, ok) for m, _user, ok in sink.logins] == [(mechanism, True)]
    assert len(sink.messages) == 1


def test_the_display_name_is_encoded_in_the_raw_header(tmp_path, starttls_sink):  # noqa: F811
    settings = settings_for(tmp_path, **smtp_env(starttls_sink, "starttls"))
    raw = mail.build_message(settings, "a@example.test", "s", "b").as_bytes(
        policy=email.policy.SMTP
    )
    head = raw.split(b"\r\n\r\n", 1)[0].replace(b"\r\n ", b" ").replace(b"\r\n\t", b" ")
    header = next(line for line in head.split(b"\r\n") if line.startswith(b"From:"))
    assert head.isascii() and b"=?utf-8?" in header.lower()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    # The default sender: the site's name, 事務局, office@ the public URL's host.
    assert parsed["From"].addresses[0].display_name == "しんじゅく広場 事務局"
    assert parsed["From"].addresses[0].addr_spec == "office@localhost"
    named = settings_for(tmp_path, HIROBA_PUBLIC_URL="https://hiroba.example.jp")
    assert named.mail_from == "しんじゅく広場 事務局 <office@hiroba.example.jp>"


def test_a_wrong_certificate_is_refused(tmp_path, starttls_sink):  # noqa: F811
    env = smtp_env(starttls_sink, "starttls")
    env.pop("HIROBA_SMTP_CA_FILE")  # the system's CAs do not know the throw-away certificate
    with pytest.raises(OSError):  # ssl.SSLCertVerificationError
        send_one(settings_for(tmp_path, **env))
    assert starttls_sink.messages == [] and starttls_sink.logins == []


def test_a_wrong_password_is_a_clear_error(tmp_path, starttls_sink):  # noqa: F811
    settings = settings_for(tmp_path, **smtp_env(starttls_sink, "starttls", password="wrong"))
    with pytest.raises(mail.MailLoginRefused) as caught:
        send_one(settings)
    assert "HIROBA_SMTP_USER" in str(caught.value) and "wrong" not in str(caught.value)
    assert starttls_sink.messages == []


def test_the_password_may_come_from_a_file(tmp_path, starttls_sink):  # noqa: F811
    secret = tmp_path / "smtp-password"
    secret.write_text(smtp_env(starttls_sink, "starttls")["HIROBA_SMTP_PASSWORD"] + "\n")
    secret.chmod(0o600)
    env = smtp_env(starttls_sink, "starttls", password="")
    settings = settings_for(tmp_path, **env, HIROBA_SMTP_PASSWORD_FILE=str(secret))
    send_one(settings)
    assert len(starttls_sink.wait_for(1)) == 1
    assert "correct horse" not in repr(settings)  # never printed with the settings


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"HIROBA_MAIL_FROM": "事務局 <office@example.jp>\nBcc: x@example.jp"}, "HIROBA_MAIL_FROM"),
        ({"HIROBA_MAIL_FROM": "office@example.jp, other@example.jp"}, "HIROBA_MAIL_FROM"),
        ({"HIROBA_MAIL_FROM": "事務局"}, "HIROBA_MAIL_FROM"),
        ({"HIROBA_SMTP_TLS": "maybe"}, "HIROBA_SMTP_TLS"),
        (
            {"HIROBA_SMTP_HOST": "smtp.example.jp", "HIROBA_SMTP_USER": "u"},
            "HIROBA_SMTP_TLS=off",
        ),
        (
            {"HIROBA_SMTP_PASSWORD": "a", "HIROBA_SMTP_PASSWORD_FILE": "/etc/hostname"},
            "どちらか一方だけ",
        ),
        ({"HIROBA_SMTP_PASSWORD_FILE": "/nonexistent/password"}, "HIROBA_SMTP_PASSWORD_FILE"),
    ],
)
def test_bad_mail_settings_stop_start_up_in_one_sentence(tmp_path, env, named):
    with pytest.raises(ConfigError) as caught:
        settings_for(tmp_path, **env)
    assert named in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_refused_login_leaves_the_mail_owed_until_fixed(instance, starttls_sink, monkeypatch):  # noqa: F811
    """The worker's real mail job: the task keeps a clear error and the mail, then goes."""
    reconfigure(
        instance,
        **smtp_env(starttls_sink, "starttls", password="wrong"),
        HIROBA_PUBLIC_URL="https://hiroba.example.jp",
    )
    client = client_for(instance)
    register_and_approve(instance, client, 12, "forgetful12")
    response = submit(client, "/app/password/forgot", {"identifier": "forgetful12"})
    assert response.status_code == 302
    instance.worker_burst()  # tries until the task is given up
    with instance.rt.sessions() as db:
        task = db.scalars(select(Task).where(Task.name.like("%password_reset%"))).one()
        row = db.scalars(select(PasswordResetToken)).one()
    assert task.state == "failed"
    assert "MailLoginRefused" in task.last_error and "wrong" not in task.last_error
    assert row.token_enc is not None and row.sent_at is None  # the mail is still owed
    assert starttls_sink.messages == []
    assert starttls_sink.logins and not any(ok for _m, _u, ok in starttls_sink.logins)

    reconfigure(instance, **smtp_env(starttls_sink, "starttls"))
    from intake.cli import main

    for key, value in instance.env.items():
        monkeypatch.setenv(key, value)
    assert main(["retry-failed"]) == 0
    instance.worker_burst()
    # The approval of the registration was owed as well, and went the same way.
    approval, message = sorted(starttls_sink.wait_for(2), key=lambda m: "承認" not in m["Subject"])
    assert "登録を承認しました" in approval["Subject"]
    assert message["To"] == "leak-probe-12@example.test"
    assert "/app/password/reset/" in message.get_content()
    with instance.rt.sessions() as db:
        assert db.get(Task, task.id).state == "done"


def test_hiroba_check_talks_to_the_server_as_mail_is_sent(tmp_path, tls_sink):  # noqa: F811
    """`hiroba check`'s SMTP line uses TLS and the login, so a wrong password shows there."""
    good = settings_for(tmp_path, **smtp_env(tls_sink, "tls"))
    [finding] = list(check_smtp(good))
    assert finding.ok, finding
    bad = settings_for(tmp_path, **smtp_env(tls_sink, "tls", password="wrong"))
    [finding] = list(check_smtp(bad))
    assert not finding.ok and "refused the login of HIROBA_SMTP_USER" in str(finding)
    assert tls_sink.messages == []  # a check sends nothing


class GrumpyGoodbyeSink(MailSink):
    """Takes every message, then answers the goodbye with an error: a server that is slow or
    odd after accepting, as a worker dying before its commit would look."""

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        return "421 4.3.2 closing, goodbye not confirmed"


@pytest.fixture
def grumpy_sink() -> Iterator[GrumpyGoodbyeSink]:
    with running_sink(GrumpyGoodbyeSink) as sink:
        yield sink


def test_a_mail_the_server_took_is_not_sent_again_when_its_task_runs_again(instance, grumpy_sink):
    """The task fails after the server took the mail (the goodbye errs) and runs again; the
    receipt keeps the second run from sending it twice, and the task ends done."""
    reconfigure(
        instance,
        HIROBA_SMTP_HOST=grumpy_sink.host,
        HIROBA_SMTP_PORT=str(grumpy_sink.port),
        HIROBA_PUBLIC_URL="https://hiroba.example.jp",
    )
    client = client_for(instance)
    register_and_approve(instance, client, 13, "forgetful13")
    instance.worker_burst()  # the approval mail: taken, goodbye refused, run again, done
    grumpy_sink.messages.clear()
    response = submit(client, "/app/password/forgot", {"identifier": "forgetful13"})
    assert response.status_code == 302
    instance.worker_burst()
    with instance.rt.sessions() as db:
        task = db.scalars(select(Task).where(Task.name.like("%password_reset%"))).one()
    assert task.attempts >= 2, "the first run must have failed after the server took the mail"
    assert "SMTPResponseException" in (task.last_error or "")
    assert task.state == "done"
    assert len(grumpy_sink.messages) == 1
    assert "/app/password/reset/" in grumpy_sink.messages[0].get_content()
