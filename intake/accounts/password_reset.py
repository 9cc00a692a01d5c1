"""Password reset by email: a random single-use token, kept only as a hash once mailed.

The token is sealed in its row only until the mail job has sent it (the job gets the
row id, never the token or the address); after that only its SHA-256 remains, which
is enough to recognise it and useless to anyone who reads the database.

Mails are capped: at most `HIROBA_RESET_MAILS_PER_HOUR` an hour per account and per mail
address, however many requests and from however many client addresses. The counters
live in Redis under the account id and the address's blind index (never the address in
clear); over the cap, or when Redis cannot count, nothing is sent and the requester is
answered exactly as always.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

from redis.exceptions import RedisError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .. import jobs, outbox, redis_keys
from ..errors import HirobaError
from ..models import Account, PasswordResetToken, Person, Task, utcnow
from ..protection import audit
from ..runtime import Runtime
from ..store import transaction
from .models import AccountStatus
from .passwords import hash_password
from .services import login_index
from .sessions import end_account_sessions

log = logging.getLogger(__name__)
CONTEXT = "password_reset_tokens.token"
LIFETIME = timedelta(minutes=30)
SELF_SERVICE_KINDS = ("individual", "group")
# The person a reset asked for by login ID is mailed: a group's contact person first.
MAIL_ORDER = {"self": 0, "contact": 1, "representative": 2}
CAP_SECONDS = 3600


class InvalidToken(HirobaError):
    """The reset link is unknown, used or expired."""


def token_hash(token: str) -> str:
    """Return the stored form of a token (it carries 256 random bits, so SHA-256 suffices)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _recipients(rt: Runtime, session: Session, identifier: str) -> list[Person]:
    account = session.scalars(
        select(Account).where(Account.login_index == login_index(rt.vault, identifier))
    ).first()
    if account is not None:
        if account.status != AccountStatus.ACTIVE or account.kind not in SELF_SERVICE_KINDS:
            return []
        mailable = [p for p in account.persons if p.email_index]
        mailable.sort(key=lambda p: MAIL_ORDER.get(p.role, 9))
        return mailable[:1]
    if "@" not in identifier:
        return []
    return list(
        session.scalars(
            select(Person)
            .join(Account, Person.account_id == Account.id)
            .where(
                Person.email_index == rt.vault.blind_index(identifier, "email"),
                Account.status == AccountStatus.ACTIVE,
                Account.kind.in_(SELF_SERVICE_KINDS),
            )
            .order_by(Person.id)
            .limit(5)
        )
    )


def _within_cap(rt: Runtime, person: Person) -> bool:
    """Count one more mail to person's account and address; False when either is over the cap."""
    prefix = rt.settings.redis_prefix
    keys = [
        redis_keys.password_reset(prefix, "account", person.account_id),
        redis_keys.password_reset(prefix, "address", person.email_index),
    ]
    try:
        pipe = rt.redis.pipeline(transaction=True)
        for key in keys:
            pipe.incr(key)
        counts = [int(count) for count in pipe.execute()]
        for key, count in zip(keys, counts, strict=True):
            if count == 1:  # a fixed window from the first mail
                rt.redis.expire(key, CAP_SECONDS)
    except RedisError:
        log.warning("password reset not mailed: the cap cannot be counted (Redis unavailable)")
        return False
    return all(count <= rt.settings.reset_mails_per_hour for count in counts)


def request_reset(rt: Runtime, identifier: str) -> None:
    """Owe a reset mail to the account named by login ID or email, if there is one.

    The caller answers the same whether or not anything was found.
    """
    identifier = identifier.strip()
    if not identifier:
        return
    tasks: list[Task] = []
    with transaction(rt.sessions) as session:
        for person in _recipients(rt, session, identifier):
            if not _within_cap(rt, person):
                continue
            token = secrets.token_urlsafe(32)
            row = PasswordResetToken(
                account_id=person.account_id,
                person_id=person.id,
                token_hash=token_hash(token),
                token_enc=rt.vault.seal(token, CONTEXT),
                expires_at=utcnow() + LIFETIME,
            )
            session.add(row)
            session.flush()
            tasks.append(outbox.add_task(session, jobs.SEND_PASSWORD_RESET, row.id))
    outbox.enqueue_tasks(rt.queue, tasks)


def _usable(row: PasswordResetToken | None) -> bool:
    return row is not None and row.used_at is None and row.expires_at > utcnow()


def token_is_valid(rt: Runtime, token: str) -> bool:
    """Return True when token is a known, unused, unexpired reset token."""
    with rt.sessions() as session:
        row = session.scalars(
            select(PasswordResetToken).where(PasswordResetToken.token_hash == token_hash(token))
        ).first()
        return _usable(row)


def reset_password(rt: Runtime, token: str, new_password: str) -> int:
    """Set a new password with a valid token, use up every token of the account; return its id."""
    with transaction(rt.sessions) as session:
        row = session.scalars(
            select(PasswordResetToken)
            .where(PasswordResetToken.token_hash == token_hash(token))
            .with_for_update()
        ).first()
        if row is None or not _usable(row):
            raise InvalidToken("reset token")
        account = session.get(Account, row.account_id)
        if account is None or account.status != AccountStatus.ACTIVE:
            raise InvalidToken("reset token")
        account.password_hash = hash_password(new_password)
        account.must_change_password = False  # the person chose this one
        session.execute(
            update(PasswordResetToken)
            .where(
                PasswordResetToken.account_id == account.id,
                PasswordResetToken.used_at.is_(None),
            )
            .values(used_at=utcnow(), token_enc=None)
        )
        audit.record(session, account.id, "password_reset", "account", account.id, count=0)
        account_id = account.id
    end_account_sessions(rt.redis, rt.settings.redis_prefix, account_id)
    return account_id
