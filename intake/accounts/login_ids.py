"""Which login IDs the public registration forms refuse, and how often they may say so.

The forms answer one message for an ID that is not available, whether another account
(a registrant's, a moderator's or ward staff's) holds it or it is reserved: reserved are
IDs that read like an operator's (admin, moderator, staff, 運営 as "unei", ...), so a
staff-like ID never tells anything either. Each client address may be told "not
available" `HIROBA_REGISTRATION_ID_REFUSALS_PER_HOUR` times an hour; past that, every
registration from it gets the same generic refusal, taken ID or free, so the form stops
being a way to list the IDs that exist. The counters live in Redis under a blind index
of the address; when Redis cannot count, registration is refused the generic way.
"""

from __future__ import annotations

import logging
import re

from redis.exceptions import RedisError

from .. import redis_keys
from ..errors import HirobaError
from ..runtime import Runtime

log = logging.getLogger(__name__)
WINDOW_SECONDS = 3600
# Compared with the ID lower-cased and without its separators: "Site.Admin" is "siteadmin".
RESERVED_PARTS = (
    "admin",
    "moderat",
    "staff",
    "operator",
    "official",
    "hiroba",
    "root",
    "system",
    "support",
    "security",
    "webmaster",
    "postmaster",
    "sysop",
    "unei",
    "kanri",
    "kuyakusho",
)
_SEPARATORS = re.compile(r"[._\-]")


class RegistrationPaused(HirobaError):
    """This client address was told too often that an ID is not available; wait and retry."""


def is_reserved(login: str) -> bool:
    """Return True when a login ID reads like an operator's and registrants may not take it."""
    plain = _SEPARATORS.sub("", login.casefold())
    return any(part in plain for part in RESERVED_PARTS)


def _key(rt: Runtime, client: str) -> str:
    return redis_keys.registration_refusals(
        rt.settings.redis_prefix, rt.vault.blind_index(client, "client-address")
    )


def may_register(rt: Runtime, client: str) -> bool:
    """Return False when client has used up its "not available" answers (or Redis cannot say)."""
    try:
        count = rt.redis.get(_key(rt, client))
    except RedisError:
        log.warning("registration refused: its refusals cannot be counted (Redis unavailable)")
        return False
    return int(count or 0) < rt.settings.registration_id_refusals_per_hour


def count_refusal(rt: Runtime, client: str) -> bool:
    """Count one "not available" answer to client; False when it is over the hour's allowance."""
    key = _key(rt, client)
    try:
        count = int(rt.redis.incr(key))
        if count == 1:  # a fixed window from the first refusal
            rt.redis.expire(key, WINDOW_SECONDS)
    except RedisError:
        log.warning("registration refused: its refusals cannot be counted (Redis unavailable)")
        return False
    return count <= rt.settings.registration_id_refusals_per_hour
