"""The record of a moderator's decision: one Decision row, whatever was decided on."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from ..models import Decision


def record_decision(
    session: Session,
    moderator_id: int,
    subject_kind: str,
    subject_id: int,
    action: str,
    reason: str = "",
    edits: dict[str, Any] | None = None,
) -> Decision:
    """Add the Decision row to session; edits (what the moderator changed) are stored as JSON."""
    decision = Decision(
        subject_kind=subject_kind,
        subject_id=subject_id,
        moderator_id=moderator_id,
        action=action,
        reason=reason,
        edits=json.dumps(edits, ensure_ascii=False) if edits is not None else "",
    )
    session.add(decision)
    return decision
