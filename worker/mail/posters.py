"""Mails to a poster about their live item: a takedown, or a request to remove stale content.

The task carries only the post's id. The job checks the post is still in the state the
mail is about, reads the poster's address itself (a group's contact person first, like a
password reset), and sends. With no mail server configured (HIROBA_SMTP_HOST empty) the
mail is skipped: the poster still sees the same text on their page (/app/my).
"""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta

from sqlalchemy.orm import Session

from intake import mail
from intake.accounts.password_reset import MAIL_ORDER
from intake.models import Account, Post
from intake.runtime import Runtime

from .mail import MailNotSent
from .tasks import tracked

log = logging.getLogger(__name__)
JST_HOURS = 9


def poster_address(rt: Runtime, account: Account) -> str | None:
    """Return the address a poster's notices go to, or None when none is registered."""
    mailable = sorted(
        (p for p in account.persons if p.email_enc), key=lambda p: MAIL_ORDER.get(p.role, 9)
    )
    if not mailable:
        return None
    return rt.vault.open(mailable[0].email_enc, "persons.email") or None


def _send(rt: Runtime, post: Post, subject: str, body: str) -> None:
    if not rt.settings.smtp_host:
        log.info("no mail server configured; poster notice for post %s skipped", post.id)
        return
    address = poster_address(rt, post.account)
    if address is None:
        return
    site = rt.settings.site_name
    text = f"{body}\n\nマイページ: {rt.settings.public_url}/app/my\n\n{site}\n"
    try:
        message = mail.build_message(rt.settings, address, f"【{site}】{subject}", text)
        mail.send(rt.settings, message)
    except (OSError, smtplib.SMTPException) as exc:
        # Only the type: SMTP errors can quote the recipient, and the task keeps the message.
        raise MailNotSent(type(exc).__name__) from None


@tracked
def send_takedown_notice(rt: Runtime, session: Session, post_id: int) -> None:
    """Tell the poster that a moderator took their item off the site, and why."""
    post = session.get(Post, post_id)
    if post is None or post.status != "taken_down":
        return
    body = (
        f"「{post.title}」（投稿番号 {post.id}）は、運営者の判断により公開を停止しました。\n\n"
        f"理由:\n{post.takedown_reason}\n\n"
        "ご不明な点は運営者までお問い合わせください。"
    )
    _send(rt, post, "投稿の公開を停止しました", body)


@tracked
def send_stale_request(rt: Runtime, session: Session, post_id: int) -> None:
    """Ask the poster to update or withdraw an item by the deadline."""
    post = session.get(Post, post_id)
    if post is None or post.status != "approved" or post.stale_deadline is None:
        return
    at = post.stale_deadline + timedelta(hours=JST_HOURS)
    deadline = f"{at.year}年{at.month}月{at.day}日 {at:%H:%M}"
    body = (
        f"「{post.title}」（投稿番号 {post.id}）について、"
        "運営者から古い情報の削除依頼が届いています。\n\n"
        f"理由:\n{post.stale_reason}\n\n"
        f"{deadline} までに、マイページから内容を更新するか、取り下げてください。"
        "期限を過ぎると、運営者が削除することがあります。"
    )
    _send(rt, post, "古い情報の削除依頼", body)
