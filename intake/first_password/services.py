"""Setting the first password of an account marked `must_change_password`.

A paper registration's initial password was chosen by Hiroba and read by a moderator;
until the person replaces it, every intake page sends them here (views.py). The new
password follows the registration's rules (the form), is not the initial one, ends every
other session of the account, clears the mark and is audited.
"""

from __future__ import annotations

from ..accounts.models import AccountStatus
from ..accounts.passwords import hash_password, verify_password
from ..accounts.sessions import end_account_sessions
from ..errors import NotFound
from ..models import Account
from ..protection import audit
from ..runtime import Runtime
from ..store import transaction
from .errors import NothingToChange, SameAsInitial


def set_first_password(rt: Runtime, account_id: int, new: str) -> None:
    """Replace the account's initial password with new; clear the mark; audit it."""
    with transaction(rt.sessions) as session:
        account = session.get(Account, account_id, with_for_update=True)
        if account is None or account.status != AccountStatus.ACTIVE:
            raise NotFound(f"account {account_id}")
        if not account.must_change_password:
            raise NothingToChange(f"account {account_id}")
        if verify_password(account.password_hash, new):
            raise SameAsInitial(f"account {account_id}")
        account.password_hash = hash_password(new)
        account.must_change_password = False
        audit.record(
            session, account.id, "initial_password_changed", "account", account.id, count=0
        )
    end_account_sessions(rt.redis, rt.settings.redis_prefix, account_id)
