"""The audit log: who read, exported, changed or erased personal data, chained by hash.

Each entry carries a sequence number and the hash of its predecessor; its own hash covers
both. Appenders lock the one `audit_head` row first (PostgreSQL: SELECT ... FOR UPDATE;
SQLite: the write lock taken by the INSERT that makes sure the row exists), so two
writers can never both append after the same entry: the chain never forks. `verify`
walks the chain and names the first entry that was edited, deleted or re-linked.

The client address (`address_enc`, see access.py) is sealed and stays outside the hash:
sealing is randomised, key rotation re-seals it and retention clears it after
`[retention] audit_days`, and none of that may break the chain. The hash keeps covering
the entry itself (who, what, which record, when), so old and new entries verify alike.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ..controls import stored
from ..models import AuditEntry, AuditHead, utcnow
from .access import AccessKind, sealed_client_address

HEAD_ID = 1
VERIFY_BATCH = 1000


def entry_digest(entry: AuditEntry) -> str:
    """Return the hash of an entry's fields, its number and its predecessor's hash."""
    fields = [
        entry.seq,
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


def _lock_head(session: Session) -> tuple[int, str]:
    """Lock the chain's head row (creating it once) and return its number and hash."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(AuditHead)
        .values(id=HEAD_ID, seq=0, last_hash="")
        .on_conflict_do_nothing(index_elements=["id"])
    )
    seq, last_hash = session.execute(
        select(AuditHead.seq, AuditHead.last_hash).where(AuditHead.id == HEAD_ID).with_for_update()
    ).one()
    return int(seq), str(last_hash)


def record(
    session: Session,
    actor_id: int | None,
    action: str,
    target_kind: str = "",
    target_id: int | None = None,
    count: int = 1,
    detail: str = "",
) -> AuditEntry:
    """Append one entry in the caller's transaction (it holds the chain's lock until commit)."""
    seq, last_hash = _lock_head(session)
    entry = AuditEntry(
        seq=seq + 1,
        at=utcnow(),
        actor_id=actor_id,
        action=stored(action),  # as the database keeps it, so the hash matches
        target_kind=stored(target_kind),
        target_id=target_id,
        count=count,
        detail=stored(detail),
        prev_hash=last_hash,
    )
    entry.hash = entry_digest(entry)
    entry.address_enc = sealed_client_address()
    session.add(entry)
    session.execute(
        update(AuditHead).where(AuditHead.id == HEAD_ID).values(seq=entry.seq, last_hash=entry.hash)
    )
    return entry


@dataclass(frozen=True)
class Verdict:
    """The result of walking the chain: how many entries, and the first problem if any."""

    entries: int
    ok: bool
    problem: str = ""
    seq: int | None = None  # the entry at (or just after) which the chain breaks


def verify(session: Session) -> Verdict:
    """Walk the chain from the first entry; report the first edited, missing or re-linked one."""
    expected_seq, prev_hash, walked = 1, "", 0
    last_id = 0
    while True:
        batch = list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.id > last_id)
                .order_by(AuditEntry.id)
                .limit(VERIFY_BATCH)
            )
        )
        for entry in batch:
            walked += 1
            if entry.seq != expected_seq:
                if entry.seq > expected_seq:
                    missing = f"{expected_seq}" + (
                        f"–{entry.seq - 1}" if entry.seq - 1 > expected_seq else ""
                    )
                    problem = f"entry {missing} is missing (deleted) before entry {entry.seq}"
                else:
                    problem = f"entry {entry.seq} is out of order (expected {expected_seq})"
                return Verdict(walked, False, problem, entry.seq)
            if entry.prev_hash != prev_hash:
                return Verdict(
                    walked,
                    False,
                    f"entry {entry.seq} does not link to its predecessor "
                    "(an earlier entry was edited or removed)",
                    entry.seq,
                )
            if entry.hash != entry_digest(entry):
                return Verdict(
                    walked, False, f"entry {entry.seq} was edited (its hash is wrong)", entry.seq
                )
            expected_seq, prev_hash = entry.seq + 1, entry.hash
        if len(batch) < VERIFY_BATCH:
            break
        last_id = batch[-1].id
        session.expunge_all()
    head = session.execute(
        select(AuditHead.seq, AuditHead.last_hash).where(AuditHead.id == HEAD_ID)
    ).first()
    head_seq, head_hash = (int(head[0]), str(head[1])) if head else (0, "")
    if (head_seq, head_hash) != (expected_seq - 1, prev_hash):
        if head_seq > expected_seq - 1:
            problem = f"entries {expected_seq}–{head_seq} at the end are missing (deleted)"
        else:
            problem = "the chain's head does not match its last entry"
        return Verdict(walked, False, problem, expected_seq)
    return Verdict(walked, True)


def clear_old_addresses(session: Session, days: int, dry_run: bool = False) -> int:
    """Clear the sealed client address of entries older than days; keep the entries.

    The hash never covered the address, so the chain keeps verifying. The clearing is
    itself an entry (with how many addresses went) when there was any.
    """
    old = (AuditEntry.at < utcnow() - timedelta(days=days)) & AuditEntry.address_enc.is_not(None)
    count = int(session.scalar(select(func.count()).select_from(AuditEntry).where(old)) or 0)
    if count and not dry_run:
        session.execute(update(AuditEntry).where(old).values(address_enc=None))
        record(session, None, AccessKind.ADDRESSES_CLEARED, "audit", None, count, f"{days}日経過")
    return count
