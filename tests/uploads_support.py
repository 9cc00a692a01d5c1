"""Posting with files through the real post form, and what the private upload store holds
(this host's folder, or the bucket of an instance made with backend "s3")."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from actors import EVENT, MODERATOR, sign_in, sign_out
from conftest import Instance, csrf_token, open_instance
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


BACKENDS = ["file", "s3"]


def backend_instance(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    database_url: str,
    redis_server: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Instance]:
    """Make an instance keeping its uploads by request.param: "file" (the default folder)
    or "s3" (a fresh bucket of the private S3 server, prefix uploads/). For a module's
    ``instance`` fixture parametrized over BACKENDS."""
    extra: dict[str, str] = {}
    if request.param == "s3":
        s3_server = request.getfixturevalue("s3_server")
        bucket = s3_server.new_bucket()
        extra = {**s3_server.env(), "HIROBA_UPLOADS_URL": f"s3://{bucket}/uploads"}
        for key, value in s3_server.env().items():  # the in-process app's client reads them
            monkeypatch.setenv(key, value)
    made = open_instance(tmp_path, database_url, redis_server, extra=extra)
    yield made
    made.rt.close()


def _bucket(instance: Instance) -> tuple[Any, str, str] | None:
    """Return (client, bucket, prefix) of an instance keeping its uploads in a bucket."""
    location = instance.settings.uploads_location
    if not location.is_s3:
        return None
    from intake.objectstore import client

    return client(instance.settings), location.bucket, location.prefix


def _objects(instance: Instance) -> Iterator[dict[str, Any]]:
    found = _bucket(instance)
    assert found is not None
    s3, bucket, prefix = found
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        yield from page.get("Contents", ())


def uploads_folder(instance: Instance) -> Path:
    """Return the private uploads folder of an instance keeping them on this host."""
    path = instance.settings.uploads_location.path
    assert path is not None
    return path


def private_folders(instance: Instance) -> set[str]:
    """Return the tokens the store holds something under (each upload's folder is its token)."""
    if _bucket(instance) is not None:
        prefix = instance.settings.uploads_location.prefix
        return {item["Key"][len(prefix) :].split("/", 1)[0] for item in _objects(instance)}
    root = uploads_folder(instance)
    return {p.name for p in root.iterdir()} if root.exists() else set()


def private_files(instance: Instance) -> dict[str, bytes]:
    """Return {<token>/<name>: bytes} of every private upload file."""
    found = _bucket(instance)
    if found is not None:
        s3, bucket, prefix = found
        return {
            item["Key"][len(prefix) :]: s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            for item in _objects(instance)
        }
    root = uploads_folder(instance)
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def put_private(instance: Instance, token: str, name: str, data: bytes) -> None:
    """Put a file into the store by hand (as a crash or an operator would leave one)."""
    found = _bucket(instance)
    if found is not None:
        s3, bucket, prefix = found
        s3.put_object(Bucket=bucket, Key=f"{prefix}{token}/{name}", Body=data)
        return
    folder = uploads_folder(instance) / token
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


def remove_private(instance: Instance, token: str, name: str) -> None:
    """Delete one kept file by hand (a lost file, another host's folder)."""
    found = _bucket(instance)
    if found is not None:
        s3, bucket, prefix = found
        s3.delete_object(Bucket=bucket, Key=f"{prefix}{token}/{name}")
        return
    (uploads_folder(instance) / token / name).unlink()


def encryption_of(instance: Instance) -> dict[str, str]:
    """Return {key: ServerSideEncryption} of every object of a bucket instance's uploads."""
    found = _bucket(instance)
    assert found is not None
    s3, bucket, _ = found
    return {
        item["Key"]: s3.head_object(Bucket=bucket, Key=item["Key"]).get("ServerSideEncryption", "")
        for item in _objects(instance)
    }


def publish_post_with_files(instance: Instance, client, title: str) -> int:  # type: ignore[no-untyped-def]
    """Send a post with an image and a PDF, approve it as the test moderator through the
    review form (actors.make_moderator made them), run a worker; return the post's id."""
    post_id = post_with_files(instance, client, title)
    sign_in(client, *MODERATOR)
    page = client.get(f"/app/moderation/posts/{post_id}").get_data(as_text=True)
    data = {**EVENT, "title": title, "action": "approve_edited", "reason": "",
            "csrf_token": csrf_token(page)}  # fmt: skip
    response = client.post(f"/app/moderation/posts/{post_id}", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    sign_out(client)
    instance.worker_burst()
    return post_id
