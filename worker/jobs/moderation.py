"""The poster's mail about a moderator's decision on their post or on an edit of it.

The task carries only the Decision's id. The job reads the post and the poster's address
itself (a group's contact person first) and sends the outcome: approved, approved with
the moderator's edits (each one listed), or rejected with the reason. With no mail server
configured (HIROBA_SMTP_HOST empty) the mail is skipped; /app/my shows the same.
"""

from __future__ import annotations

import json
import logging
import smtplib

from sqlalchemy.orm import Session

from intake import mail
from intake.models import Decision, Post, PostRevision
from intake.posts.fields import edits_text
from intake.runtime import Runtime

from .mail import MailNotSent
from .poster_mail import poster_address
from .tasks import tracked

log = logging.getLogger(__name__)


def decided_post(session: Session, decision: Decision) -> Post | None:
    """Return the post a decision is about (through its revision for an edit)."""
    if decision.subject_kind == "revision":
        revision = session.get(PostRevision, decision.subject_id)
        return session.get(Post, revision.post_id) if revision is not None else None
    return session.get(Post, decision.subject_id) if decision.subject_kind == "post" else None


def mail_text(site_name: str, my_url: str, decision: Decision, post: Post) -> tuple[str, str]:
    """Return the subject and body telling a poster what was decided, and why or what changed."""
    edit = decision.subject_kind == "revision"
    name = f"「{post.title}」（投稿番号 {post.id}）"
    if decision.action == "approve":
        subject = "投稿の変更を承認しました" if edit else "投稿を承認しました"
        lines = [
            f"{name}の変更を承認しました。公開中のページにまもなく反映されます。"
            if edit
            else f"{name}を承認しました。まもなくサイトに公開されます。"
        ]
        edits = edits_text(json.loads(decision.edits)) if decision.edits else []
        if edits:
            lines += ["", "運営者が次の点を修正してから承認しました。", ""]
            lines += [f"・{line}" for line in edits]
    else:
        subject = "投稿の変更を差し戻しました" if edit else "投稿を差し戻しました"
        lines = [
            f"{name}の変更は承認されませんでした。公開中の内容はそのままです。"
            if edit
            else f"{name}は、このままでは掲載できないため差し戻しました。",
            "",
            "理由:",
            decision.reason,
            "",
            "マイページから内容を修正して、もう一度審査に送ることができます。",
        ]
    body = "\n".join(lines) + f"\n\nマイページ: {my_url}\n\n{site_name}\n"
    return f"【{site_name}】{subject}", body


@tracked
def send_post_decision(rt: Runtime, session: Session, decision_id: int) -> None:
    """Mail the poster one decision, once (the task's completion commits with the send)."""
    decision = session.get(Decision, decision_id)
    post = decided_post(session, decision) if decision is not None else None
    if decision is None or post is None:
        return
    if not rt.settings.smtp_host:
        log.info("no mail server configured; decision mail %s skipped", decision_id)
        return
    address = poster_address(rt, post.account)
    if address is None:
        return
    subject, body = mail_text(
        rt.settings.site_name, f"{rt.settings.public_url}/app/my", decision, post
    )
    try:
        mail.send(rt.settings, mail.build_message(rt.settings, address, subject, body))
    except (OSError, smtplib.SMTPException) as exc:
        # Only the type: SMTP errors can quote the recipient, and the task keeps the message.
        raise MailNotSent(type(exc).__name__) from None
