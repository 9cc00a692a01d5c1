"""Jobs of inquiries: mailing a moderator's reply to the person who asked.

The task carries the thread entry's id. The job checks the entry is a reply still owed,
opens the address itself and sends; the entry is marked sent in the transaction that
completes the task, so a reply goes out once. An inquiry purged meanwhile, or one
without an address, is skipped. With no mail server (HIROBA_SMTP_HOST empty) the reply
is marked as not sent, which the thread shows: the moderator then answers by phone.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from intake import mail
from intake.inquiries import services as inquiries
from intake.inquiries.mail import reply_text
from intake.runtime import Runtime

from ..mail import deliver
from ..tasks import tracked

log = logging.getLogger(__name__)


@tracked
def send_inquiry_reply(rt: Runtime, session: Session, entry_id: int) -> None:
    """Mail one reply to an inquiry, once."""
    owed = inquiries.reply_to_send(rt, session, entry_id)
    if owed is None:
        return
    if not rt.settings.smtp_host:
        log.info("no mail server configured; inquiry reply %s not sent", entry_id)
        inquiries.mark_unsent(session, entry_id)
        return
    subject, body = reply_text(
        rt.settings.site_name,
        rt.settings.deployment.operator,
        owed.inquiry_id,
        owed.category,
        owed.lang,
        owed.body,
    )
    message = mail.build_message(rt.settings, owed.address, subject, body)
    if rt.settings.deployment.operator.email:
        message["Reply-To"] = rt.settings.deployment.operator.email
    deliver(rt.settings, message)
    inquiries.mark_sent(session, entry_id)
