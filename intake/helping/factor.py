"""Resetting a staff member's second factor, four-eyes (二名による確認).

One moderator asks for the reset of a moderator's or ward staff member's factor; a second,
different moderator confirms it. Nobody resets their own factor, and the one who asked
cannot confirm. On confirmation the TOTP secret and every recovery code are deleted and
the account's sessions end; at the next sign-in, after the password, the staff member
enrols a new factor (new secret and new recovery codes, shown once) and proves it with a
code (intake/helping/enrol_views.py). Both steps and the new enrolment are audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..accounts.models import AccountStatus
from ..accounts.sessions import revoke_sessions
from ..errors import InvalidTransition, NotFound
from ..models import Account, RecoveryCode, utcnow
from ..office.records import FactorReset
from ..protection import audit
from ..runtime import Runtime
from ..store import transaction

STAFF_KINDS = ("moderator", "staff")


class OwnFactor(InvalidTransition):
    """A moderator asked to reset their own factor, or to confirm their own request."""


@dataclass(frozen=True)
class StaffRow:
    """One staff account on the moderators' page, with its reset in progress if any."""

    id: int
    kind: str
    public_name: str
    enrolled: bool
    reset_id: int | None
    requested_by: str
    requested_at: datetime | None
    awaiting_enrolment: bool


def _open_reset(session: Session, account_id: int) -> FactorReset | None:
    """Return the reset asked for and not yet confirmed, or confirmed and not yet enrolled."""
    return session.scalar(
        select(FactorReset)
        .where(FactorReset.account_id == account_id, FactorReset.enrolled_at.is_(None))
        .order_by(FactorReset.id.desc())
    )


def staff_accounts(rt: Runtime) -> list[StaffRow]:
    """Return the active moderators and staff with where their factor stands."""
    with rt.sessions() as session:
        accounts = session.scalars(
            select(Account)
            .where(Account.kind.in_(STAFF_KINDS), Account.status == AccountStatus.ACTIVE)
            .order_by(Account.id)
        )
        rows = []
        for account in accounts:
            reset = _open_reset(session, account.id)
            asker = session.get(Account, reset.requested_by) if reset is not None else None
            rows.append(
                StaffRow(
                    id=account.id,
                    kind=account.kind,
                    public_name=account.public_name,
                    enrolled=account.totp_secret_enc is not None,
                    reset_id=reset.id if reset is not None and reset.confirmed_at is None else None,
                    requested_by=asker.public_name if asker is not None else "",
                    requested_at=reset.requested_at if reset is not None else None,
                    awaiting_enrolment=reset is not None and reset.confirmed_at is not None,
                )
            )
        return rows


def _staff(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id, with_for_update=True)
    if account is None or account.kind not in STAFF_KINDS:
        raise NotFound(f"account {account_id}")
    if account.status != AccountStatus.ACTIVE:
        raise InvalidTransition(f"account {account_id} is {account.status}")
    return account


def request_reset(rt: Runtime, moderator_id: int, account_id: int, reason: str) -> int:
    """Ask for a reset of a staff member's factor (not one's own); return the request's id."""
    if moderator_id == account_id:
        raise OwnFactor("own factor")
    with transaction(rt.sessions) as session:
        _staff(session, account_id)
        if _open_reset(session, account_id) is not None:
            raise InvalidTransition(f"account {account_id} has a reset in progress")
        reset = FactorReset(account_id=account_id, requested_by=moderator_id)
        session.add(reset)
        session.flush()
        audit.record(
            session,
            moderator_id,
            "factor_reset_requested",
            "account",
            account_id,
            detail=reason[:500],
        )
        return reset.id


def confirm_reset(rt: Runtime, moderator_id: int, reset_id: int) -> None:
    """Confirm another moderator's request: delete the factor and end the staff's sessions."""
    with transaction(rt.sessions) as session:
        reset = session.get(FactorReset, reset_id, with_for_update=True)
        if reset is None:
            raise NotFound(f"factor reset {reset_id}")
        if moderator_id in (reset.requested_by, reset.account_id):
            raise OwnFactor("four eyes")
        if reset.confirmed_at is not None:
            raise InvalidTransition(f"factor reset {reset_id} is confirmed")
        account = _staff(session, reset.account_id)
        account.totp_secret_enc, account.totp_last_step = None, None
        session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account.id))
        reset.confirmed_by, reset.confirmed_at = moderator_id, utcnow()
        audit.record(
            session,
            moderator_id,
            "factor_reset_confirmed",
            "account",
            account.id,
            detail=f"requested by account {reset.requested_by}",
        )
        account_id = account.id
    revoke_sessions(rt.redis, rt.settings.redis_prefix, account_id)


def awaiting_enrolment(rt: Runtime, account_id: int) -> bool:
    """Tell whether a confirmed reset waits for the staff member's new enrolment."""
    with rt.sessions() as session:
        reset = _open_reset(session, account_id)
        return reset is not None and reset.confirmed_at is not None


def enrolled(rt: Runtime, account_id: int) -> None:
    """Close the reset once the staff member proved their new factor with a code."""
    with transaction(rt.sessions) as session:
        reset = _open_reset(session, account_id)
        if reset is None or reset.confirmed_at is None:
            return
        reset.enrolled_at = utcnow()
        audit.record(session, account_id, "factor_enrolled", "account", account_id)
