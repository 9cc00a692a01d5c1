"""Mails to a poster: a moderator's decision on their post or an edit of it, a takedown of
their live item, or a request to remove stale content.

A poster's mails go to a group's contact person first, like a password reset. With no
mail server configured (HIROBA_SMTP_HOST empty) a notice is skipped: the poster still sees
the same text on their page (/app/my). The jobs that send them: worker/jobs/moderation.py.
"""

from __future__ import annotations

import json
import logging

from sqlalchemy.orm import Session

from intake.accounts.password_reset import MAIL_ORDER
from intake.models import Account, Decision, Post, PostRevision
from intake.moderation.models import DecisionAction
from intake.posts.fields import edits_text
from intake.runtime import Runtime

from . import send_text

log = logging.getLogger(__name__)


def poster_address(rt: Runtime, account: Account) -> str | None:
    """Return the address a poster's notices go to, or None when none is registered."""
    mailable = sorted(
        (p for p in account.persons if p.email_enc), key=lambda p: MAIL_ORDER.get(p.role, 9)
    )
    if not mailable:
        return None
    return rt.vault.open(mailable[0].email_enc, "persons.email") or None


def send_notice(rt: Runtime, post: Post, subject: str, body: str) -> None:
    """Mail the poster a notice about their post (skipped without a mail server or address)."""
    if not rt.settings.smtp_host:
        log.info("no mail server configured; poster notice for post %s skipped", post.id)
        return
    address = poster_address(rt, post.account)
    if address is None:
        return
    site = rt.settings.site_name
    text = f"{body}\n\nマイページ: {rt.settings.public_url}/app/my\n\n{site}\n"
    send_text(rt.settings, address, f"【{site}】{subject}", text)


def decided_post(session: Session, decision: Decision) -> Post | None:
    """Return the post a decision is about (through its revision for an edit)."""
    if decision.subject_kind == "revision":
        revision = session.get(PostRevision, decision.subject_id)
        return session.get(Post, revision.post_id) if revision is not None else None
    return session.get(Post, decision.subject_id) if decision.subject_kind == "post" else None


def decision_text(site_name: str, my_url: str, decision: Decision, post: Post) -> tuple[str, str]:
    """Return the subject and body telling a poster what was decided, and why or what changed."""
    edit = decision.subject_kind == "revision"
    name = f"「{post.title}」（投稿番号 {post.id}）"
    if decision.action == DecisionAction.APPROVE:
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
