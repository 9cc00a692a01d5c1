"""Jobs of oversight: the audit analysis's mails (intake/oversight/analysis.py decides).

Each task carries an `audit_mails` row's id: one mail to one staff account (in its
language, skipped when the account was disabled or has no address) or, without an account,
to the operator (`[operator] email`, in Japanese). With no mail server configured the mail
is skipped.
"""

from __future__ import annotations

import json
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.accounts.models import ACCOUNT_KIND_LABELS, AccountStatus, account_word
from intake.mail import translations
from intake.models import Account
from intake.office.records import AuditMail, AuditNotice
from intake.oversight.mail import notice_text
from intake.runtime import Runtime

from ..mail import send_text
from ..mail.posters import poster_address
from ..tasks import tracked

log = logging.getLogger(__name__)


@tracked
def send_audit_notice(rt: Runtime, session: Session, mail_id: int) -> None:
    """Send one mail about a monthly report or an anomaly, once."""
    mail = session.get(AuditMail, mail_id)
    notice = session.get(AuditNotice, mail.notice_id) if mail is not None else None
    if mail is None or notice is None:
        return
    if not rt.settings.smtp_host:
        log.info("no mail server configured; audit notice mail %s skipped", mail_id)
        return
    if mail.account_id is None:
        address: str | None = rt.settings.deployment.operator.email or None
        lang = "ja"
    else:
        account = session.get(Account, mail.account_id)
        if account is None or account.kind != "staff" or account.status != AccountStatus.ACTIVE:
            return
        address, lang = poster_address(rt, account), account.language
    if address is None:
        return
    actor = json.loads(notice.summary or "{}").get("actor_id")
    kind = session.scalar(select(Account.kind).where(Account.id == actor)) if actor else None
    role = account_word(ACCOUNT_KIND_LABELS, kind, translations(lang).gettext) if kind else ""
    subject, body = notice_text(rt.settings.site_name, rt.settings.public_url, notice, lang, role)
    send_text(rt.settings, address, subject, body)
