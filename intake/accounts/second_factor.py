"""The second factor of moderators and ward staff: TOTP (RFC 6238) and recovery codes.

The TOTP secret is sealed with the vault; each accepted code's time step is remembered, so
a code cannot be used twice. Recovery codes are random, shown once and kept only as keyed
hashes; each works once.
"""

from __future__ import annotations

import hmac
import re
import secrets
import time
import unicodedata
from dataclasses import dataclass

import pyotp
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from ..crypto import Vault
from ..models import Account, RecoveryCode, utcnow
from ..runtime import Runtime
from ..store import transaction

RECOVERY_CODE_COUNT = 10
TOTP_PERIOD = 30
TOTP_CONTEXT = "accounts.totp_secret"
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i look-alikes
_SIX_DIGITS = re.compile(r"^\d{6}$")


@dataclass(frozen=True)
class Enrolment:
    """What the new user copies into an authenticator app, shown once."""

    secret: str
    uri: str
    recovery_codes: list[str]


def _recovery_hash(vault: Vault, code: str) -> str:
    return vault.blind_index(code, "recovery-code")


def _normalise(code: str) -> str:
    text = unicodedata.normalize("NFKC", code or "").strip().lower()
    return re.sub(r"[\s\-]", "", text)


def new_recovery_code() -> str:
    """Return a random recovery code such as 'abcde-fghjk' (about 50 bits)."""
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def enrol(session: Session, vault: Vault, account: Account, login: str, issuer: str) -> Enrolment:
    """Give account a new TOTP secret and recovery codes (replacing any old ones)."""
    secret = pyotp.random_base32()
    account.totp_secret_enc = vault.seal(secret, TOTP_CONTEXT)
    account.totp_last_step = None
    session.flush()
    session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account.id))
    codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    session.add_all(
        RecoveryCode(account_id=account.id, code_hash=_recovery_hash(vault, _normalise(code)))
        for code in codes
    )
    uri = pyotp.TOTP(secret).provisioning_uri(name=login, issuer_name=issuer)
    return Enrolment(secret=secret, uri=uri, recovery_codes=codes)


def enrol_account(rt: Runtime, account_id: int) -> Enrolment:
    """Enrol the account's second factor in its own transaction."""
    with transaction(rt.sessions) as session:
        account = session.get(Account, account_id)
        if account is None:
            raise LookupError(f"account {account_id}")
        login = rt.vault.open(account.login_enc, "accounts.login") or str(account_id)
        return enrol(session, rt.vault, account, login, rt.settings.site_name)


def is_enrolled(account: Account) -> bool:
    """Return True when the account has a TOTP secret."""
    return account.totp_secret_enc is not None


def _matching_step(secret: str, code: str, now: float) -> int | None:
    """Return the time step (one either side of now) whose code is code, or None."""
    totp = pyotp.TOTP(secret, interval=TOTP_PERIOD)
    current = int(now // TOTP_PERIOD)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def verify(rt: Runtime, account_id: int, code: str, now: float | None = None) -> bool:
    """Accept a fresh 6-digit TOTP code or an unused recovery code, each only once."""
    code = _normalise(code)
    if not code or len(code) > 32:
        return False
    with transaction(rt.sessions) as session:
        if _SIX_DIGITS.match(code):
            sealed = session.scalar(select(Account.totp_secret_enc).where(Account.id == account_id))
            secret = rt.vault.open(sealed, TOTP_CONTEXT)
            if secret is None:
                return False
            step = _matching_step(secret, code, time.time() if now is None else now)
            if step is None:
                return False
            # One conditional UPDATE: of two requests with the same code, only one wins.
            taken = session.execute(
                update(Account)
                .where(
                    Account.id == account_id,
                    or_(Account.totp_last_step.is_(None), Account.totp_last_step < step),
                )
                .values(totp_last_step=step)
            )
            return bool(taken.rowcount)  # type: ignore[attr-defined]
        used = session.execute(
            update(RecoveryCode)
            .where(
                RecoveryCode.account_id == account_id,
                RecoveryCode.code_hash == _recovery_hash(rt.vault, code),
                RecoveryCode.used_at.is_(None),
            )
            .values(used_at=utcnow())
        )
        return bool(used.rowcount)  # type: ignore[attr-defined]


def recovery_codes_left(session: Session, account_id: int) -> int:
    """Return how many unused recovery codes the account has."""
    return len(
        session.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.account_id == account_id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )
