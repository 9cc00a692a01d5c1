"""Jobs of accounts: put a received registration before the moderators; mail a reset link;
mail a registrant the moderator's decision on their registration."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from intake.accounts.mail import Outcome, outcome_text, reset_link, reset_text
from intake.accounts.models import AccountStatus
from intake.accounts.password_reset import CONTEXT, LIFETIME
from intake.models import Account, Decision, PasswordResetToken, Person, utcnow
from intake.moderation.models import DecisionAction
from intake.runtime import Runtime

from ..mail import send_text
from ..mail.posters import poster_address
from ..tasks import tracked

log = logging.getLogger(__name__)


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
    account = session.get(Account, row.account_id)
    lang = account.language if account is not None else "ja"  # the language it registered in
    link = reset_link(rt.settings.public_url, token or "", lang)
    minutes = int(LIFETIME.total_seconds() // 60)
    subject, body = reset_text(rt.settings.site_name, link, minutes, lang)
    send_text(rt.settings, address, subject, body)
    row.token_enc = None
    row.sent_at = utcnow()


@tracked
def send_account_decision(rt: Runtime, session: Session, decision_id: int) -> None:
    """Mail a registrant the decision on their registration, once, in the language they
    registered in; skipped without a mail server, or without an address (paper)."""
    decision = session.get(Decision, decision_id)
    if decision is None or decision.subject_kind != "account":
        return  # erased with its registration
    account = session.get(Account, decision.subject_id)
    approved = decision.action == DecisionAction.APPROVE
    outcome = AccountStatus.ACTIVE if approved else AccountStatus.REJECTED
    if account is None or account.status != outcome:
        return  # erased, or stopped or withdrawn before the mail went out
    if not rt.settings.smtp_host:
        log.info("no mail server configured; registration decision mail %s skipped", decision_id)
        return
    address = poster_address(rt, account)  # a group's contact person first
    if address is None:
        return  # registered on paper without an address
    subject, body = outcome_text(
        rt.settings.site_name,
        rt.settings.public_url,
        Outcome(account.public_name, approved, decision.reason),
        account.language,
        rt.settings.deployment.refused_registration_days,
    )
    send_text(rt.settings, address, subject, body)
