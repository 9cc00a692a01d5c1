"""A post's flyers and images changed by its poster's edit.

While a post waits for review, its files change in place. Once it is live, an edit's
new files wait as "proposed" uploads of its revision (never published; moderators
preview them) and the live files it takes away are listed in the revision's ``removes``;
the live page keeps its approved files meanwhile. Approving applies both; rejecting,
or closing the edit erases its proposed files (withdrawing the post erases all of its
files: upload_erasure.py). A newer edit takes over the proposed files the poster kept and
erases the others.

Erasing follows upload_erasure.py: rows are deleted in the caller's transaction and the
private folders removed after it commits (remove_folders with the tokens returned here).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Post, PostRevision, Upload
from ..runtime import Runtime
from ..uploads.models import UploadState
from ..uploads.services import Attachment, uploads_of


@dataclass(frozen=True)
class FileEdit:
    """What a poster's edit does to the post's files: tokens to take away, files to add.

    Files are named by their random token, never reused (a row's id may be, once deleted).
    """

    remove: frozenset[str] = frozenset()
    add: list[Attachment] = field(default_factory=list)


@dataclass(frozen=True)
class EditableFile:
    """One file as the poster's edit form lists it."""

    token: str
    kind: str  # image or pdf
    alt: str
    size_bytes: int
    proposed: bool  # added by the edit under review, not yet on the site


def removed_ids(revision: PostRevision) -> list[int]:
    """Return the ids of the live uploads an edit takes away."""
    try:
        ids = json.loads(revision.removes or "[]")
    except ValueError:
        return []
    return [i for i in ids if isinstance(i, int)]


def proposed_of(session: Session, revision_id: int) -> list[Upload]:
    """Return the files an edit adds, in the poster's order."""
    return list(
        session.scalars(
            select(Upload)
            .where(Upload.revision_id == revision_id, Upload.state == UploadState.PROPOSED)
            .order_by(Upload.position, Upload.id)
        )
    )


def editable_files(
    session: Session, post: Post, revision: PostRevision | None
) -> tuple[list[EditableFile], list[str]]:
    """Return the files the edit form lists and the tokens of those the edit under review
    takes away."""
    uploads = uploads_of(session, post.id)
    removing = removed_ids(revision) if revision is not None else []
    if revision is not None:
        uploads += proposed_of(session, revision.id)
    files = [
        EditableFile(u.token, u.kind, u.alt, u.size_bytes, u.state == UploadState.PROPOSED)
        for u in uploads
    ]
    return files, [u.token for u in uploads if u.id in removing]


@dataclass
class FileChanges:
    """An edit's file changes as the moderator's review shows them."""

    added: list[Upload] = field(default_factory=list)
    removed: list[Upload] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed)


def revision_changes(rt: Runtime, revision_id: int) -> FileChanges:
    """Return the files an edit adds and the live ones it takes away."""
    with rt.sessions() as session:
        revision = session.get(PostRevision, revision_id)
        if revision is None:
            return FileChanges()
        gone = set(removed_ids(revision))
        return FileChanges(
            added=proposed_of(session, revision_id),
            removed=[u for u in uploads_of(session, revision.post_id) if u.id in gone],
        )


def _next_position(session: Session, post_id: int) -> int:
    last = session.scalar(select(func.max(Upload.position)).where(Upload.post_id == post_id))
    return 0 if last is None else last + 1


def _add(
    session: Session,
    post: Post,
    account_id: int,
    staged: list[Upload],
    state: str,
    revision_id: int | None,
) -> None:
    position = _next_position(session, post.id)
    for offset, row in enumerate(staged):
        row.account_id, row.post_id, row.revision_id = account_id, post.id, revision_id
        row.position, row.state = position + offset, state
        session.add(row)


def _erase(session: Session, uploads: list[Upload]) -> list[str]:
    for upload in uploads:
        session.delete(upload)
    return [upload.token for upload in uploads]


def change_in_place(
    session: Session, post: Post, account_id: int, remove: frozenset[str], staged: list[Upload]
) -> list[str]:
    """Change a waiting post's files now (none is on the site); return tokens to erase."""
    gone = _erase(session, [u for u in uploads_of(session, post.id) if u.token in remove])
    _add(session, post, account_id, staged, UploadState.PENDING, None)
    return gone


def change_by_revision(
    session: Session,
    post: Post,
    account_id: int,
    revision: PostRevision,
    previous: PostRevision | None,
    remove: frozenset[str],
    staged: list[Upload],
) -> list[str]:
    """Attach an edit's file changes to its revision; return tokens to erase.

    The previous edit's proposed files move to this one unless the poster took them away.
    """
    live = uploads_of(session, post.id)
    revision.removes = json.dumps(sorted(u.id for u in live if u.token in remove))
    gone: list[str] = []
    if previous is not None:
        carried = proposed_of(session, previous.id)
        gone = _erase(session, [u for u in carried if u.token in remove])
        for upload in carried:
            if upload.token not in remove:
                upload.revision_id = revision.id
    _add(session, post, account_id, staged, UploadState.PROPOSED, revision.id)
    return gone


def apply_revision(session: Session, revision: PostRevision) -> list[str]:
    """Approve an edit's files: its new ones wait to be published with the post (pending),
    the live ones it takes away are erased (the publish job unpublishes them); return the
    tokens to erase."""
    for upload in proposed_of(session, revision.id):
        upload.state = (
            UploadState.PENDING
        )  # the publish job copies it into the site and marks it live
    gone = set(removed_ids(revision))
    return _erase(session, [u for u in uploads_of(session, revision.post_id) if u.id in gone])


def drop_proposed(session: Session, revision_ids: list[int]) -> list[str]:
    """Erase the never-published files of edits that will not be applied; return tokens."""
    if not revision_ids:
        return []
    found = session.scalars(
        select(Upload).where(
            Upload.revision_id.in_(revision_ids), Upload.state == UploadState.PROPOSED
        )
    )
    return _erase(session, list(found))
