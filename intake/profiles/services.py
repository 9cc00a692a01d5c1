"""A group's public profile (公開プロフィール): what the group chose to publish about itself.

Only groups have one. The switch to publish it and the 分野/地域 keys apply at once: they
are the group's own choice from fixed lists, and the text given at registration was
already reviewed with the account. Free text that would change on the site (活動内容,
website, public contact) waits in ``profile_pending`` until a moderator approves it,
while the approved version stays live. Every change that the public site shows owes a
``publish_profiles`` task, committed with the change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import select

from .. import jobs, outbox
from ..accounts.models import AccountStatus
from ..errors import HirobaError, InvalidTransition, NotFound
from ..models import Account, Decision, Task, utcnow
from ..moderation.models import DecisionAction
from ..moderation.records import record_decision
from ..protection import audit
from ..runtime import Runtime
from ..store import transaction
from ..taxonomy import AREAS, TOPICS

# The fields reviewed before they go live, and their labels for the moderator.
REVIEWED = {"profile": "活動内容", "website": "ウェブサイト", "public_contact": "公開する連絡先"}
SUBJECT = "profile"  # Decision.subject_kind of a profile edit


class NoProfileChanges(HirobaError):
    """The submitted profile is the same as the published one and nothing is pending."""


@dataclass
class ProfileEdit:
    """What a group submits on its profile form."""

    publish: bool
    profile: str
    website: str
    public_contact: str
    topics: list[str] = field(default_factory=list)
    areas: list[str] = field(default_factory=list)


@dataclass
class ProfileState:
    """A group's profile as its own page shows it: live values, the pending edit, last word."""

    account: Account
    pending: dict[str, str]
    last_decision: Decision | None


@dataclass
class PendingProfile:
    """One pending edit in the moderators' list (no personal data: public names only)."""

    account_id: int
    public_name: str
    submitted_at: str
    fields: list[str]


@dataclass
class ProfileReview:
    """A pending edit as a moderator reviews it: each changed field, live beside proposed."""

    account: Account
    rows: list[tuple[str, str, str]]
    submitted_at: str


def _keys(values: list[str], known: dict[str, str]) -> str:
    return ",".join(key for key in known if key in set(values))


def pending_of(account: Account) -> dict[str, str]:
    """Return the account's edit under review as {field: proposed value} (empty when none)."""
    try:
        data = json.loads(account.profile_pending or "{}")
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {key: str(data[key]) for key in REVIEWED if key in data}


def _group(session, account_id: int, lock: bool = False) -> Account:  # type: ignore[no-untyped-def]
    account = session.get(Account, account_id, with_for_update=lock)
    if account is None or account.kind != "group":
        raise NotFound(f"group {account_id}")
    return account


def own_profile(rt: Runtime, account_id: int) -> ProfileState:
    """Return a group's profile, its pending edit and the last decision on an edit."""
    with rt.sessions() as session:
        account = _group(session, account_id)
        last = session.scalars(
            select(Decision)
            .where(Decision.subject_kind == SUBJECT, Decision.subject_id == account_id)
            .order_by(Decision.id.desc())
            .limit(1)
        ).first()
        return ProfileState(account, pending_of(account), last)


def update_profile(rt: Runtime, account_id: int, edit: ProfileEdit) -> bool:
    """Apply the switch and the lists now, hold changed free text for review.

    Returns whether an edit now waits for a moderator. Raises NoProfileChanges when the
    form changes nothing (the same values, and no pending edit to withdraw).
    """
    tasks: list[Task] = []
    with transaction(rt.sessions) as session:
        account = _group(session, account_id, lock=True)
        if account.status != AccountStatus.ACTIVE:
            raise InvalidTransition(f"account {account_id} is {account.status}")
        shown = (account.profile_public, account.topics, account.areas)
        account.profile_public = edit.publish
        account.topics = _keys(edit.topics, TOPICS)
        account.areas = _keys(edit.areas, AREAS)
        proposed = {name: getattr(edit, name).strip() for name in REVIEWED}
        changed = {k: v for k, v in proposed.items() if v != getattr(account, k)}
        had_pending = bool(pending_of(account))
        new_pending = json.dumps(
            dict(changed, submitted_at=utcnow().isoformat(timespec="seconds")) if changed else {},
            ensure_ascii=False,
        )
        listed_changed = shown != (account.profile_public, account.topics, account.areas)
        if not listed_changed and not changed and not had_pending:
            raise NoProfileChanges(str(account_id))
        account.profile_pending = new_pending if changed else ""
        if listed_changed:
            tasks.append(outbox.add_task(session, jobs.PUBLISH_PROFILES, account_id))
    outbox.enqueue_tasks(rt.queue, tasks)
    return bool(changed)


def pending_profiles(rt: Runtime) -> list[PendingProfile]:
    """Return every group with a profile edit awaiting review, oldest submission first."""
    with rt.sessions() as session:
        accounts = session.scalars(
            select(Account)
            .where(Account.kind == "group", Account.profile_pending != "")
            .order_by(Account.id)
        )
        found = []
        for account in accounts:
            pending = pending_of(account)
            if pending:
                stamp = str(json.loads(account.profile_pending).get("submitted_at", ""))
                found.append(PendingProfile(account.id, account.public_name, stamp, list(pending)))
        return sorted(found, key=lambda p: (p.submitted_at, p.account_id))


def review(rt: Runtime, account_id: int) -> ProfileReview:
    """Return a group's pending edit beside the live values (public data: not audited)."""
    with rt.sessions() as session:
        account = _group(session, account_id)
        pending = pending_of(account)
        rows = [(name, getattr(account, name), value) for name, value in pending.items()]
        stamp = str(json.loads(account.profile_pending).get("submitted_at", "")) if rows else ""
        return ProfileReview(account, rows, stamp)


def decide(
    rt: Runtime, moderator_id: int, account_id: int, approve: bool, reason: str = ""
) -> None:
    """Approve (apply and republish) or reject a pending profile edit, recorded and audited."""
    tasks: list[Task] = []
    with transaction(rt.sessions) as session:
        account = _group(session, account_id, lock=True)
        pending = pending_of(account)
        if not pending:
            raise InvalidTransition(f"group {account_id} has no pending profile edit")
        edits = {name: [getattr(account, name), value] for name, value in pending.items()}
        if approve:
            for name, value in pending.items():
                setattr(account, name, value)
            if account.profile_public:
                tasks.append(outbox.add_task(session, jobs.PUBLISH_PROFILES, account_id))
        account.profile_pending = ""
        action = DecisionAction.APPROVE if approve else DecisionAction.REJECT
        record_decision(session, moderator_id, SUBJECT, account_id, action, reason, edits)
        audit.record(
            session,
            moderator_id,
            f"profile_{action}",
            "account",
            account_id,
            count=len(pending),
            detail=f"public profile edit; fields={','.join(pending)}",  # names, never values
        )
    outbox.enqueue_tasks(rt.queue, tasks)
