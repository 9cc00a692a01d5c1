"""A published post's flyers and images: copied into the content tree, and removed again.

An approved post's processed files are copied from the private uploads folder to
``content/media/<post_id>/`` (``<token>-<width>.webp``, ``<token>.pdf``); Pelican's static
generator copies them into the site (STATIC_PATHS), and the incremental publisher
mirrors that folder (worker/build/tree.py, mirror_media). The post file lists them in its ``Media``
metadata key, one line of JSON (docs/content-format.md). When the post leaves the site,
its media folder goes too.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, object_session

from intake.config import Settings
from intake.models import Post, Upload
from intake.posts.models import PostStatus
from intake.uploads.erasure import forget_files
from intake.uploads.models import UploadState
from intake.uploads.services import PDF_NAME, upload_dir, uploads_of, variant_list

from ..build.tree import MEDIA, copy_file

log = logging.getLogger(__name__)


def media_folder(content_dir: Path, post_id: int) -> Path:
    """Return where a published post's files live in the content tree."""
    return content_dir / MEDIA / str(post_id)


def _sources(upload: Upload) -> dict[str, str]:
    """Return {published name: private name} of one upload."""
    if upload.kind == "pdf":
        return {f"{upload.token}.pdf": PDF_NAME}
    return {f"{upload.token}-{w}.webp": f"{w}.webp" for w in variant_list(upload)}


def _item(post_id: int, upload: Upload) -> dict[str, Any]:
    base = f"{MEDIA}/{post_id}/{upload.token}"
    if upload.kind == "pdf":
        return {"type": "pdf", "src": f"{base}.pdf", "bytes": upload.size_bytes,
                "title": upload.alt}  # fmt: skip
    widths = variant_list(upload)
    return {
        "type": "image",
        "src": f"{base}-{widths[-1]}.webp",
        "srcset": [[f"{base}-{w}.webp", w] for w in widths],
        "width": upload.width,
        "height": upload.height,
        "alt": upload.alt,
    }


def media_json(post: Post) -> str:
    """Return the post's Media metadata value: a one-line JSON list, or "" without files."""
    session = object_session(post)
    if session is None:
        return ""
    items = [_item(post.id, u) for u in uploads_of(session, post.id) if _sources(u)]
    if not items:
        return ""
    return json.dumps(items, ensure_ascii=False, separators=(",", ":"))


def publish_media(settings: Settings, session: Session, post: Post) -> None:
    """Make the post's media folder hold exactly its kept files; mark them live."""
    folder = media_folder(settings.content_dir, post.id)
    wanted: dict[str, Path] = {}
    for upload in uploads_of(session, post.id):
        for name, private in _sources(upload).items():
            wanted[name] = upload_dir(settings, upload.token) / private
        upload.state = UploadState.LIVE
    if not wanted:
        remove_media_folder(settings, post.id)
        return
    folder.mkdir(parents=True, exist_ok=True)
    for name, source in wanted.items():
        target = folder / name
        if not source.is_file():
            log.error("upload file %s of post %s is missing", name, post.id)
            continue
        if target.is_file() and target.stat().st_size == source.stat().st_size:
            continue  # names are unique per upload and files never change
        copy_file(source, target)
    for present in folder.iterdir():
        if present.name not in wanted:
            present.unlink()


def remove_media_folder(settings: Settings, post_id: int) -> None:
    """Delete a post's media folder from the content tree."""
    shutil.rmtree(media_folder(settings.content_dir, post_id), ignore_errors=True)


def unpublish_media(settings: Settings, session: Session, post: Post) -> None:
    """Take a post's files off the site; delete them and their rows when it was withdrawn.

    A post taken down, archived or sent back keeps its files privately (pending), so a
    moderator can still see what was published and the post can come back. A withdrawal
    already erased them (upload_erasure.py); this catches rows it could not see.
    """
    remove_media_folder(settings, post.id)
    uploads = uploads_of(session, post.id)
    if post.status == PostStatus.WITHDRAWN or post.withdrawn_at is not None:
        forget_files(settings, session, uploads)
    else:
        for upload in uploads:
            upload.state = UploadState.PENDING
