"""Server-side sessions in Redis: one key per session, one index set per account.

The browser holds only a random session id. The data lives under `<prefix>:session:<id>`
with a TTL that is the idle timeout (capped by the absolute deadline), and every session
of a signed-in account is listed in `<prefix>:account-sessions:<account id>`, so signing
out or disabling the account deletes every copy of its sessions at once.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from redis import Redis
from redis.exceptions import RedisError

from .. import redis_keys
from ..config import Settings

log = logging.getLogger(__name__)
STAFF_ROLES = frozenset({"moderator", "staff"})


@dataclass(frozen=True)
class SessionPolicy:
    """Idle and absolute timeouts, in seconds."""

    idle_seconds: int
    staff_seconds: int
    member_seconds: int

    @classmethod
    def from_settings(cls, settings: Settings) -> SessionPolicy:
        return cls(
            idle_seconds=settings.session_idle_seconds,
            staff_seconds=settings.session_staff_seconds,
            member_seconds=settings.session_member_seconds,
        )

    def absolute_seconds(self, role: str) -> int:
        """Return how long a session of role may live at most, however active."""
        return self.staff_seconds if role in STAFF_ROLES else self.member_seconds


@dataclass
class StoredSession:
    """What Redis holds for one session id: the data and the absolute deadline (epoch s)."""

    data: dict[str, Any] = field(default_factory=dict)
    deadline: float | None = None
    touched: bool = False  # its idle timeout restarted as it was read (not stored)


def new_session_id() -> str:
    """Return a fresh, unguessable session id (256 bits)."""
    return secrets.token_urlsafe(32)


def _key(prefix: str, session_id: str) -> str:
    return redis_keys.session(prefix, session_id)


def _index(prefix: str, account_id: int) -> str:
    return redis_keys.account_sessions(prefix, account_id)


def load(
    redis: Redis,
    prefix: str,
    session_id: str,
    now: float | None = None,
    policy: SessionPolicy | None = None,
) -> StoredSession | None:
    """Return the session stored under session_id, or None when unknown, idle or too old.

    With policy, the idle timeout restarts in the same round trip (GETEX), never past the
    absolute deadline; the session comes back `touched`, so the request need not touch it.
    """
    if not session_id or len(session_id) > 100:
        return None
    key = _key(prefix, session_id)
    raw = redis.get(key) if policy is None else redis.getex(key, ex=policy.idle_seconds)
    if raw is None:
        return None
    try:
        record = json.loads(raw)
        stored = StoredSession(data=dict(record["data"]), deadline=record.get("deadline"))
    except (ValueError, KeyError, TypeError):
        redis.delete(key)
        return None
    now = now or time.time()
    if stored.deadline is not None and now >= stored.deadline:
        delete(redis, prefix, session_id, stored.data.get("account_id"))
        return None
    if policy is not None:
        if stored.deadline is not None and stored.deadline - now < policy.idle_seconds:
            touch(redis, prefix, session_id, stored, policy)  # the GETEX went past the deadline
        stored.touched = True
    return stored


def save(
    redis: Redis,
    prefix: str,
    session_id: str,
    stored: StoredSession,
    policy: SessionPolicy,
    now: float | None = None,
) -> None:
    """Write the session with the idle timeout as TTL, and list it under its account."""
    now = now or time.time()
    account_id = stored.data.get("account_id")
    if account_id is not None and stored.deadline is None:
        stored.deadline = now + policy.absolute_seconds(str(stored.data.get("role", "")))
    ttl = policy.idle_seconds
    if stored.deadline is not None:
        ttl = max(1, min(ttl, int(stored.deadline - now)))
    payload = json.dumps({"data": stored.data, "deadline": stored.deadline})
    pipe = redis.pipeline()
    pipe.set(_key(prefix, session_id), payload, ex=ttl)
    if account_id is not None:
        pipe.sadd(_index(prefix, int(account_id)), session_id)
        pipe.expire(
            _index(prefix, int(account_id)), max(policy.staff_seconds, policy.member_seconds)
        )
    pipe.execute()


def touch(
    redis: Redis, prefix: str, session_id: str, stored: StoredSession, policy: SessionPolicy
) -> None:
    """Restart the idle timeout of an unchanged session (never past its absolute deadline)."""
    ttl = policy.idle_seconds
    if stored.deadline is not None:
        ttl = max(1, min(ttl, int(stored.deadline - time.time())))
    redis.expire(_key(prefix, session_id), ttl)


def delete(redis: Redis, prefix: str, session_id: str, account_id: Any = None) -> None:
    """Delete one session (signing out, rotation)."""
    pipe = redis.pipeline()
    pipe.delete(_key(prefix, session_id))
    if account_id is not None:
        pipe.srem(_index(prefix, int(account_id)), session_id)
    pipe.execute()


def revoke_sessions(redis: Redis, prefix: str, account_id: int) -> int:
    """Delete every session of the account at once; return how many were live."""
    index = _index(prefix, account_id)
    session_ids = [
        sid.decode() if isinstance(sid, bytes) else str(sid) for sid in redis.smembers(index)
    ]
    pipe = redis.pipeline()
    for session_id in session_ids:
        pipe.delete(_key(prefix, session_id))
    pipe.delete(index)
    results = pipe.execute()
    return sum(int(n) for n in results[: len(session_ids)])


def end_account_sessions(redis: Redis, prefix: str, account_id: int) -> None:
    """Revoke every session of the account after the commit that needs it; log a Redis outage."""
    try:
        revoke_sessions(redis, prefix, account_id)
    except RedisError as exc:
        log.warning("sessions of an account not revoked (%s)", type(exc).__name__)
