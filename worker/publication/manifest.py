"""The bucket's manifest in the database: {path: SHA-256} of every object a publication
wrote, NULL while one may be writing it, so the next one rewrites what is uncertain."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from intake.models import PublishedObject

from .digests import LocalFile

# Rows per statement: well under every database's bound-parameter limit.
BATCH = 500


def load(session: Session) -> dict[str, str | None]:
    """Return {path: digest or None (unknown)} of every object the bucket may hold."""
    rows = session.execute(select(PublishedObject.path, PublishedObject.sha256))
    return {path: digest for path, digest in rows}


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]


def mark_unknown(session: Session, paths: Iterable[str], known: dict[str, str | None]) -> None:
    """Record paths as being written (digest unknown) before any of them is uploaded."""
    wanted = sorted(set(paths))
    existing = [p for p in wanted if p in known]
    for chunk in _chunks(existing):
        session.execute(
            update(PublishedObject).where(PublishedObject.path.in_(chunk)).values(sha256=None)
        )
    session.add_all(PublishedObject(path=p, sha256=None, size=0) for p in wanted if p not in known)
    session.flush()


def record(session: Session, written: dict[str, LocalFile]) -> None:
    """Record the digests of objects now written."""
    for path, local in written.items():
        row = session.get(PublishedObject, path)
        if row is None:
            session.add(PublishedObject(path=path, sha256=local.sha256, size=local.size))
        else:
            row.sha256, row.size = local.sha256, local.size
    session.flush()


def forget(session: Session, paths: Iterable[str]) -> None:
    """Drop the rows of objects deleted from the bucket."""
    for chunk in _chunks(sorted(set(paths))):
        session.execute(delete(PublishedObject).where(PublishedObject.path.in_(chunk)))
