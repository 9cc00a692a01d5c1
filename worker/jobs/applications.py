"""Jobs of applications: the applicant's confirmation, promotion and duplicate notices, and
organizers' messages to applicants (one mail per applicant)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from intake.applications.mail import AUDIENCES, mail_text
from intake.applications.models import DeliveryState
from intake.models import Application, EventMessage, MessageDelivery, Post, utcnow
from intake.runtime import Runtime

from ..mail import send_text
from ..mail.applicants import mail_standing
from ..tasks import tracked


@tracked
def send_event_message(rt: Runtime, session: Session, delivery_id: int) -> None:
    """Mail one applicant their copy of an organizer's message, once."""
    delivery = session.get(MessageDelivery, delivery_id, with_for_update=True)
    if delivery is None or delivery.state != DeliveryState.PENDING:
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
        # Purged, cancelled or moved since the message was written.
        delivery.state = DeliveryState.SKIPPED
        return
    subject, body = mail_text(rt.settings.site_name, post, message, application.language)
    send_text(rt.settings, address, subject, body)
    delivery.state = DeliveryState.SENT
    delivery.sent_at = utcnow()


@tracked
def ingest_application(rt: Runtime, session: Session, application_id: int) -> None:
    """Mail the applicant their confirmation or waiting-list place (allocated in the request)."""
    mail_standing(rt, session, application_id, promoted=False)


@tracked
def send_promoted(rt: Runtime, session: Session, application_id: int) -> None:
    """Tell an applicant promoted from the waiting list that their place is confirmed."""
    mail_standing(rt, session, application_id, promoted=True)


@tracked
def send_duplicate_notice(rt: Runtime, session: Session, application_id: int) -> None:
    """Tell an applicant that someone applied again with their details (nothing was taken)."""
    mail_standing(rt, session, application_id, promoted=False, duplicate=True)
