"""The words an account and a change request are stored with (the tables: intake/models.py)."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from ..validation import N_


class AccountStatus(StrEnum):
    """Where an account stands: `accounts.status`."""

    RECEIVED = "received"  # registered, not yet seen by the worker
    PENDING = "pending"  # waits for a moderator
    ACTIVE = "active"  # may sign in
    REJECTED = "rejected"
    DISABLED = "disabled"  # switched off by a moderator or an administrator
    WITHDRAWN = "withdrawn"  # its holder left (退会)
    ERASED = "erased"  # personal data erased at the end of the contract


# The word each account status is shown as (never the stored code).
ACCOUNT_STATUS_LABELS: dict[str, str] = {
    AccountStatus.RECEIVED: N_("受付済み"),
    AccountStatus.PENDING: N_("審査待ち"),
    AccountStatus.ACTIVE: N_("利用中"),
    AccountStatus.REJECTED: N_("却下"),
    AccountStatus.DISABLED: N_("利用停止"),
    AccountStatus.WITHDRAWN: N_("退会済み"),
    AccountStatus.ERASED: N_("個人情報削除済み"),
}

# The word each kind of account (`accounts.kind`) is shown as: a role, never the stored code.
ACCOUNT_KIND_LABELS: dict[str, str] = {
    "individual": N_("個人"),
    "group": N_("団体"),
    "moderator": N_("運営"),
    "staff": N_("区職員"),
}


def account_word(labels: dict[str, str], code: str, translate: Callable[[str], str] = str) -> str:
    """Return the word of an account's status or kind (through translate); "—" for a code
    this version does not know, never the code itself."""
    label = labels.get(code)
    return translate(label) if label is not None else "—"


# A registration a moderator has still to decide on.
ACCOUNT_WAITING = (AccountStatus.RECEIVED, AccountStatus.PENDING)


class ChangeRequestStatus(StrEnum):
    """A change to registered data (登録情報変更申請): `change_requests.status`."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class EntrySource(StrEnum):
    """How an application or a change request came in: `applications.source`,
    `change_requests.source` (web, or typed in by staff from a phone call or paper)."""

    WEB = "web"
    PHONE = "phone"
    PAPER = "paper"


# The ways staff can type something in, as their forms offer them.
BY_HAND = (EntrySource.PHONE, EntrySource.PAPER)
