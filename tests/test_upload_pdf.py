"""A flyer's hidden data (comments, actions, attachments, forms, metadata) is gone from the
stored and the published file, as raw bytes and object by object (real app with CSRF on,
real rq worker, real Pelican build, real pypdf)."""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator

from actors import EVENT, make_moderator, open_group, sign_in, sign_out
from conftest import csrf_token
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject
from sqlalchemy import select
from upload_samples import PDF_ACTION_KEYS, PDF_MARKERS, pdf_with_hidden_data
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from intake.models import Upload

GROUP = ("durable-group", "durable-password-1")
TITLE = "隠れた情報つきのチラシ"
RAW_MARKERS = [v for k, v in PDF_MARKERS.items() if v.isascii()]


def _values(reader: PdfReader) -> Iterator[object]:
    """Yield every object of the file, every key, value and decoded stream within it."""
    seen: set[int] = set()
    todo: list[object] = [reader.get_object(n) for n in range(1, _size(reader))]
    todo.append(reader.trailer)
    while todo:
        item = todo.pop()
        if isinstance(item, IndirectObject):
            if item.idnum in seen:
                continue
            seen.add(item.idnum)
            item = item.get_object()
        yield item
        if isinstance(item, DictionaryObject):
            for key, value in item.items():
                yield key
                todo.append(value)
            if isinstance(item, StreamObject):
                yield item.get_data()
        elif isinstance(item, ArrayObject):
            todo.extend(item)


def _size(reader: PdfReader) -> int:
    return int(reader.trailer["/Size"])


def _assert_clean(data: bytes) -> None:
    """No marker in the raw bytes (nor zlib-inflated), and none in any object pypdf reads."""
    raw = data.lower()
    for marker in RAW_MARKERS:
        assert marker.lower().encode() not in raw, marker
    for key in PDF_ACTION_KEYS:
        assert key.encode() + b" " not in data and key.encode() + b"\n" not in data, key
    for chunk in data.split(b"stream")[1:]:
        try:
            inflated = zlib.decompressobj().decompress(chunk.lstrip(b"\r\n"))
        except zlib.error:
            continue
        for marker in RAW_MARKERS:
            assert marker.encode() not in inflated, marker
    reader = PdfReader(io.BytesIO(data))
    texts = []
    for value in _values(reader):
        if isinstance(value, bytes):
            texts.append(value.decode("latin-1"))
        else:
            texts.append(str(value))
    found = "\n".join(texts)
    for marker in PDF_MARKERS.values():
        assert marker not in found, marker
    for key in PDF_ACTION_KEYS:
        assert key not in texts, key
    for scheme in ("javascript:", "vbscript:"):
        assert scheme not in found.lower(), scheme
    assert reader.metadata is None and reader.xmp_metadata is None
    # The one plain link stays, as a link and nothing more.
    [page] = reader.pages
    [link] = [a.get_object() for a in page["/Annots"]]
    assert link["/A"]["/URI"] == "https://example.org/kept"
    assert set(link) == {"/Type", "/Subtype", "/Rect", "/Border", "/A"}
    assert set(link["/A"]) == {"/S", "/URI"}


def test_the_sample_carries_every_kind_of_hidden_data():
    data = pdf_with_hidden_data()
    for marker in RAW_MARKERS:
        assert marker.encode() in data, marker
    found = "\n".join(str(v) for v in _values(PdfReader(io.BytesIO(data))))
    for marker in PDF_MARKERS.values():
        assert marker in found, marker
    for key in PDF_ACTION_KEYS:
        assert key in found, key


def test_a_flyers_hidden_data_is_gone_from_the_stored_and_the_published_file(instance, client):
    open_group(instance)
    make_moderator(instance)
    sign_in(client, *GROUP)
    token = csrf_token(client.get("/app/posts/new").get_data(as_text=True))
    flyer = FileStorage(io.BytesIO(pdf_with_hidden_data()), "flyer.pdf")
    data = {**EVENT, "title": TITLE, "pdfs-0-title": "チラシ", "pdfs-0-file": flyer,
            "csrf_token": token}  # fmt: skip
    boundary, body = encode_multipart(data)
    response = client.post(
        "/app/posts/new", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    sign_out(client)
    with instance.rt.sessions() as db:
        upload = db.scalars(select(Upload)).one()
    stored = (instance.settings.home / "uploads" / upload.token / "flyer.pdf").read_bytes()
    _assert_clean(stored)

    sign_in(client, "mod-tester", "moderator-password-1")
    with client.get(f"/app/moderation/uploads/{upload.token}") as shown:
        assert shown.status_code == 200
        _assert_clean(shown.get_data())
    page = client.get(f"/app/moderation/posts/{upload.post_id}").get_data(as_text=True)
    response = client.post(
        f"/app/moderation/posts/{upload.post_id}",
        data={**EVENT, "title": TITLE, "action": "approve_edited", "reason": "",
              "csrf_token": csrf_token(page)},
    )  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    sign_out(client)
    instance.worker_burst()  # publish and build
    published = (
        instance.settings.live_dir.resolve() / "media" / str(upload.post_id) / f"{upload.token}.pdf"
    ).read_bytes()
    _assert_clean(published)
