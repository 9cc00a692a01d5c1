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
from intake.helping.mail import change_lines
from intake.mail import translations
from intake.models import Account, Decision, Post, PostRevision
from intake.moderation import mail as words
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
    """Mail the poster a notice about their post (skipped without a mail server or address).

    subject and body are message ids of intake/moderation/mail.py, body already filled in
    the poster's language; the footer links to their page in it.
    """
    if not rt.settings.smtp_host:
        log.info("no mail server configured; poster notice for post %s skipped", post.id)
        return
    address = poster_address(rt, post.account)
    if address is None:
        return
    site, lang = rt.settings.site_name, post.account.language
    text = translations(lang).gettext
    my_page = text(words.MY_PAGE) % {"link": my_url(rt.settings.public_url, lang)}
    subject = text(words.POSTER_SUBJECT) % {"site": site, "subject": text(subject)}
    send_text(rt.settings, address, subject, f"{body}\n\n{my_page}\n\n{site}\n")


def my_url(public_url: str, lang: str) -> str:
    """Return the poster's own page, in their language."""
    return f"{public_url}/app/my" + ("" if lang == "ja" else f"?lang={lang}")


def post_name(post: Post, lang: str) -> str:
    """Return 「title」（投稿番号 12）, or "title" (post 12), as the mails name a post."""
    return translations(lang).gettext(words.POST_NAME) % {"title": post.title, "id": post.id}


def decided_post(session: Session, decision: Decision) -> Post | None:
    """Return the post a decision is about (through its revision for an edit)."""
    if decision.subject_kind == "revision":
        revision = session.get(PostRevision, decision.subject_id)
        return session.get(Post, revision.post_id) if revision is not None else None
    return session.get(Post, decision.subject_id) if decision.subject_kind == "post" else None


def decision_text(
    site_name: str, my_page: str, decision: Decision, post: Post, lang: str = "ja"
) -> tuple[str, str]:
    """Return the subject and body telling a poster what was decided, and why or what changed."""
    text = translations(lang).gettext
    edit = decision.subject_kind == "revision"
    values = {"name": post_name(post, lang)}
    if decision.action == DecisionAction.APPROVE:
        subject = words.APPROVED_EDIT_SUBJECT if edit else words.APPROVED_SUBJECT
        lines = [text(words.APPROVED_EDIT_LINE if edit else words.APPROVED_LINE) % values]
        edits = json.loads(decision.edits) if decision.edits else {}
        if edits:
            lines += ["", text(words.APPROVED_WITH_EDITS), ""]
            if lang == "ja":
                lines += [f"・{line}" for line in edits_text(edits)]
            else:
                lines += change_lines(edits, lang)
    else:
        subject = words.REJECTED_EDIT_SUBJECT if edit else words.REJECTED_SUBJECT
        lines = [
            text(words.REJECTED_EDIT_LINE if edit else words.REJECTED_LINE) % values,
            "",
            text(words.REASON),
            decision.reason,
            "",
            text(words.RESUBMIT),
        ]
    my_line = text(words.MY_PAGE) % {"link": my_page}
    body = "\n".join(lines) + f"\n\n{my_line}\n\n{site_name}\n"
    return text(words.POSTER_SUBJECT) % {"site": site_name, "subject": text(subject)}, body
