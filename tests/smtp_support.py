"""A real SMTP server that speaks TLS and wants a login: aiosmtpd with a throw-away
certificate (made with cryptography) and a user/password check."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from certificates import self_signed
from conftest import free_port
from mailsink import MailSink

SMTP_USER = "hiroba-mailer"
SMTP_PASSWORD = "correct horse battery staple"


@dataclass
class SecureSink(MailSink):
    """A MailSink that also records the logins it was offered."""

    ca_file: Path = Path()
    logins: list[tuple[str, str, bool]] = field(default_factory=list)

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        ok = data.login.decode() == SMTP_USER and data.password.decode() == SMTP_PASSWORD
        self.logins.append((mechanism, data.login.decode(), ok))
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535


def start_secure_sink(
    folder: Path, implicit_tls: bool, mechanisms: tuple[str, ...] = ("LOGIN", "PLAIN")
) -> tuple[SecureSink, Controller]:
    """Start aiosmtpd with STARTTLS (or TLS from the first byte) and AUTH required."""
    cert, key = self_signed(folder, "smtp", "hiroba test smtp")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    sink = SecureSink(host="127.0.0.1", port=free_port(), ca_file=cert)
    excluded = [m for m in ("LOGIN", "PLAIN") if m not in mechanisms]
    options: dict[str, Any] = {
        "authenticator": sink.authenticate,
        "auth_required": True,
        "auth_exclude_mechanism": excluded,
    }
    if implicit_tls:
        # The whole connection is TLS, which aiosmtpd's AUTH-over-TLS check does not see
        # (it knows STARTTLS only): let it offer AUTH; the test checks the login happened.
        options.update(ssl_context=context, auth_require_tls=False, auth_required=False)
    else:
        options.update(tls_context=context, require_starttls=True)
    controller = Controller(sink, hostname=sink.host, port=sink.port, **options)
    controller.start()
    return sink, controller


@pytest.fixture
def starttls_sink(tmp_path: Path) -> Iterator[SecureSink]:
    sink, controller = start_secure_sink(tmp_path, implicit_tls=False)
    yield sink
    controller.stop()


@pytest.fixture
def tls_sink(tmp_path: Path) -> Iterator[SecureSink]:
    sink, controller = start_secure_sink(tmp_path, implicit_tls=True)
    yield sink
    controller.stop()


def smtp_env(sink: SecureSink, tls: str, password: str = SMTP_PASSWORD) -> dict[str, str]:
    """The settings that send through sink."""
    return {
        "HIROBA_SMTP_HOST": sink.host,
        "HIROBA_SMTP_PORT": str(sink.port),
        "HIROBA_SMTP_TLS": tls,
        "HIROBA_SMTP_USER": SMTP_USER,
        "HIROBA_SMTP_PASSWORD": password,
        "HIROBA_SMTP_CA_FILE": str(sink.ca_file),
    }
