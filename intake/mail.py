"""Sending mail through the deployment's SMTP server (HIROBA_SMTP_HOST, HIROBA_SMTP_PORT)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from .config import Settings

SMTP_TIMEOUT = 30


def build_message(settings: Settings, to: str, subject: str, body: str) -> EmailMessage:
    """Return a plain-text UTF-8 message from the deployment's sender."""
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=settings.mail_from.rpartition("@")[2] or None)
    message.set_content(body, charset="utf-8")
    return message


def send(settings: Settings, message: EmailMessage) -> None:
    """Hand message to the SMTP server; raise OSError or smtplib.SMTPException on failure."""
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT) as smtp:
        smtp.send_message(message)
