"""Helping people: re-enable an account, correct a live post, restore a taken-down post.

Each is one commit with its audit entry and the tasks it owes (publishing, the mail that
tells the account's holder or the poster); the worker does both (worker/jobs/helping.py).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from .. import jobs, outbox
from ..accounts.models import AccountStatus
from ..errors import InvalidTransition, NotFound
from ..models import Account, Post, utcnow
from ..moderation.models import DecisionAction
from ..moderation.records import record_decision
from ..posts import fields as post_fields
from ..posts.models import POST_LIVE, PostStatus
from ..posts.services import PostData, lock_post
from ..protection import audit
from ..runtime import Runtime
from ..site.stale import DATED_KINDS, last_end, now_jst
from ..store import transaction

REENABLEABLE = frozenset({"individual", "group"})


class NothingChanged(ValueError):
    """A correction that changes no field."""


class PastPost(InvalidTransition):
    """A taken-down post whose dates are past the archive limit: it is not put back."""


def _locked_account(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id, with_for_update=True)
    if account is None or account.kind not in REENABLEABLE:
        raise NotFound(f"account {account_id}")
    return account


def reenable_account(rt: Runtime, moderator_id: int, account_id: int, reason: str) -> None:
    """Let a disabled account sign in again; audit it and owe its holder a mail."""
    with transaction(rt.sessions) as session:
        account = _locked_account(session, account_id)
        if account.status != AccountStatus.DISABLED:
            raise InvalidTransition(f"account {account_id} is {account.status}")
        account.status = AccountStatus.ACTIVE
        account.decided_at = utcnow()
        audit.record(
            session, moderator_id, "account_reenabled", "account", account_id, detail=reason[:500]
        )
        tasks = [outbox.add_task(session, jobs.SEND_ACCOUNT_REENABLED, account_id)]
        if account.profile_public:  # an active group's public profile comes back
            tasks.append(outbox.add_task(session, jobs.PUBLISH_PROFILES, account_id))
    outbox.enqueue_tasks(rt.queue, tasks)


def correct_post(
    rt: Runtime, moderator_id: int, post_id: int, edited: PostData, reason: str
) -> int:
    """Change a live post's public fields now; return the decision keeping old beside new.

    The post keeps its kind (its page's address). It is republished by the normal publish
    job and the poster is mailed the list of what changed and why.
    """
    with transaction(rt.sessions) as session:
        post = lock_post(session, post_id, POST_LIVE)
        live = post_fields.from_post(post)
        final = post_fields.from_data(edited) | {"kind": post.kind}
        edits = post_fields.changed(live, final)
        if not edits:
            raise NothingChanged(f"post {post_id}")
        post_fields.apply(post, final)
        post.updated_at = utcnow()
        decision = record_decision(
            session, moderator_id, "post", post_id, DecisionAction.CORRECT, reason, edits
        )
        session.flush()
        audit.record(
            session,
            moderator_id,
            "correct_post",
            "post",
            post_id,
            detail=f"corrected: {', '.join(edits)}",  # field names only
        )
        publish = outbox.add_task(session, jobs.PUBLISH_POST, post_id)
        notice = outbox.add_task(session, jobs.SEND_POST_CORRECTED, decision.id)
        decision_id = decision.id
    outbox.enqueue_tasks(rt.queue, [publish, notice])
    return decision_id


def is_past(rt: Runtime, post: Post) -> bool:
    """Tell whether a dated post is over for longer than the archive keeps live items."""
    if post.kind not in DATED_KINDS:
        return False
    end = last_end(post)
    cutoff = now_jst() - timedelta(days=rt.settings.deployment.archive_after_days)
    return end is not None and end < cutoff


def restore_post(rt: Runtime, moderator_id: int, post_id: int, reason: str) -> None:
    """Put a taken-down post back on the site (APPROVED), audited; the poster is told.

    A dated post already past the archive limit is refused (PastPost): the nightly job
    would archive it at once, so it stays off the site and the moderator is told why.
    """
    with transaction(rt.sessions) as session:
        post = lock_post(session, post_id, (PostStatus.TAKEN_DOWN,))
        if is_past(rt, post):
            raise PastPost(f"post {post_id} is past")
        post.status = PostStatus.APPROVED
        post.taken_down_at, post.takedown_reason = None, ""
        post.updated_at = utcnow()
        record_decision(session, moderator_id, "post", post_id, DecisionAction.RESTORE, reason)
        audit.record(session, moderator_id, "restore_post", "post", post_id, detail=reason[:500])
        publish = outbox.add_task(session, jobs.PUBLISH_POST, post_id)
        notice = outbox.add_task(session, jobs.SEND_POST_RESTORED, post_id)
    outbox.enqueue_tasks(rt.queue, [publish], at_front=True)
    outbox.enqueue_tasks(rt.queue, [notice])
