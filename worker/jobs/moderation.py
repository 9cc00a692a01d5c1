"""Jobs of moderation: the poster's mails about a decision, a takedown, a stale item.

Each task carries only an id. The job checks the post is still in the state the mail is
about, reads the poster's address itself (a group's contact person first) and sends: a
decision (approved, approved with the moderator's edits listed, or rejected with the
reason), a takedown with its reason, or a request to update or withdraw a stale item by a
deadline. With no mail server configured (HIROBA_SMTP_HOST empty) the mail is skipped;
/app/my shows the same. And the moderators' digest of waiting work (counts only), one
mail per moderator in their language (intake/moderation/digest.py decides when).
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from intake.accounts.models import AccountStatus
from intake.formatting import dates
from intake.mail import translations
from intake.models import Account, Decision, Post
from intake.moderation import mail as words
from intake.moderation.mail import digest_text
from intake.moderation.waiting import count_waiting
from intake.posts.models import PostStatus
from intake.runtime import Runtime

from ..mail import send_text
from ..mail.posters import (
    decided_post,
    decision_text,
    my_url,
    post_name,
    poster_address,
    send_notice,
)
from ..tasks import tracked

log = logging.getLogger(__name__)


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
    lang = post.account.language
    my_page = my_url(rt.settings.public_url, lang)
    subject, body = decision_text(rt.settings.site_name, my_page, decision, post, lang)
    send_text(rt.settings, address, subject, body)


@tracked
def send_takedown_notice(rt: Runtime, session: Session, post_id: int) -> None:
    """Tell the poster that a moderator took their item off the site, and why."""
    post = session.get(Post, post_id)
    if post is None or post.status != PostStatus.TAKEN_DOWN:
        return
    lang = post.account.language
    values = {"name": post_name(post, lang), "reason": post.takedown_reason}
    body = translations(lang).gettext(words.TAKEDOWN_BODY) % values
    send_notice(rt, post, words.TAKEDOWN_SUBJECT, body)


@tracked
def send_stale_request(rt: Runtime, session: Session, post_id: int) -> None:
    """Ask the poster to update or withdraw an item by the deadline."""
    post = session.get(Post, post_id)
    if post is None or post.status != PostStatus.APPROVED or post.stale_deadline is None:
        return
    lang = post.account.language
    deadline = dates.format_datetime(dates.japan_time(post.stale_deadline), lang)
    values = {"name": post_name(post, lang), "reason": post.stale_reason, "deadline": deadline}
    body = translations(lang).gettext(words.STALE_BODY) % values
    send_notice(rt, post, words.STALE_SUBJECT, body)


@tracked
def send_moderator_digest(rt: Runtime, session: Session, account_id: int) -> None:
    """Mail one moderator the counts of waiting work, once; skipped when nothing waits any
    more, the moderator was disabled or has no address, or no mail server is configured."""
    account = session.get(Account, account_id)
    if account is None or account.kind != "moderator" or account.status != AccountStatus.ACTIVE:
        return
    work = count_waiting(session)
    if work.total == 0:
        return  # all done before the mail went out
    if not rt.settings.smtp_host:
        log.info("no mail server configured; moderator digest for account %s skipped", account_id)
        return
    address = poster_address(rt, account)
    if address is None:
        return
    subject, body = digest_text(
        rt.settings.site_name,
        rt.settings.public_url,
        work,
        account.language,
        rt.settings.deployment.digest_minutes,
    )
    send_text(rt.settings, address, subject, body)
