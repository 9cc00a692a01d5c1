"""A published post's flyers and images: copied into the content tree, and removed again.

An approved post's processed files are copied from the private upload store (a folder
of this host or a bucket: intake/uploads/storage.py) to ``content/media/<post_id>/``
(``<token>-<width>.webp``, ``<token>.pdf``); Pelican's static generator copies them into
the site (STATIC_PATHS), and the incremental publisher mirrors that folder
(worker/build/tree.py, mirror_media). The post file lists them in its ``Media`` metadata
key, one line of JSON (docs/content-format.md). When the post leaves the site,
its media folder goes too.

A kept file the store does not have fails the publication (UploadFileMissing): the task
is retried, then given up and shown on the status panel and by `hiroba watch`, and the
post is not published without it.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, object_session

from intake.config import Settings
from intake.models import Post, Upload
from intake.posts.models import PostStatus
from intake.uploads.erasure import forget_files
from intake.uploads.errors import UploadFileMissing
from intake.uploads.models import UploadState
from intake.uploads.services import PDF_NAME, uploads_of, variant_list
from intake.uploads.storage import UploadStore, upload_store

from ..build.tree import MEDIA, PUBLIC_FILE


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
    """Make the post's media folder hold exactly its kept files; mark them live.

    Raises UploadFileMissing, before anything is copied, when a kept file is not in the
    store (another host's folder, a lost file): the post is not published without it.
    """
    folder = media_folder(settings.content_dir, post.id)
    wanted: dict[str, tuple[str, str]] = {}
    uploads = uploads_of(session, post.id)
    for upload in uploads:
        for name, private in _sources(upload).items():
            wanted[name] = (upload.token, private)
    if not wanted:
        for upload in uploads:
            upload.state = UploadState.LIVE
        remove_media_folder(settings, post.id)
        return
    store = upload_store(settings)
    sizes = {name: store.size(*source) for name, source in wanted.items()}
    for name, size in sizes.items():
        if size is None:
            raise UploadFileMissing(*wanted[name], store.location.describe())
    for upload in uploads:  # live only once every file is known to be there
        upload.state = UploadState.LIVE
    folder.mkdir(parents=True, exist_ok=True)
    for name, (token, private) in wanted.items():
        target = folder / name
        if target.is_file() and target.stat().st_size == sizes[name]:
            continue  # names are unique per upload and files never change
        _copy_public(store, token, private, target)
    for present in folder.iterdir():
        if present.name not in wanted:
            present.unlink()


def _copy_public(store: UploadStore, token: str, private: str, target: Path) -> None:
    """Copy a kept file into the content tree as build/tree.py's copy_file does: readers
    never see half of it, and it is 0644 (public, for nginx)."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    os.fchmod(fd, PUBLIC_FILE)
    os.close(fd)
    try:
        store.copy_to(token, private, Path(tmp))
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    os.replace(tmp, target)


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
