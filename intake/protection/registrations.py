"""Retention of registrations that never became accounts: refused ones, and abandoned ones
(never decided), are erased `[retention] refused_registration_days` after the refusal or,
for an abandoned one, after the registration.

Erased means the rows go: the account's persons (every sealed field and blind index), its
decisions (the reason may name people), and the account row itself with its sealed login
ID. SQLite runs with secure_delete, so freed pages are overwritten. Each registration
goes in its own transaction with one audit entry (`purge_personal_data`, the count of
persons). The worker's hourly retention job and `hiroba purge` both call `purge`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from ..accounts.models import ACCOUNT_WAITING, AccountStatus
from ..models import (
    Account,
    ChangeRequest,
    Decision,
    PasswordResetToken,
    Post,
    RecoveryCode,
    Upload,
    utcnow,
)
from ..runtime import Runtime
from ..store import transaction
from . import audit

MEMBER_KINDS = ("individual", "group")


@dataclass(frozen=True)
class PurgedRegistration:
    """One registration erased (or, in a dry run, due): its id, why, how many persons."""

    account_id: int
    status: str
    persons: int


def _due(cutoff: datetime) -> ColumnElement[bool]:
    """The condition of a registration due at cutoff: refused, or waiting, for too long."""
    return and_(
        Account.kind.in_(MEMBER_KINDS),
        or_(
            and_(Account.status == AccountStatus.REJECTED, Account.decided_at < cutoff),
            and_(Account.status.in_(ACCOUNT_WAITING), Account.created_at < cutoff),
        ),
    )


def due_registrations(session: Session, days: int, now: datetime | None = None) -> list[int]:
    """Return the ids of registrations refused, or left undecided, more than days ago."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    return list(session.scalars(select(Account.id).where(_due(cutoff)).order_by(Account.id)))


def _count(session: Session, model: type[Post] | type[Upload], account_id: int) -> int:
    return session.scalar(select(func.count()).where(model.account_id == account_id)) or 0


def purge_registration(
    session: Session, account_id: int, cutoff: datetime
) -> PurgedRegistration | None:
    """Erase one registration still due at cutoff, audited; None when it is no longer due
    (a moderator decided it meanwhile)."""
    account = session.scalars(
        select(Account).where(Account.id == account_id, _due(cutoff)).with_for_update()
    ).first()
    if account is None:
        return None
    status, persons = str(account.status), len(account.persons)
    for model in (PasswordResetToken, ChangeRequest, RecoveryCode):
        session.execute(delete(model).where(model.account_id == account_id))
    decided = and_(Decision.subject_kind == "account", Decision.subject_id == account_id)
    session.execute(delete(Decision).where(decided))
    account.persons.clear()  # delete-orphan: the rows are deleted, not blanked
    session.flush()
    if _count(session, Post, account_id) or _count(session, Upload, account_id):
        # Never so for a registration nobody approved; should one hold rows that point
        # at it, it stays as a row without anything personal, like a withdrawn account.
        account.login_enc = account.login_index = None
        account.public_name, account.profile = "", ""
        account.status = AccountStatus.ERASED
    else:
        session.delete(account)
    audit.record(
        session,
        None,
        "purge_personal_data",
        "account",
        account_id,
        count=persons,
        detail=f"retention: {status} registration erased",
    )
    return PurgedRegistration(account_id, status, persons)


def purge(
    rt: Runtime, dry_run: bool = False, now: datetime | None = None
) -> list[PurgedRegistration]:
    """Erase every due registration (or, with dry_run, only list them); return them."""
    moment = now or utcnow()
    days = rt.settings.deployment.refused_registration_days
    cutoff = moment - timedelta(days=days)
    with rt.sessions() as session:
        due = due_registrations(session, days, moment)
        if dry_run:
            accounts = [session.get(Account, account_id) for account_id in due]
            return [PurgedRegistration(a.id, str(a.status), len(a.persons)) for a in accounts if a]
    done = []
    for account_id in due:
        with transaction(rt.sessions) as session:
            purged = purge_registration(session, account_id, cutoff)
        if purged is not None:
            done.append(purged)
    return done
