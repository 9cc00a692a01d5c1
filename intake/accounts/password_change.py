"""A signed-in member changes their own password (a paper registrant's initial one, say)."""

from __future__ import annotations

from ..errors import HirobaError, NotFound
from ..models import Account
from ..protection import audit
from ..runtime import Runtime
from ..store import transaction
from .models import AccountStatus
from .passwords import hash_password, verify_password
from .sessions import end_account_sessions


class WrongCurrentPassword(HirobaError):
    """The current password given is not the account's."""


def change_password(rt: Runtime, account_id: int, current: str, new: str) -> None:
    """Set a new password after checking the current one; audited; every session ends."""
    with transaction(rt.sessions) as session:
        account = session.get(Account, account_id, with_for_update=True)
        if account is None or account.status != AccountStatus.ACTIVE:
            raise NotFound(f"account {account_id}")
        if not verify_password(account.password_hash, current):
            raise WrongCurrentPassword(f"account {account_id}")
        account.password_hash = hash_password(new)
        audit.record(session, account.id, "password_changed", "account", account.id, count=0)
    end_account_sessions(rt.redis, rt.settings.redis_prefix, account_id)
