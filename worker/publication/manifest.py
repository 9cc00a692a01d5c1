"""The bucket's manifest in the database: the SHA-256 of every object a publication wrote,
NULL while one may be writing it, so the next one rewrites what is uncertain.

Rows are named by the object's whole address (s3://bucket/prefix/path), so a change of
HIROBA_PUBLISH_URL starts from an empty manifest and uploads the whole site.
"""

from __future__ import annotations

from collections.abc import Container, Iterable

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from intake.models import PublishedObject

from .digests import LocalFile

# Rows per statement: well under every database's bound-parameter limit.
BATCH = 500


def load(session: Session, base: str) -> dict[str, str | None]:
    """Return {path under base: digest or None (unknown)} of every object there."""
    rows = session.execute(select(PublishedObject.path, PublishedObject.sha256))
    return {path[len(base) :]: digest for path, digest in rows if path.startswith(base)}


def digests(session: Session, base: str, paths: list[str]) -> dict[str, str | None]:
    """Return {path under base: digest or None} of those of paths that have a row."""
    found: dict[str, str | None] = {}
    for chunk in _chunks(sorted(base + p for p in paths)):
        rows = session.execute(
            select(PublishedObject.path, PublishedObject.sha256).where(
                PublishedObject.path.in_(chunk)
            )
        )
        found.update((path[len(base) :], digest) for path, digest in rows)
    return found


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]


def mark_unknown(session: Session, base: str, paths: Iterable[str], known: Container[str]) -> None:
    """Record paths as being written (digest unknown) before any of them is uploaded; known
    holds the paths that have a row."""
    wanted = sorted(set(paths))
    existing = [base + p for p in wanted if p in known]
    for chunk in _chunks(existing):
        session.execute(
            update(PublishedObject).where(PublishedObject.path.in_(chunk)).values(sha256=None)
        )
    new = [{"path": base + p, "sha256": None, "size": 0} for p in wanted if p not in known]
    if new:
        session.execute(insert(PublishedObject), new)


def record(session: Session, base: str, written: dict[str, LocalFile]) -> None:
    """Record the digests of objects now written (their rows exist: mark_unknown), in
    one statement executed for all of them."""
    if written:
        session.execute(
            update(PublishedObject),
            [
                {"path": base + path, "sha256": local.sha256, "size": local.size}
                for path, local in written.items()
            ],
        )


def forget(session: Session, base: str, paths: Iterable[str]) -> None:
    """Drop the rows of objects deleted from the bucket."""
    for chunk in _chunks(sorted(base + p for p in set(paths))):
        session.execute(delete(PublishedObject).where(PublishedObject.path.in_(chunk)))
