"""The worker's mails: each job builds and sends its message; the queue carries only a row id."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from intake import mail
from intake.config import Settings
from intake.errors import HirobaError

from . import receipts


class MailNotSent(HirobaError):
    """The SMTP server did not take the message; the task is tried again."""


def deliver(settings: Settings, message: EmailMessage) -> None:
    """Send a message, or raise MailNotSent naming only the error's type.

    SMTP errors can quote the recipient, and the task keeps the message for the next try.
    """
    try:
        receipts.once(lambda accepted: mail.send(settings, message, accepted))
    except (OSError, smtplib.SMTPException) as exc:
        raise MailNotSent(type(exc).__name__) from None


def send_text(settings: Settings, address: str, subject: str, body: str) -> None:
    """Build a plain-text mail to one address and deliver it."""
    deliver(settings, mail.build_message(settings, address, subject, body))
