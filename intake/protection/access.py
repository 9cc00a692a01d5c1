"""The access log's own kinds of audit entry, and the client address each entry carries.

The web app sets `CLIENT_ADDRESS` for every request (the address ProxyFix trusts, see
intake/web/hardening.py); `audit.record` seals it into the entry's `address_enc`, so an
incident can be traced to where a sign-in or an export came from. The CLI and the worker
leave it unset: their entries carry no address.
"""

from __future__ import annotations

from contextvars import ContextVar
from enum import StrEnum

from ..crypto import Vault

# The vault to seal with and the address of the request being served, or None.
CLIENT_ADDRESS: ContextVar[tuple[Vault, str] | None] = ContextVar(
    "hiroba_client_address", default=None
)
ADDRESS_CONTEXT = "audit_log.address"  # the sealed column's context (table.field)


class AccessKind(StrEnum):
    """Audit actions added for the complete access log (the older ones are plain words)."""

    SIGNIN = "signin"
    SIGNOUT = "signout"
    STAFF_CREATED = "staff_created"
    ROSTER_EXPORTED = "roster_exported"
    LEDGER_ADDED = "ledger_added"
    LEDGER_EXPORTED = "ledger_exported"
    INCIDENT_REPORTED = "incident_reported"
    SETTING_CHANGED = "setting_changed"
    ADDRESSES_CLEARED = "audit_addresses_cleared"


def sealed_client_address() -> str | None:
    """Return the current request's client address, sealed, or None outside a request."""
    current = CLIENT_ADDRESS.get()
    if current is None:
        return None
    vault, address = current
    return vault.seal(address, ADDRESS_CONTEXT)
