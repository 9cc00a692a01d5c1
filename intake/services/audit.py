"""The audit log: who read, exported, changed or erased personal data, chained by hash."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import AuditEntry, utcnow


def entry_digest(entry: AuditEntry) -> str:
    """Return the hash of an entry's fields and its predecessor's hash."""
    fields = [
        entry.at.isoformat(),
        entry.actor_id,
        entry.action,
        entry.target_kind,
        entry.target_id,
        entry.count,
        entry.detail,
        entry.prev_hash,
    ]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode()).hexdigest()


def record(
    session: Session,
    actor_id: int | None,
    action: str,
    target_kind: str = "",
    target_id: int | None = None,
    count: int = 1,
    detail: str = "",
) -> AuditEntry:
    """Append one entry in the caller's transaction."""
    last = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).first()
    entry = AuditEntry(
        at=utcnow(),
        actor_id=actor_id,
        action=action,
        target_kind=target_kind,
        target_id=target_id,
        count=count,
        detail=detail,
        prev_hash=last.hash if last else "",
    )
    entry.hash = entry_digest(entry)
    session.add(entry)
    return entry
