"""Jobs of helping people: tell an account's holder it was switched on again, and a poster
that a moderator corrected their live post (what changed) or put it back on the site.

Each task carries only an id; the job checks the state the mail is about still holds,
reads the address itself (a group's contact person first) and writes in the language the
account registered in. With no mail server configured the mail is skipped.
"""

from __future__ import annotations

import json
import logging

from sqlalchemy.orm import Session

from intake.accounts.models import AccountStatus
from intake.helping import mail as texts
from intake.models import Account, Decision, Post
from intake.moderation.models import DecisionAction
from intake.posts.models import PostStatus
from intake.runtime import Runtime

from ..mail import send_text
from ..mail.posters import poster_address
from ..tasks import tracked

log = logging.getLogger(__name__)


def _send(rt: Runtime, account: Account, subject: str, body: str) -> None:
    if not rt.settings.smtp_host:
        log.info("no mail server configured; notice to account %s skipped", account.id)
        return
    address = poster_address(rt, account)
    if address is None:
        return  # registered on paper without an address
    send_text(rt.settings, address, subject, body)


@tracked
def send_account_reenabled(rt: Runtime, session: Session, account_id: int) -> None:
    """Tell an account's holder they may sign in again (unless stopped again meanwhile)."""
    account = session.get(Account, account_id)
    if account is None or account.status != AccountStatus.ACTIVE:
        return
    s = rt.settings
    subject, body = texts.reenabled_text(
        s.site_name, s.public_url, account.public_name, account.language
    )
    _send(rt, account, subject, body)


@tracked
def send_post_corrected(rt: Runtime, session: Session, decision_id: int) -> None:
    """Mail the poster the list of what a moderator changed in their live post."""
    decision = session.get(Decision, decision_id)
    if decision is None or decision.action != DecisionAction.CORRECT:
        return
    post = session.get(Post, decision.subject_id)
    if post is None:
        return
    s = rt.settings
    subject, body = texts.corrected_text(
        s.site_name,
        s.public_url,
        post.id,
        post.title,
        json.loads(decision.edits or "{}"),
        decision.reason,
        post.account.language,
    )
    _send(rt, post.account, subject, body)


@tracked
def send_post_restored(rt: Runtime, session: Session, post_id: int) -> None:
    """Tell the poster their taken-down post is on the site again."""
    post = session.get(Post, post_id)
    if post is None or post.status != PostStatus.APPROVED:
        return
    s = rt.settings
    subject, body = texts.restored_text(
        s.site_name, s.public_url, post.id, post.title, post.account.language
    )
    _send(rt, post.account, subject, body)
