"""Posting with files through the real post form, and what the private uploads folder holds."""

from __future__ import annotations

import io
from pathlib import Path

from actors import EVENT, MODERATOR, sign_in, sign_out
from conftest import Instance, csrf_token
from sqlalchemy import select
from upload_samples import pdf_with_metadata, photo_with_gps
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from intake.models import Upload

GROUP = ("durable-group", "durable-password-1")  # the group actors.open_group makes


def post_with_files(instance: Instance, client, title: str) -> int:  # type: ignore[no-untyped-def]
    """Sign in, send the post form with an image and a PDF as multipart, sign out; return
    the new post's id."""
    sign_in(client, *GROUP)
    token = csrf_token(client.get("/app/posts/new").get_data(as_text=True))
    files = {
        "images-0-file": FileStorage(io.BytesIO(photo_with_gps(40, 20)), "IMG_0001.JPG"),
        "pdfs-0-file": FileStorage(io.BytesIO(pdf_with_metadata()), "flyer.pdf"),
    }
    data = {**EVENT, "title": title, "images-0-alt": "参加者の写真", "pdfs-0-title": "チラシ",
            **files, "csrf_token": token}  # fmt: skip
    boundary, body = encode_multipart(data)
    response = client.post(
        "/app/posts/new", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    sign_out(client)
    with instance.rt.sessions() as db:
        return int(db.scalars(select(Upload.post_id).order_by(Upload.id.desc())).first() or 0)


def upload_rows(instance: Instance) -> dict[int, set[str]]:
    """Return {post id: tokens} of every upload row."""
    found: dict[int, set[str]] = {}
    with instance.rt.sessions() as db:
        for post_id, token in db.execute(select(Upload.post_id, Upload.token)):
            found.setdefault(post_id, set()).add(token)
    return found


def private_folders(instance: Instance) -> set[str]:
    """Return the names in $HIROBA_HOME/uploads/ (each upload's folder is its token)."""
    root = instance.settings.home / "uploads"
    return {p.name for p in root.iterdir()} if root.exists() else set()


def private_files(instance: Instance) -> dict[str, bytes]:
    """Return {path under uploads/: bytes} of every private upload file."""
    root: Path = instance.settings.home / "uploads"
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def publish_post_with_files(instance: Instance, client, title: str) -> int:  # type: ignore[no-untyped-def]
    """Send a post with an image and a PDF, approve it as the test moderator through the
    review form (actors.make_moderator made them), run a worker; return the post's id."""
    post_id = post_with_files(instance, client, title)
    sign_in(client, *MODERATOR)
    page = client.get(f"/app/moderation/posts/{post_id}").get_data(as_text=True)
    data = {**EVENT, "title": title, "action": "approve", "reason": "",
            "csrf_token": csrf_token(page)}  # fmt: skip
    response = client.post(f"/app/moderation/posts/{post_id}", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    sign_out(client)
    instance.worker_burst()
    return post_id
