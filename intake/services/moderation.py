"""The moderation queue: approve or reject accounts and posts; the state of the live site."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from .. import outbox
from ..errors import InvalidTransition, NotFound
from ..models import Account, Build, Decision, Post, SiteState, Task, utcnow
from ..runtime import Runtime
from ..store import transaction
from . import audit
from .accounts import PersonData, open_person

WAITING = ("received", "pending")


@dataclass
class QueueView:
    """What the moderation page lists."""

    accounts: list[Account]
    posts: list[Post]


@dataclass
class SiteView:
    """The state of publishing shown to moderators."""

    requested_rev: int
    built_rev: int
    last_build: Build | None
    last_failure: Build | None
    failed_tasks: int


def waiting_items(rt: Runtime) -> QueueView:
    """Return accounts and posts awaiting a decision, oldest first."""
    with rt.sessions() as session:
        accounts = list(
            session.scalars(select(Account).where(Account.status.in_(WAITING)).order_by(Account.id))
        )
        posts = list(
            session.scalars(select(Post).where(Post.status.in_(WAITING)).order_by(Post.id))
        )
        for post in posts:
            _ = post.account.public_name
        return QueueView(accounts=accounts, posts=posts)


def account_for_review(
    rt: Runtime, moderator_id: int, account_id: int
) -> tuple[Account, list[tuple[str, PersonData]]]:
    """Return an account and its persons' data for a moderator, and audit the read."""
    with transaction(rt.sessions) as session:
        account = session.get(Account, account_id)
        if account is None or account.kind not in ("individual", "group"):
            raise NotFound(f"account {account_id}")
        persons = [(p.role, open_person(rt.vault, p)) for p in account.persons]
        audit.record(
            session,
            moderator_id,
            "view_personal_data",
            "account",
            account_id,
            count=len(persons),
            detail="moderation review",
        )
        return account, persons


def decide_account(
    rt: Runtime, moderator_id: int, account_id: int, approve: bool, reason: str = ""
) -> None:
    """Activate or reject a waiting registration, recording the decision."""
    with transaction(rt.sessions) as session:
        account = session.get(Account, account_id, with_for_update=True)
        if account is None:
            raise NotFound(f"account {account_id}")
        if account.status not in WAITING:
            raise InvalidTransition(f"account {account_id} is {account.status}")
        account.status = "active" if approve else "rejected"
        account.reject_reason = "" if approve else reason
        account.decided_at = utcnow()
        session.add(
            Decision(
                subject_kind="account",
                subject_id=account_id,
                moderator_id=moderator_id,
                action="approve" if approve else "reject",
                reason=reason,
            )
        )


def decide_post(
    rt: Runtime, moderator_id: int, post_id: int, approve: bool, reason: str = ""
) -> None:
    """Approve (and owe its publication) or reject a waiting post, recording the decision."""
    with transaction(rt.sessions) as session:
        post = session.get(Post, post_id, with_for_update=True)
        if post is None:
            raise NotFound(f"post {post_id}")
        if post.status not in WAITING:
            raise InvalidTransition(f"post {post_id} is {post.status}")
        post.status = "approved" if approve else "rejected"
        post.reject_reason = "" if approve else reason
        if approve:
            post.approved_at = utcnow()
        session.add(
            Decision(
                subject_kind="post",
                subject_id=post_id,
                moderator_id=moderator_id,
                action="approve" if approve else "reject",
                reason=reason,
            )
        )
        tasks = [outbox.add_task(session, outbox.PUBLISH_POST, post_id)] if approve else []
    outbox.enqueue_tasks(rt.queue, tasks)


def site_view(rt: Runtime) -> SiteView:
    """Return the publishing state: revisions, last build and last failure."""
    with rt.sessions() as session:
        state = session.get(SiteState, 1) or SiteState(requested_rev=0, built_rev=0)
        last = session.scalars(select(Build).order_by(Build.id.desc()).limit(1)).first()
        failure = session.scalars(
            select(Build).where(Build.status == "failed").order_by(Build.id.desc()).limit(1)
        ).first()
        failed = session.scalar(select(Task.id).where(Task.state == "failed").limit(1))
        return SiteView(
            requested_rev=state.requested_rev,
            built_rev=state.built_rev,
            last_build=last,
            last_failure=failure,
            failed_tasks=1 if failed else 0,
        )
