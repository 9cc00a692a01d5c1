"""Flyers and images of posts: checked, cleaned, and kept privately until approval.

A post's files are processed in the request that submits it (uploads_images.py,
uploads_pdf.py): the original bytes are never written anywhere. What is kept lives under
``<token>/`` in the upload store (storage.py: ``$HIROBA_HOME/uploads/`` by default, or a
private bucket), outside everything a web server serves, until the worker publishes the
approved post and copies the files into the Pelican content tree (worker/content/media.py).
The random token is the only name a file has outside the database; no personal data
appears in a path, key or URL.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config import Settings
from ..models import Upload
from ..posts.services import PostData, submit_post
from ..runtime import Runtime
from .errors import UploadFileMissing, UploadRejected
from .images import ProcessedImage, process_image
from .models import UPLOAD_KEPT, UPLOAD_PREVIEWED, UploadState
from .pdf import process_pdf
from .storage import upload_store

__all__ = [
    "Attachment",
    "UploadRejected",
    "file_names",
    "preview_file",
    "process_image",
    "process_pdf",
    "read_limited",
    "submit_post_with_files",
    "uploads_of",
]

PDF_NAME = "flyer.pdf"


@dataclass(frozen=True)
class Attachment:
    """One processed file of a post form, ready to store."""

    kind: str  # image or pdf
    alt: str  # an image's description, a PDF's title
    image: ProcessedImage | None = None
    pdf: bytes | None = None


def read_limited(stream: object, limit: int, limit_mb: int) -> bytes:
    """Read an uploaded file's bytes, refusing one larger than limit without reading it all."""
    read = getattr(stream, "read")  # noqa: B009 - werkzeug FileStorage or any binary stream
    data: bytes = read(limit + 1)
    if len(data) > limit:
        raise UploadRejected("too_large", limit_mb=limit_mb)
    return data


def file_names(upload: Upload) -> list[str]:
    """Return the private file names of an upload, smallest image variant first."""
    if upload.kind == "pdf":
        return [PDF_NAME]
    return [f"{width}.webp" for width in variant_list(upload)]


def variant_list(upload: Upload) -> list[int]:
    """Return the widths made for an image, smallest first."""
    return [int(w) for w in upload.variants.split(",") if w.strip().isdigit()]


def _stage(settings: Settings, attachment: Attachment) -> tuple[str, Upload]:
    """Write one attachment's files privately; return its token and its (unsaved) row."""
    token = secrets.token_hex(16)
    store = upload_store(settings)
    row = Upload(token=token, kind=attachment.kind, state=UploadState.PENDING, alt=attachment.alt)
    if attachment.image is not None:
        for width, data in attachment.image.files.items():
            store.put(token, f"{width}.webp", data)
        row.width, row.height = attachment.image.width, attachment.image.height
        row.size_bytes = attachment.image.size_bytes
        row.variants = ",".join(str(w) for w in attachment.image.files)
    elif attachment.pdf is not None:
        store.put(token, PDF_NAME, attachment.pdf)
        row.size_bytes = len(attachment.pdf)
    return token, row


def stage_attachments(settings: Settings, attachments: list[Attachment]) -> list[Upload]:
    """Write attachments' files privately; return their unsaved rows (token set)."""
    return [_stage(settings, attachment)[1] for attachment in attachments]


def _discard(settings: Settings, tokens: list[str]) -> None:
    store = upload_store(settings)
    for token in tokens:
        store.delete(token)


def submit_post_with_files(
    rt: Runtime,
    account_id: int,
    data: PostData,
    attachments: list[Attachment],
    entered_by: int | None = None,
) -> int:
    """Store a new post and its processed files together; return the post's id.

    The files are written first, then their rows commit in the post's own transaction:
    a post is never acknowledged without its files, and files whose post did not commit
    are deleted again.
    """
    staged = [_stage(rt.settings, attachment) for attachment in attachments]

    def attach(session: Session, post_id: int) -> None:
        for position, (_, row) in enumerate(staged):
            row.account_id, row.post_id, row.position = account_id, post_id, position
            session.add(row)

    try:
        return submit_post(
            rt, account_id, data, attach=attach if staged else None, entered_by=entered_by
        )
    except BaseException:
        _discard(rt.settings, [token for token, _ in staged])
        raise


def uploads_of(
    session: Session, post_id: int, states: tuple[str, ...] = UPLOAD_KEPT
) -> list[Upload]:
    """Return a post's uploads in the given states, in the order the poster gave them."""
    return list(
        session.scalars(
            select(Upload)
            .where(Upload.post_id == post_id, Upload.state.in_(states))
            .order_by(Upload.position, Upload.id)
        )
    )


def post_uploads(rt: Runtime, post_id: int) -> list[Upload]:
    """Return the kept uploads of a post (for the moderator's review page)."""
    with rt.sessions() as session:
        return uploads_of(session, post_id)


@dataclass(frozen=True)
class PreviewFile:
    """A file to show a moderator: its path on this host, or its bytes (from a bucket)."""

    path: Path | None
    data: bytes | None
    mimetype: str
    download_name: str


def preview_file(rt: Runtime, token: str) -> PreviewFile | None:
    """Return a kept upload's largest file for a moderator's preview, or None."""
    if len(token) != 32 or any(c not in "0123456789abcdef" for c in token):
        return None
    with rt.sessions() as session:
        upload = session.scalar(select(Upload).where(Upload.token == token))
        if upload is None or upload.state not in UPLOAD_PREVIEWED:
            return None
        names = file_names(upload)
        kind = upload.kind
    if not names:
        return None
    store = upload_store(rt.settings)
    path, data = store.local_path(token, names[-1]), None
    if path is None:  # not a file of this host: a bucket's object, or missing
        try:
            data = store.read(token, names[-1])
        except UploadFileMissing:
            return None
    if kind == "pdf":
        return PreviewFile(path, data, "application/pdf", f"{token}.pdf")
    return PreviewFile(path, data, "image/webp", f"{token}.webp")
