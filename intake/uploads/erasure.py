"""Erasing posts' private files: rows deleted in the caller's commit, folders right after it.

A post's flyers and images may show names, faces and phone numbers, so they live no
longer than their purpose: they go when the poster withdraws the post, when a moderator
rejects it, when the poster's account is withdrawn, and at contract end (except the files
of posts still on the site, which are public already). The rows are deleted in the same
transaction as the decision; the folders (or a bucket's objects: storage.py) are removed
after it commits, so a rolled-back decision never loses files. A folder left behind by a
crash between the two has no row, and the sweep (run by the hourly retention job and at
contract end) removes it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..config import Settings
from ..models import Upload
from .storage import upload_store

# A folder is written just before its row commits (uploads.submit_post_with_files): the
# sweep leaves younger folders alone so that it never races a submission in progress.
SWEEP_GRACE_SECONDS = 3600


def delete_upload_rows(session: Session, post_ids: Iterable[int]) -> list[str]:
    """Delete the upload rows of posts in the caller's transaction; return their tokens."""
    ids = list(post_ids)
    if not ids:
        return []
    tokens = list(session.scalars(select(Upload.token).where(Upload.post_id.in_(ids))))
    if tokens:
        session.execute(delete(Upload).where(Upload.post_id.in_(ids)))
    return tokens


def remove_folders(settings: Settings, tokens: Iterable[str]) -> int:
    """Delete the private folders of uploads whose rows are gone; return how many existed."""
    store = upload_store(settings)
    return sum(1 for token in tokens if store.delete(token))


def forget_files(settings: Settings, session: Session, uploads: list[Upload]) -> None:
    """Delete uploads' private files and their rows (the worker's path for a withdrawn post)."""
    store = upload_store(settings)
    for upload in uploads:
        store.delete(upload.token)
        session.delete(upload)


def sweep_orphans(
    settings: Settings, session: Session, grace_seconds: float = SWEEP_GRACE_SECONDS
) -> int:
    """Delete upload folders no row names (older than grace_seconds); return how many."""
    store = upload_store(settings)
    known = set(session.scalars(select(Upload.token)))
    cutoff = time.time() - grace_seconds
    removed = 0
    for token, changed in list(store.tokens()):
        if token in known or changed > cutoff:
            continue
        store.delete(token)
        removed += 1
    return removed
