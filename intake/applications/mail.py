"""Organizers mail their applicants through the site without seeing their addresses.

The organizer writes a subject and body and picks the recipients (confirmed, waiting or
both); this stores the message and one delivery row per applicant with an address, and
owes one mail task per delivery. The worker opens each address and sends each applicant
a mail of their own (no shared To or Cc). The organizer learns only the count.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import jobs, outbox
from ..models import Application, EventMessage, MessageDelivery, Post
from ..protection import audit
from ..runtime import Runtime
from ..store import transaction
from .organizer import CONFIRMED, WAITING, own_event

AUDIENCES = {
    "confirmed": ("参加確定の方", CONFIRMED),
    "waiting": ("キャンセル待ちの方", WAITING),
    "all": ("参加確定とキャンセル待ちの方", CONFIRMED | WAITING),
}


def recipients(rt: Runtime, account_id: int, post_id: int, audience: str) -> int:
    """Return how many applicants of an own event a message to audience would reach."""
    with rt.sessions() as session:
        own_event(session, account_id, post_id)
        return len(_recipient_ids(session, post_id, audience))


def _recipient_ids(session: Session, post_id: int, audience: str) -> list[int]:
    statuses = AUDIENCES[audience][1]
    return list(
        session.scalars(
            select(Application.id)
            .where(Application.post_id == post_id)
            .where(Application.status.in_(statuses))
            .where(Application.email_enc.is_not(None))
            .order_by(Application.id)
        )
    )


def send_message(
    rt: Runtime, account_id: int, post_id: int, audience: str, subject: str, body: str
) -> int:
    """Owe one mail per applicant of audience; return how many (the organizer's only view)."""
    with transaction(rt.sessions) as session:
        own_event(session, account_id, post_id)
        ids = _recipient_ids(session, post_id, audience)
        message = EventMessage(
            post_id=post_id,
            sender_id=account_id,
            audience=audience,
            subject=subject,
            body=body,
            recipients=len(ids),
        )
        session.add(message)
        session.flush()
        tasks = []
        for application_id in ids:
            delivery = MessageDelivery(message_id=message.id, application_id=application_id)
            session.add(delivery)
            session.flush()
            tasks.append(outbox.add_task(session, jobs.SEND_EVENT_MESSAGE, delivery.id))
        audit.record(
            session,
            account_id,
            "message_applicants",
            "post",
            post_id,
            count=len(ids),
            detail=f"organizer message {message.id} to {audience}",
        )
    outbox.enqueue_tasks(rt.queue, tasks)
    return len(ids)


def mail_text(site_name: str, post: Post, message: EventMessage) -> tuple[str, str]:
    """Return the subject and body one applicant receives."""
    subject = f"[{site_name}] {message.subject}"
    body = (
        f"{message.body.rstrip()}\n\n"
        "--\n"
        f"このメールは、{site_name}で「{post.title}」にお申し込みの方へ、\n"
        "主催者からサイトを通じてお送りしています。返信は主催者には届きません。\n"
        "お問い合わせはイベントページの問い合わせ先へお願いします。\n"
    )
    return subject, body
