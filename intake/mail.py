"""Sending mail through the deployment's SMTP server: HIROBA_SMTP_HOST and _PORT, TLS
(HIROBA_SMTP_TLS: starttls, tls or off), an optional login, and HIROBA_MAIL_FROM as sender;
and the intake's catalogs read outside any request (a mail in its reader's language, the
CLI's words, WTForms' messages)."""

from __future__ import annotations

import gettext
import io
import smtplib
import ssl
from collections.abc import Callable
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from .config import Settings

SMTP_TIMEOUT = 30
# The intake's catalogs (intake/web/catalog.py): Japanese is the message ids themselves.
CATALOGS = Path(__file__).resolve().parent / "translations"


class MailLoginRefused(smtplib.SMTPException):
    """The SMTP server refused HIROBA_SMTP_USER's password (or offers no login we can use)."""


def sender(settings: Settings) -> Address:
    """Return the deployment's sender: display name and address (validated at start-up)."""
    name, address = parseaddr(settings.mail_from)
    return Address(display_name=name, addr_spec=address)


def build_message(settings: Settings, to: str, subject: str, body: str) -> EmailMessage:
    """Return a plain-text UTF-8 message from the deployment's sender."""
    message = EmailMessage()
    from_ = sender(settings)
    message["From"] = from_  # a Japanese display name is encoded (RFC 2047) when sent
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=from_.domain or None)
    message.set_content(body, charset="utf-8")
    return message


def _tls_context(settings: Settings) -> ssl.SSLContext:
    """Return a context that verifies the server (against HIROBA_SMTP_CA_FILE when set)."""
    return ssl.create_default_context(cafile=settings.smtp_ca_file or None)


def _connect(settings: Settings) -> smtplib.SMTP:
    if settings.smtp_tls == "tls":
        return smtplib.SMTP_SSL(
            settings.smtp_host,
            settings.smtp_port,
            timeout=SMTP_TIMEOUT,
            context=_tls_context(settings),
        )
    smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT)
    if settings.smtp_tls == "starttls":
        try:
            smtp.starttls(context=_tls_context(settings))
        except BaseException:
            smtp.close()
            raise
    return smtp


def send(
    settings: Settings, message: EmailMessage, accepted: Callable[[], None] | None = None
) -> None:
    """Hand message to the SMTP server; raise OSError or smtplib.SMTPException on failure.
    accepted, if given, is called the moment the server has taken the message (before the
    goodbye, which may still fail: worker/mail/receipts.py keeps the mail from going twice).

    A refused login raises MailLoginRefused, whose message names the setting to check and
    never the password; the caller keeps the mail owed and tries again later.
    """
    with _connect(settings) as smtp:
        if settings.smtp_user:
            _login(smtp, settings)
        smtp.send_message(message)
        if accepted is not None:
            accepted()


def probe(settings: Settings) -> int:
    """Connect as send does (TLS, login) and say EHLO, sending nothing; return EHLO's code.

    Raises what send raises: OSError, smtplib.SMTPException, MailLoginRefused.
    """
    with _connect(settings) as smtp:
        code, _banner = smtp.ehlo()
        if settings.smtp_user:
            _login(smtp, settings)
        return int(code)


def _login(smtp: smtplib.SMTP, settings: Settings) -> None:
    """Log in once with PLAIN or LOGIN (smtplib's login would retry the password with each
    mechanism the server offers, and servers count those failures)."""
    smtp.ehlo_or_helo_if_needed()
    offered = smtp.esmtp_features.get("auth", "").upper().split()
    mechanism = next((m for m in ("PLAIN", "LOGIN") if m in offered), None)
    if mechanism is None:
        raise MailLoginRefused(
            f"the SMTP server {settings.smtp_host} offers no AUTH PLAIN or LOGIN; "
            "check HIROBA_SMTP_TLS (most servers offer a login only over TLS)"
        )
    smtp.user, smtp.password = settings.smtp_user, settings.smtp_password
    method = smtp.auth_plain if mechanism == "PLAIN" else smtp.auth_login
    try:
        smtp.auth(mechanism, method)
    except smtplib.SMTPAuthenticationError as exc:
        raise MailLoginRefused(
            f"the SMTP server {settings.smtp_host} refused the login of HIROBA_SMTP_USER "
            f"(code {exc.smtp_code}); check the user and password"
        ) from None


def translations(
    lang: str, root: Path = CATALOGS, domain: str = "messages"
) -> gettext.NullTranslations:
    """Return the intake's catalog of domain in lang (none at all: every id unchanged).

    Domains: ``messages``, the intake's own text (Japanese ids, English in ``en``; mails and
    the CLI); ``wtforms`` and ``argparse``, those libraries' English words (Japanese in
    ``ja``; form messages and the CLI). A wheel holds the compiled .mo; a checkout holds only
    the .po, which is compiled in memory, never into the code (as the web layer's catalog.py
    compiles it into a cache).
    """
    folder = root / lang / "LC_MESSAGES"
    for name in (f"{domain}.mo", f"{domain}.po"):
        path = folder / name
        if path.is_file():
            return _loaded(path, path.stat().st_mtime_ns)
    return gettext.NullTranslations()


@cache
def _loaded(path: Path, mtime_ns: int) -> gettext.GNUTranslations:
    """Return the catalog at path as it was at mtime_ns (each process reads it once)."""
    data = path.read_bytes()
    if path.suffix == ".po":
        catalog = read_po(io.BytesIO(data), locale=path.parent.parent.name, domain=path.stem)
        buffer = io.BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)
        data = buffer.getvalue()
    return gettext.GNUTranslations(io.BytesIO(data))
