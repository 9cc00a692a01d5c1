"""Jobs of accounts: put a received registration before the moderators; mail a reset link."""

from __future__ import annotations

import smtplib

from sqlalchemy.orm import Session

from intake import mail
from intake.accounts.models import AccountStatus
from intake.accounts.password_reset import CONTEXT, mail_text
from intake.models import Account, PasswordResetToken, Person, utcnow
from intake.runtime import Runtime

from ..mail import MailNotSent
from ..tasks import tracked


@tracked
def ingest_account(rt: Runtime, session: Session, account_id: int) -> None:
    """Put a received registration in front of the moderators."""
    account = session.get(Account, account_id)
    if account is not None and account.status == AccountStatus.RECEIVED:
        account.status = AccountStatus.PENDING


@tracked
def send_password_reset(rt: Runtime, session: Session, token_id: int) -> None:
    """Mail the reset link of one token row, once; a used or expired token is not mailed."""
    row = session.get(PasswordResetToken, token_id, with_for_update=True)
    if row is None or row.token_enc is None:
        return
    person = session.get(Person, row.person_id) if row.person_id is not None else None
    address = rt.vault.open(person.email_enc, "persons.email") if person else None
    if row.used_at is not None or row.expires_at <= utcnow() or not address:
        row.token_enc = None
        return
    token = rt.vault.open(row.token_enc, CONTEXT)
    link = f"{rt.settings.public_url}/app/password/reset/{token}"
    subject, body = mail_text(rt.settings.site_name, link)
    try:
        mail.send(rt.settings, mail.build_message(rt.settings, address, subject, body))
    except (OSError, smtplib.SMTPException) as exc:
        # Only the type: SMTP errors can quote the recipient, and the task keeps the message.
        raise MailNotSent(type(exc).__name__) from None
    row.token_enc = None
    row.sent_at = utcnow()
