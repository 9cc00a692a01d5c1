"""The ledger of personal-data hand-overs (個人情報管理簿): every export is written here."""

from __future__ import annotations

import json
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import LedgerEntry, utcnow


def record_handover(
    session: Session,
    handler: str,
    action: str,
    content: str,
    counts: Mapping[str, int],
    recipient: str = "",
    file_name: str = "",
) -> LedgerEntry:
    """Add one hand-over (date and time, handler, content, record counts) in the caller's commit."""
    entry = LedgerEntry(
        at=utcnow(),
        handler=handler,
        action=action,
        content=content,
        recipient=recipient,
        counts=json.dumps(dict(counts), ensure_ascii=False, sort_keys=True),
        total=sum(counts.values()),
        file_name=file_name,
    )
    session.add(entry)
    session.flush()
    return entry


def entries(session: Session, limit: int = 500) -> list[LedgerEntry]:
    """Return the newest hand-overs first."""
    return list(session.scalars(select(LedgerEntry).order_by(LedgerEntry.id.desc()).limit(limit)))


def counts_of(entry: LedgerEntry) -> dict[str, int]:
    """Return the record counts of a hand-over."""
    return dict(json.loads(entry.counts or "{}"))
