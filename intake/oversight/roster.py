"""The roster of handlers (取扱者名簿): every moderator and staff account, for the ward.

One line per account: number, login, display name, role, created, whether a second factor
is enrolled, the last successful sign-in (from the audit log's `signin` entries) and
whether the account is disabled. Reading the roster opens the logins and names, so every
reading (the page, `hiroba users list`) and every export of it (CSV download,
`hiroba users list --format csv`) is written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..accounts.models import ACCOUNT_KIND_LABELS, AccountStatus, account_word
from ..accounts.sessions import STAFF_ROLES
from ..formatting import dates
from ..models import Account, AuditEntry
from ..protection import audit
from ..protection.access import AccessKind
from ..runtime import Runtime
from ..spreadsheet import spreadsheet_csv
from ..store import transaction

HEADER = (
    "番号",
    "ログインID",
    "表示名",
    "役割",
    "作成日時（日本時間）",
    "二段階認証",
    "最終ログイン（日本時間）",
    "利用停止",
)


@dataclass(frozen=True)
class Handler:
    """One moderator or staff account as the roster shows it (times in UTC)."""

    id: int
    login: str
    name: str
    role: str
    created_at: datetime
    second_factor: bool
    last_signin: datetime | None
    disabled: bool
    status: str


def handlers(rt: Runtime, actor_id: int | None, where: str) -> list[Handler]:
    """Return every moderator and staff account, oldest first, for a person to read; the
    view is audited."""
    with transaction(rt.sessions) as session:
        lines = _handlers(rt, session)
        audit.record(
            session, actor_id, AccessKind.ROSTER_VIEWED, "account", None, len(lines), where
        )
    return lines


def _handlers(rt: Runtime, session: Session) -> list[Handler]:
    last = dict(
        session.execute(  # type: ignore[arg-type]
            select(AuditEntry.actor_id, func.max(AuditEntry.at))
            .where(AuditEntry.action == AccessKind.SIGNIN)
            .group_by(AuditEntry.actor_id)
        ).all()
    )
    accounts = session.scalars(
        select(Account).where(Account.kind.in_(sorted(STAFF_ROLES))).order_by(Account.id)
    )
    return [
        Handler(
            id=account.id,
            login=rt.vault.open(account.login_enc, "accounts.login") or "",
            name=account.public_name,
            role=account.kind,
            created_at=account.created_at,
            second_factor=account.totp_secret_enc is not None,
            last_signin=last.get(account.id),
            disabled=account.status == AccountStatus.DISABLED,
            status=account.status,
        )
        for account in accounts
    ]


def _when(moment: datetime | None) -> str:
    return dates.format_timestamp(moment) if moment else ""


def roster_csv(rt: Runtime, actor_id: int | None, where: str) -> bytes:
    """Return the roster as a spreadsheet CSV (Japan time) and audit the export."""
    with transaction(rt.sessions) as session:
        lines = _handlers(rt, session)
        audit.record(
            session, actor_id, AccessKind.ROSTER_EXPORTED, "account", None, len(lines), where
        )
    rows = [
        (
            h.id,
            h.login,
            h.name,
            account_word(ACCOUNT_KIND_LABELS, h.role),
            _when(h.created_at),
            "あり" if h.second_factor else "なし",
            _when(h.last_signin),
            "停止" if h.disabled else "",
        )
        for h in lines
    ]
    return spreadsheet_csv(HEADER, rows)
