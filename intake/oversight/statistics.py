"""Figures for ward staff: counts only, never personal data."""

from __future__ import annotations

from sqlalchemy import func, select

from ..models import Account, Application, Post
from ..runtime import Runtime

STATUS_COLUMNS = {
    "accounts": Account.status,
    "posts": Post.status,
    "applications": Application.status,
}


def status_counts(rt: Runtime) -> dict[str, dict[str, int]]:
    """Return, for accounts, posts and applications, how many there are in each status."""
    counts: dict[str, dict[str, int]] = {}
    with rt.sessions() as session:
        for name, status_column in STATUS_COLUMNS.items():
            rows = session.execute(
                select(status_column, func.count()).group_by(status_column).order_by(status_column)
            )
            counts[name] = {str(status): int(n) for status, n in rows.all()}
    return counts
