"""Organizers' messages to applicants: one mail per applicant, sent by the worker."""

from __future__ import annotations

import smtplib

from sqlalchemy.orm import Session

from intake import mail
from intake.applications.mail import AUDIENCES, mail_text
from intake.models import Application, EventMessage, MessageDelivery, Post, utcnow
from intake.runtime import Runtime

from .mail import MailNotSent
from .tasks import tracked


@tracked
def send_event_message(rt: Runtime, session: Session, delivery_id: int) -> None:
    """Mail one applicant their copy of an organizer's message, once."""
    delivery = session.get(MessageDelivery, delivery_id, with_for_update=True)
    if delivery is None or delivery.state != "pending":
        return
    message = session.get(EventMessage, delivery.message_id)
    application = session.get(Application, delivery.application_id)
    post = session.get(Post, message.post_id) if message else None
    address = rt.vault.open(application.email_enc, "applications.email") if application else None
    if (
        message is None
        or post is None
        or application is None
        or not address
        or application.status not in AUDIENCES[message.audience][1]
    ):
        delivery.state = "skipped"  # purged, cancelled or moved since the message was written
        return
    subject, body = mail_text(rt.settings.site_name, post, message)
    try:
        mail.send(rt.settings, mail.build_message(rt.settings, address, subject, body))
    except (OSError, smtplib.SMTPException) as exc:
        # Only the type: SMTP errors can quote the recipient, and the task keeps the message.
        raise MailNotSent(type(exc).__name__) from None
    delivery.state = "sent"
    delivery.sent_at = utcnow()
