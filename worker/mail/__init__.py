"""The worker's mails: each job builds and sends its message; the queue carries only a row id."""

from __future__ import annotations

from intake.errors import HirobaError


class MailNotSent(HirobaError):
    """The SMTP server did not take the message; the task is tried again."""
