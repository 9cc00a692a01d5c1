"""Signing in: the password step, the second step, lockout per account and per address.

Failure counters live in Redis under blind indexes (never a login or an address in clear):
`HIROBA_SIGNIN_MAX_FAILURES` consecutive failures lock the login for
`HIROBA_SIGNIN_LOCKOUT_SECONDS`, whether or not the login exists (so a lock tells nothing),
and `HIROBA_SIGNIN_ADDRESS_MAX_FAILURES` failures from one address block that address for
the same time. Every failure is written to the audit log as `signin_failed`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

from redis.exceptions import RedisError
from sqlalchemy import select

from .. import jobs, outbox, redis_keys
from ..errors import HirobaError, InvalidTransition, NotFound
from ..models import Account, utcnow
from ..office.records import FactorReset
from ..protection import audit
from ..protection.access import AccessKind
from ..runtime import Runtime
from ..store import transaction
from . import second_factor
from .models import AccountStatus
from .services import NotApproved, authenticate, login_index
from .sessions import revoke_sessions

SECOND_FACTOR_ROLES = frozenset({"moderator", "staff"})


class SignInRefused(HirobaError):
    """The sign-in is refused: 'invalid', 'locked', 'address', 'no_factor', 'unavailable',
    or, after a right password, 'pending' or 'rejected' (with the moderator's reason)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class PasswordAccepted:
    """The password step passed: who, and whether a second step must follow."""

    account: Account
    needs_second_factor: bool
    enrol: bool = False  # a confirmed factor reset: a new factor is enrolled before the code


def _account_keys(rt: Runtime, index: str) -> tuple[str, str]:
    prefix = rt.settings.redis_prefix
    return redis_keys.signin(prefix, "failures", index), redis_keys.signin(prefix, "locked", index)


def _address_key(rt: Runtime, address: str) -> str:
    index = rt.vault.blind_index(address, "address")
    return redis_keys.signin(rt.settings.redis_prefix, "address", index)


def is_locked(rt: Runtime, index: str, address: str) -> str | None:
    """Return 'locked' or 'address' when sign-in is blocked right now, else None."""
    _failures, locked = _account_keys(rt, index)
    if rt.redis.exists(locked):
        return "locked"
    count = rt.redis.get(_address_key(rt, address))
    if count is not None and int(count) >= rt.settings.signin_address_max_failures:
        return "address"
    return None


def _record_failure(
    rt: Runtime, index: str, address: str, reason: str, account_id: int | None
) -> None:
    """Count the failure per login and per address, lock when over the limit, audit it."""
    settings = rt.settings
    failures, locked = _account_keys(rt, index)
    address_key = _address_key(rt, address)
    pipe = rt.redis.pipeline()
    pipe.incr(failures)
    pipe.expire(failures, settings.signin_lockout_seconds)
    pipe.incr(address_key)
    count, _, from_address = (int(n) for n in pipe.execute())
    if from_address == 1:  # a fixed window from the address's first failure
        rt.redis.expire(address_key, settings.signin_lockout_seconds)
    if count >= settings.signin_max_failures:
        pipe = rt.redis.pipeline()
        pipe.set(locked, "1", ex=settings.signin_lockout_seconds)
        pipe.delete(failures)
        pipe.execute()
    with transaction(rt.sessions) as session:
        audit.record(
            session,
            None,
            "signin_failed",
            "account" if account_id is not None else "",
            account_id,
            detail=f"login_index={index} reason={reason}",
        )


def _clear_failures(rt: Runtime, index: str) -> None:
    rt.redis.delete(_account_keys(rt, index)[0])


def check_password(rt: Runtime, login: str, password: str, address: str) -> PasswordAccepted:
    """Pass the password step or raise SignInRefused (locked logins are refused unchecked)."""
    try:
        return _check_password(rt, login, password, address)
    except RedisError:  # no lockout counters, no sessions: nobody signs in until Redis is back
        raise SignInRefused("unavailable") from None


def _check_password(rt: Runtime, login: str, password: str, address: str) -> PasswordAccepted:
    index = login_index(rt.vault, login)
    blocked = is_locked(rt, index, address)
    if blocked:
        _record_failure(rt, index, address, blocked, None)
        raise SignInRefused(blocked)
    try:
        account = authenticate(rt, login, password)
    except NotApproved as waiting:
        _not_approved(rt, index, waiting)
    if account is None:
        with rt.sessions() as session:
            known = session.scalar(select(Account.id).where(Account.login_index == index))
        _record_failure(rt, index, address, "password", known)
        raise SignInRefused("invalid")
    needs_factor = account.kind in SECOND_FACTOR_ROLES
    enrol = needs_factor and _awaits_enrolment(rt, account.id)
    if needs_factor and not enrol and not second_factor.is_enrolled(account):
        _record_failure(rt, index, address, "no_factor", account.id)
        raise SignInRefused("no_factor")
    _clear_failures(rt, index)
    return PasswordAccepted(account, needs_factor, enrol)


def _awaits_enrolment(rt: Runtime, account_id: int) -> bool:
    """Tell whether two moderators reset this staff account's factor (intake/helping/factor.py)."""
    with rt.sessions() as session:
        found = session.scalar(
            select(FactorReset.id).where(
                FactorReset.account_id == account_id,
                FactorReset.confirmed_at.is_not(None),
                FactorReset.enrolled_at.is_(None),
            )
        )
    return found is not None


def _not_approved(rt: Runtime, index: str, waiting: NotApproved) -> NoReturn:
    """Say how a registration stands to whoever gave its right password, audited.

    The password is proven, so this is no guess: the failure counters are cleared, not
    raised. A wrong password never gets here, so nobody learns whether a login exists.
    """
    _clear_failures(rt, index)
    with transaction(rt.sessions) as session:
        account_id = session.scalar(select(Account.id).where(Account.login_index == index))
        audit.record(
            session,
            None,
            "signin_failed",
            "account",
            account_id,
            detail=f"login_index={index} reason={waiting.status}",
        )
    if waiting.status == AccountStatus.REJECTED:
        raise SignInRefused("rejected", waiting.reason)
    raise SignInRefused("pending")


def check_second_factor(rt: Runtime, account_id: int, code: str, address: str) -> Account:
    """Pass the second step with a TOTP or recovery code, or raise SignInRefused."""
    try:
        return _check_second_factor(rt, account_id, code, address)
    except RedisError:
        raise SignInRefused("unavailable") from None


def _check_second_factor(rt: Runtime, account_id: int, code: str, address: str) -> Account:
    with rt.sessions() as session:
        account = session.get(Account, account_id)
        if account is None or account.status != AccountStatus.ACTIVE or account.login_index is None:
            raise SignInRefused("invalid")
        index = account.login_index
    blocked = is_locked(rt, index, address)
    if blocked:
        _record_failure(rt, index, address, blocked, account_id)
        raise SignInRefused(blocked)
    if not second_factor.verify(rt, account_id, code):
        _record_failure(rt, index, address, "second_factor", account_id)
        raise SignInRefused("invalid")
    _clear_failures(rt, index)
    return account


def disable_account(
    rt: Runtime,
    actor_id: int | None,
    account_id: int,
    reason: str = "",
    kinds: frozenset[str] | None = None,
) -> None:
    """Disable an active account and end every one of its sessions at once.

    kinds, when given, limits which kinds of account may be disabled (a moderator
    disables residents and groups, never another moderator). The reason is kept in
    the audit log only.
    """
    with transaction(rt.sessions) as session:
        account = session.get(Account, account_id)
        if account is None or (kinds is not None and account.kind not in kinds):
            raise NotFound(f"account {account_id}")
        if account.status != AccountStatus.ACTIVE:
            raise InvalidTransition(f"account {account_id} is {account.status}")
        account.status = AccountStatus.DISABLED
        account.decided_at = utcnow()
        audit.record(
            session, actor_id, "account_disabled", "account", account_id, detail=reason[:500]
        )
        # Only active groups' profiles are public: a disabled one's leaves the site.
        tasks = (
            [outbox.add_task(session, jobs.PUBLISH_PROFILES, account_id)]
            if account.profile_public
            else []
        )
    outbox.enqueue_tasks(rt.queue, tasks)
    revoke_sessions(rt.redis, rt.settings.redis_prefix, account_id)


def record_signin(rt: Runtime, account_id: int) -> None:
    """Write a successful sign-in to the audit log (with the request's client address)."""
    with transaction(rt.sessions) as session:
        audit.record(session, account_id, AccessKind.SIGNIN, "account", account_id, 0)


def record_signout(rt: Runtime, account_id: int) -> None:
    """Write a sign-out to the audit log."""
    with transaction(rt.sessions) as session:
        audit.record(session, account_id, AccessKind.SIGNOUT, "account", account_id, 0)


def account_by_login(rt: Runtime, login: str) -> int:
    """Return the id of the account signing in with login, or raise NotFound."""
    index = login_index(rt.vault, login)
    with rt.sessions() as session:
        found = session.scalar(select(Account.id).where(Account.login_index == index))
    if found is None:
        raise NotFound("login")
    return int(found)
