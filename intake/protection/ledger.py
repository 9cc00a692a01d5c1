"""The ledger of personal-data hand-overs (個人情報管理簿): every export is written here.

Exports write their own entries; a hand-over outside the software (paper forms, a DVD,
the return to the ward) is added by hand (`hiroba ledger add`, the ledger page) with its
date, handler, content, quantity and recipient. Every added entry, every reading (the
page, `hiroba ledger list`) and every download of the ledger is written to the audit log.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..formatting import dates
from ..models import utcnow
from ..office.records import LedgerEntry
from ..runtime import Runtime
from ..spreadsheet import spreadsheet_csv
from ..store import transaction
from ..validation import N_
from . import audit
from .access import AccessKind

CODE_HEADER = "種類コード"  # the CSV keeps the stored code beside the word, for machines
HEADER = (
    "番号",
    "日時（日本時間）",
    "取扱者",
    "種類",
    CODE_HEADER,
    "内容",
    "数量",
    "提供先",
    "ファイル名",
)


class HandoverKind(StrEnum):
    """The action of a hand-over added by hand (exports name their own)."""

    MANUAL = "manual"


# Each hand-over action's word for people (a msgid); the CSV keeps the code beside it.
HANDOVER_WORDS: dict[str, str] = {
    HandoverKind.MANUAL: N_("サイトの外での受け渡し"),
    "organizer_export": N_("団体による申込者一覧の出力"),
    "export_for_return": N_("契約終了時の返却用の出力"),
}
OTHER_HANDOVER = N_("その他の受け渡し")


def handover_word(action: str, translate: Callable[[str], str] = str) -> str:
    """Return a hand-over action's word for people (through translate), never its code."""
    return translate(HANDOVER_WORDS.get(action, OTHER_HANDOVER))


@dataclass(frozen=True)
class Handover:
    """A hand-over outside the software, as typed in (the date is Japan's)."""

    on: date
    handler: str
    content: str
    quantity: int
    recipient: str


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


def read_entries(
    rt: Runtime, actor_id: int | None, where: str, limit: int = 500
) -> list[LedgerEntry]:
    """Return the newest hand-overs first for a person to read (handlers' and recipients'
    names), and audit the view."""
    with transaction(rt.sessions) as session:
        listed = entries(session, limit)
        audit.record(
            session, actor_id, AccessKind.LEDGER_VIEWED, "ledger", None, len(listed), where
        )
    return listed


def counts_of(entry: LedgerEntry) -> dict[str, int]:
    """Return the record counts of a hand-over."""
    return dict(json.loads(entry.counts or "{}"))


def add_handover(rt: Runtime, actor_id: int | None, handover: Handover) -> int:
    """Add a hand-over outside the software to the ledger, audited; return its number."""
    with transaction(rt.sessions) as session:
        entry = record_handover(
            session,
            handler=handover.handler,
            action=HandoverKind.MANUAL,
            content=handover.content,
            counts={"items": handover.quantity},
            recipient=handover.recipient,
        )
        entry.at = dates.japan_day_start(handover.on)
        audit.record(session, actor_id, AccessKind.LEDGER_ADDED, "ledger", entry.id, 0)
        return entry.id


def ledger_csv(rt: Runtime, actor_id: int | None, where: str) -> bytes:
    """Return the whole ledger as a spreadsheet CSV (Japan time), audited."""
    with transaction(rt.sessions) as session:
        lines = list(session.scalars(select(LedgerEntry).order_by(LedgerEntry.at, LedgerEntry.id)))
        audit.record(
            session, actor_id, AccessKind.LEDGER_EXPORTED, "ledger", None, len(lines), where
        )
        rows = [
            (
                e.id,
                dates.format_timestamp(e.at),
                e.handler,
                handover_word(e.action),
                e.action,
                e.content,
                e.total,
                e.recipient,
                e.file_name,
            )
            for e in lines
        ]
    return spreadsheet_csv(HEADER, rows)
