"""Organizers mail their applicants through the site without seeing their addresses.

The organizer writes a subject and body and picks the recipients (confirmed, waiting or
both); this stores the message and one delivery row per applicant with an address, and
owes one mail task per delivery. The worker opens each address and sends each applicant
a mail of their own (no shared To or Cc). The organizer learns only the count.

Every mail to an applicant (the organizer's message's footer, the standing, a promotion,
a duplicate notice: worker/mail/applicants.py) is written in the language of the form they
applied with (applications.language). The texts are message ids of the intake's catalog.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import jobs, outbox
from ..mail import translations
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


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext no-op marker
    """Mark a message for extraction; it is translated when the mail is written."""
    return message


MESSAGE_FOOTER = N_(
    "このメールは、%(site)sで「%(title)s」にお申し込みの方へ、\n"
    "主催者からサイトを通じてお送りしています。返信は主催者には届きません。\n"
    "お問い合わせはイベントページの問い合わせ先へお願いします。\n"
)
STANDING_CONFIRMED = N_("参加確定")
STANDING_WAITING = N_("キャンセル待ち %(position)s番目")
STANDING_CANCELLED = N_("キャンセル済み")
HEADLINE_CONFIRMED = N_("「%(title)s」への参加が確定しました。")
HEADLINE_WAITING = N_(
    "「%(title)s」は定員に達しているため、キャンセル待ち（%(position)s番目）で"
    "受け付けました。順番が来たら、あらためてメールでお知らせします。"
)
HEADLINE_CANCELLED = N_("「%(title)s」への申込はキャンセルされています。")
NOT_DECIDED = N_("未定")
STANDING_BODY = N_(
    "%(headline)s\n\n"
    "イベント: %(title)s\n"
    "日時: %(when)s\n"
    "会場: %(place)s\n"
    "人数: %(party)s人\n"
    "状態: %(standing)s\n\n"
    "申込内容の確認とキャンセルは、次のリンクからできます（イベントの翌日まで有効）。\n"
    "%(link)s\n\n"
    "このメールに心当たりがない場合は、このメールを破棄してください。\n"
    "%(site)s\n"
)
STANDING_SUBJECT = N_("【%(site)s】申込の受付（%(standing)s）")
PROMOTED_SUBJECT = N_("【%(site)s】キャンセル待ちから参加が確定しました")
PROMOTED_HEADLINE = N_("キャンセルが出たため、キャンセル待ちから繰り上がりました。")
DUPLICATE_SUBJECT = N_("【%(site)s】同じ連絡先で、もう一度申込がありました")
DUPLICATE_HEADLINE = N_(
    "このイベントに、あなたの申込と同じメールアドレスまたは電話番号で、もう一度申込がありました。"
    "同じ方の二重の申込は受け付けないため、新しい席は取っていません。"
    "あなたの申込は、下の内容のまま有効です。"
)


def mail_text(
    site_name: str, post: Post, message: EventMessage, lang: str = "ja"
) -> tuple[str, str]:
    """Return the subject and body one applicant receives (the footer in their language)."""
    text = translations(lang).gettext
    subject = f"[{site_name}] {message.subject}"
    footer = text(MESSAGE_FOOTER) % {"site": site_name, "title": post.title}
    return subject, f"{message.body.rstrip()}\n\n--\n{footer}"
