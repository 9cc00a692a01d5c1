"""The moderation queue: approve or reject accounts and posts; the state of the live site."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import jobs, outbox
from ..accounts.models import ACCOUNT_WAITING, AccountStatus
from ..accounts.services import PersonData, open_person
from ..errors import InvalidTransition, NotFound
from ..models import Account, Build, Decision, Post, SiteState, Task, TaskState, utcnow
from ..posts.models import POST_WAITING
from ..protection import audit
from ..runtime import Runtime
from ..site.models import BuildStatus
from ..store import transaction
from .models import DecisionAction
from .records import record_decision


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
            session.scalars(
                select(Account).where(Account.status.in_(ACCOUNT_WAITING)).order_by(Account.id)
            )
        )
        posts = list(
            session.scalars(select(Post).where(Post.status.in_(POST_WAITING)).order_by(Post.id))
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


Subject = TypeVar("Subject", Account, Post)


def _decide(
    session: Session,
    model: type[Subject],
    subject_id: int,
    moderator_id: int,
    approve: bool,
    reason: str,
) -> tuple[Subject, Decision]:
    """Lock a waiting subject, set its outcome and record the decision; return both."""
    subject = session.get(model, subject_id, with_for_update=True)
    kind = "account" if model is Account else "post"
    if subject is None:
        raise NotFound(f"{kind} {subject_id}")
    waiting = ACCOUNT_WAITING if model is Account else POST_WAITING
    if subject.status not in waiting:
        raise InvalidTransition(f"{kind} {subject_id} is {subject.status}")
    subject.reject_reason = "" if approve else reason
    decision = record_decision(
        session,
        moderator_id,
        kind,
        subject_id,
        DecisionAction.APPROVE if approve else DecisionAction.REJECT,
        reason,
    )
    session.flush()
    return subject, decision


def decide_account(
    rt: Runtime, moderator_id: int, account_id: int, approve: bool, reason: str = ""
) -> None:
    """Activate or reject a waiting registration, recording and auditing the decision; the
    worker mails the registrant the outcome (with the sign-in link, or the reason)."""
    with transaction(rt.sessions) as session:
        account, decision = _decide(session, Account, account_id, moderator_id, approve, reason)
        account.status = AccountStatus.ACTIVE if approve else AccountStatus.REJECTED
        account.decided_at = utcnow()
        action = DecisionAction.APPROVE if approve else DecisionAction.REJECT
        audit.record(session, moderator_id, "decide_account", "account", account_id, 0, action)
        task = outbox.add_task(session, jobs.SEND_ACCOUNT_DECISION, decision.id)
    outbox.enqueue_tasks(rt.queue, [task])


def site_view(rt: Runtime) -> SiteView:
    """Return the publishing state: revisions, last build and last failure."""
    with rt.sessions() as session:
        state = session.get(SiteState, 1) or SiteState(requested_rev=0, built_rev=0)
        last = session.scalars(select(Build).order_by(Build.id.desc()).limit(1)).first()
        failure = session.scalars(
            select(Build)
            .where(Build.status == BuildStatus.FAILED)
            .order_by(Build.id.desc())
            .limit(1)
        ).first()
        failed = session.scalar(select(Task.id).where(Task.state == TaskState.FAILED).limit(1))
        return SiteView(
            requested_rev=state.requested_rev,
            built_rev=state.built_rev,
            last_build=last,
            last_failure=failure,
            failed_tasks=1 if failed else 0,
        )
