"""Flyers and images: checked by content, cleaned of metadata, private until approval,
published with the post (real Redis, real rq worker, real Pelican build) and removed with it."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from actors import EVENT, make_moderator, open_group, sign_in, sign_out
from conftest import csrf_token
from language_support import said
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select
from upload_samples import (
    GPS_IFD,
    LEAK_AUTHOR,
    LEAK_COMMENT,
    LEAK_MAKE,
    LEAK_PRODUCER,
    LEAK_XMP,
    pdf_with_metadata,
    photo_with_gps,
    png,
    png_claiming,
)
from uploads_support import (
    BACKENDS,
    backend_instance,
    encryption_of,
    private_files,
    private_folders,
)
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from intake.config import Settings
from intake.models import Post, Upload
from intake.posts.edits import withdraw_post
from intake.runtime import Runtime
from intake.site.takedown import take_down
from intake.uploads.services import UploadRejected, process_image, process_pdf
from intake.web import create_app

GROUP = ("durable-group", "durable-password-1")
TITLE = "チラシつきの催し"
LEAKS = (LEAK_MAKE.encode(), LEAK_COMMENT, LEAK_AUTHOR.encode(), LEAK_PRODUCER.encode(),
         LEAK_XMP.encode(), b"Exif", b"GPS")  # fmt: skip


@pytest.fixture(params=BACKENDS)
def instance(request, tmp_path, database_url, redis_server, monkeypatch):  # type: ignore[no-untyped-def]
    """Each instance test runs with the uploads in this host's folder and in a bucket."""
    yield from backend_instance(request, tmp_path, database_url, redis_server, monkeypatch)


def _no_leaks(data: bytes) -> None:
    for probe in LEAKS:
        assert probe not in data, probe


# Processing: pure functions, real Pillow and pypdf.


def test_photo_loses_exif_and_gps_and_is_turned_upright():
    source = photo_with_gps(40, 20, orientation=6)
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(GPS_IFD)  # the sample has GPS
    result = process_image(source, max_pixels=1_000_000)
    assert (result.width, result.height) == (20, 40)  # rotated by the EXIF orientation
    for data in result.files.values():
        _no_leaks(data)
        image = Image.open(io.BytesIO(data))
        assert image.format == "WEBP"
        assert not image.getexif() and not image.getexif().get_ifd(GPS_IFD)
        assert "exif" not in image.info and "icc_profile" not in image.info
        assert "xmp" not in image.info and "comment" not in image.info
    upright = Image.open(io.BytesIO(result.files[20])).convert("RGB")
    top, bottom = upright.getpixel((10, 3)), upright.getpixel((10, 36))
    assert top[2] > 150 > top[0] and bottom[0] > 150 > bottom[2]  # blue above, red below


def test_large_image_gets_smaller_variants_and_a_capped_original():
    out = io.BytesIO()
    Image.new("RGB", (2000, 500), (10, 20, 30)).save(out, "PNG")
    result = process_image(out.getvalue(), max_pixels=40_000_000)
    assert sorted(result.files) == [480, 960, 1600]
    assert (result.width, result.height) == (1600, 400)
    assert Image.open(io.BytesIO(result.files[480])).size == (480, 120)


def test_pdf_loses_its_information_dictionary_and_xmp():
    source = pdf_with_metadata()
    assert PdfReader(io.BytesIO(source)).metadata["/Author"] == LEAK_AUTHOR
    cleaned = process_pdf(source)
    _no_leaks(cleaned)
    reader = PdfReader(io.BytesIO(cleaned))
    assert reader.metadata is None and reader.xmp_metadata is None
    assert "/Info" not in reader.trailer and "/Metadata" not in reader.root_object
    assert len(reader.pages) == 1


@pytest.mark.parametrize(
    ("kind", "data", "code"),
    [
        ("image", b"GIF89a not what we take", "not_an_image"),
        ("image", b"\xff\xd8\xff\xe0 a JPEG header and nothing else", "broken_image"),
        ("image", png_claiming(30000, 30000), "too_many_pixels"),
        ("pdf", b"\x89PNG\r\n\x1a\n not a PDF", "not_a_pdf"),
        ("pdf", b"%PDF-1.7\n%%garbage without objects\n", "broken_pdf"),
        ("pdf", pdf_with_metadata(password="secret-1"), "encrypted_pdf"),
    ],
)
def test_bad_files_are_refused_by_content(kind, data, code):
    with pytest.raises(UploadRejected) as refused:
        process_image(data, 40_000_000) if kind == "image" else process_pdf(data)
    assert refused.value.code == code


# Through the post form: real app, real database.


def _form(files: dict[str, tuple[bytes, str]], **fields: str) -> dict:
    data: dict = {**EVENT, **fields}
    for name, (content, filename) in files.items():
        data[name] = FileStorage(io.BytesIO(content), filename, content_type="image/jpeg")
    return data


def _send(client, data: dict, token: str | None = None):  # type: ignore[no-untyped-def]
    """POST the post form as multipart built in memory (the test client would spool a
    large body to a temporary file it never closes)."""
    if token is None:
        token = csrf_token(client.get("/app/posts/new").get_data(as_text=True))
    boundary, body = encode_multipart({**data, "csrf_token": token})
    return client.post(
        "/app/posts/new", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def _uploads(instance) -> list[Upload]:  # type: ignore[no-untyped-def]
    with instance.rt.sessions() as db:
        return list(db.scalars(select(Upload).order_by(Upload.id)))


def _files_named(root: Path, token: str) -> list[Path]:
    return [p for p in root.rglob(f"*{token}*")] if root.exists() else []


def test_wrong_content_and_missing_alt_get_field_messages_and_input_is_kept(instance, client):
    open_group(instance)
    sign_in(client, *GROUP)
    response = _send(
        client,
        _form(
            {"images-0-file": (b"this is text, not a photo", "photo.jpg"),
             "images-1-file": (png(), "flyer.png"), "pdfs-0-file": (b"plain text", "flyer.pdf")},
            title="説明のない画像つきの投稿",
            **{"pdfs-1-file": "a text value where a file belongs"},  # ignored, never a 500
        ),
    )  # fmt: skip
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "JPEG、PNG、WebP の画像ではありません" in html
    assert "代替テキスト）を入力してください" in html  # images-1 has no description
    assert "PDF ファイルではありません" in html
    assert 'value="説明のない画像つきの投稿"' in html
    assert re.search(r'id="images-0-file-error"', html)
    assert 'aria-describedby="images-0-file-error"' in html
    assert _uploads(instance) == []
    assert private_files(instance) == {}
    with instance.rt.sessions() as db:
        assert db.scalars(select(Post)).all() == []


def test_good_files_are_not_kept_when_another_field_fails(instance, client):
    open_group(instance)
    sign_in(client, *GROUP)
    response = _send(
        client,
        _form({"images-0-file": (png(), "ok.png")}, title="", **{"images-0-alt": "緑の四角"}),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "このファイルは保存されていません。もう一度選んでください。" in html
    assert 'value="緑の四角"' in html  # the description is kept
    assert _uploads(instance) == []


def test_too_large_files_get_the_form_back_not_a_413_page(instance, tmp_path):
    (instance.settings.home / "hiroba.toml").write_text(
        "[uploads]\nimages = 1\npdfs = 0\nimage_megabytes = 1\n", encoding="utf-8"
    )
    settings = Settings.from_env(instance.env)
    assert settings.deployment.uploads.request_bytes == 2 * 1024 * 1024
    rt = Runtime.from_settings(settings)
    try:
        client = create_app(settings, runtime=rt).test_client()
        open_group(instance)
        sign_in(client, *GROUP)
        over_one = b"\xff\xd8\xff" + b"\0" * (1024 * 1024 + 10)
        response = _send(
            client,
            _form({"images-0-file": (over_one, "big.jpg")}, title="大きな画像の投稿",
                  **{"images-0-alt": "大きな画像"}),
        )  # fmt: skip
        html = response.get_data(as_text=True)
        assert response.status_code == 422
        assert "ファイルが大きすぎます。1 MB 以下のファイルを選んでください。" in html
        assert 'value="大きな画像の投稿"' in html
        assert 'name="pdfs-0-file"' not in html  # pdfs = 0: no PDF slot
        # Over the whole request's limit: refused before it is read, the form comes back.
        huge = b"\xff\xd8\xff" + b"\0" * (3 * 1024 * 1024)
        response = _send(client, _form({"images-0-file": (huge, "huge.jpg")}))
        html = response.get_data(as_text=True)
        assert response.status_code == 413
        assert "ファイルが大きすぎるため、送信を受け付けられませんでした" in html
        assert 'enctype="multipart/form-data"' in html and 'name="title"' in html
        # Other forms keep the small limit.
        response = client.post("/app/login", data={"login": "x" * (2 * 1024 * 1024)})
        assert response.status_code == 413
    finally:
        rt.close()
    assert _uploads(instance) == []


def _post_with_files(instance, client) -> tuple[int, Upload, Upload]:  # type: ignore[no-untyped-def]
    sign_in(client, *GROUP)
    response = _send(
        client,
        _form(
            {"images-0-file": (photo_with_gps(40, 20), "IMG_0001.JPG"),
             "pdfs-0-file": (pdf_with_metadata(), "flyer.pdf")},
            title=TITLE,
            **{"images-0-alt": "川沿いを歩く参加者の写真", "pdfs-0-title": "催しのチラシ"},
        ),
    )  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    sign_out(client)
    image, pdf = _uploads(instance)
    assert (image.kind, pdf.kind) == ("image", "pdf")
    assert image.post_id == pdf.post_id and image.state == pdf.state == "pending"
    return image.post_id, image, pdf  # type: ignore[return-value]


def _status(client, url: str) -> int:  # type: ignore[no-untyped-def]
    """GET url and return its status, closing the response (a served file stays open else)."""
    with client.get(url) as response:
        return int(response.status_code)


def _approve(client, post_id: int) -> None:  # type: ignore[no-untyped-def]
    """Approve through the moderator's review form, sending its fields back as they were."""
    page = client.get(f"/app/moderation/posts/{post_id}").get_data(as_text=True)
    data = {**EVENT, "title": TITLE, "action": "approve_edited", "reason": "",
            "csrf_token": csrf_token(page)}  # fmt: skip
    response = client.post(f"/app/moderation/posts/{post_id}", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]


def _site_has(instance, token: str) -> bool:  # type: ignore[no-untyped-def]
    """Tell whether a file of this upload is in the content tree or the live site."""
    settings = instance.settings
    live = settings.live_dir.resolve() if settings.live_dir.exists() else settings.site_dir
    return bool(_files_named(settings.content_dir, token) or _files_named(live, token))


def test_files_stay_private_until_approval_then_publish_and_leave_with_the_post(instance, client):
    moderator_id, _ = open_group(instance)
    make_moderator(instance)
    post_id, image, pdf = _post_with_files(instance, client)
    kept = private_files(instance)
    assert sorted(kept) == sorted([f"{image.token}/20.webp", f"{pdf.token}/flyer.pdf"])
    for data in kept.values():
        _no_leaks(data)
    if instance.settings.uploads_location.is_s3:
        assert set(encryption_of(instance).values()) == {"AES256"}  # encrypted at rest
    instance.worker_burst()  # ingest: still nothing public
    assert not _site_has(instance, image.token) and not _site_has(instance, pdf.token)
    assert _status(client, f"/media/{post_id}/{image.token}-20.webp") == 404
    assert _status(client, f"/app/moderation/uploads/{image.token}") == 302  # sign in

    sign_in(client, *GROUP)  # the poster is not a moderator
    assert _status(client, f"/app/moderation/uploads/{image.token}") == 403
    sign_out(client)

    sign_in(client, "mod-tester", "moderator-password-1")
    review = client.get(f"/app/moderation/posts/{post_id}").get_data(as_text=True)
    assert f"/app/moderation/uploads/{image.token}" in review
    assert "川沿いを歩く参加者の写真" in review
    with client.get(f"/app/moderation/uploads/{image.token}") as shown:
        assert shown.status_code == 200 and shown.mimetype == "image/webp"
        assert shown.headers["X-Content-Type-Options"] == "nosniff"
        assert shown.headers["Content-Disposition"] == f"inline; filename={image.token}.webp"
        assert "no-store" in shown.headers["Cache-Control"]
        assert Image.open(io.BytesIO(shown.get_data())).size == (20, 40)
    with client.get(f"/app/moderation/uploads/{pdf.token}") as shown:
        assert shown.status_code == 200 and shown.mimetype == "application/pdf"
        assert shown.headers["X-Content-Type-Options"] == "nosniff"
    assert _status(client, "/app/moderation/uploads/" + "0" * 32) == 404
    assert _status(client, "/app/moderation/uploads/../../hiroba.db") == 404
    _approve(client, post_id)
    sign_out(client)

    instance.worker_burst()  # publish and build
    live = instance.settings.live_dir.resolve()
    media = live / "media" / str(post_id)
    assert sorted(p.name for p in media.iterdir()) == sorted(
        [f"{image.token}-20.webp", f"{pdf.token}.pdf"]
    )
    published = (media / f"{image.token}-20.webp").read_bytes()
    _no_leaks(published)
    assert not Image.open(io.BytesIO(published)).getexif()
    _no_leaks((media / f"{pdf.token}.pdf").read_bytes())
    html = (live / "events" / str(post_id) / "index.html").read_text(encoding="utf-8")
    [img] = re.findall(r"<img [^>]*>", html)
    for attribute in (f'src="/media/{post_id}/{image.token}-20.webp"', 'width="20"',
                      'height="40"', 'loading="lazy"', 'decoding="async"',
                      f'srcset="/media/{post_id}/{image.token}-20.webp 20w"', "sizes=",
                      'alt="川沿いを歩く参加者の写真"'):  # fmt: skip
        assert attribute in img, attribute
    size_kb = max(1, round(pdf.size_bytes / 1024))
    assert f"催しのチラシ</span>（PDF、{size_kb} KB）</a>" in html
    assert f'href="/media/{post_id}/{pdf.token}.pdf"' in html
    assert f'"image":["/media/{post_id}/{image.token}-20.webp"]' in html  # JSON-LD
    with client.get(f"/media/{post_id}/{image.token}-20.webp") as served:
        assert served.status_code == 200 and served.mimetype == "image/webp"
    assert {u.state for u in _uploads(instance)} == {"live"}

    take_down(instance.rt, moderator_id, post_id, "掲載基準に合わないため")
    instance.worker_burst()
    live = instance.settings.live_dir.resolve()
    assert not (live / "media" / str(post_id)).exists()
    assert not _files_named(live, image.token) and not _files_named(live, pdf.token)
    assert not (instance.settings.content_dir / "media" / str(post_id)).exists()
    assert _status(client, f"/media/{post_id}/{image.token}-20.webp") == 404
    assert {u.state for u in _uploads(instance)} == {"pending"}  # kept privately
    assert private_files(instance) == kept


def test_a_withdrawn_post_takes_its_files_off_the_site_and_deletes_them(instance, client):
    _, group = open_group(instance)
    make_moderator(instance)
    post_id, image, pdf = _post_with_files(instance, client)
    sign_in(client, "mod-tester", "moderator-password-1")
    _approve(client, post_id)
    sign_out(client)
    instance.worker_burst()
    assert (instance.settings.live_dir / "media" / str(post_id)).is_dir()
    withdraw_post(instance.rt, group, post_id)
    instance.worker_burst()
    assert not _site_has(instance, image.token) and not _site_has(instance, pdf.token)
    assert image.token not in private_folders(instance)
    assert private_files(instance) == {}
    if instance.settings.uploads_location.is_s3:
        s3 = instance.settings.uploads_location
        from intake.objectstore import client

        assert client(instance.settings).list_objects_v2(Bucket=s3.bucket).get("KeyCount") == 0
    assert _uploads(instance) == []  # the rows go with the files


@pytest.mark.parametrize(
    ("toml", "sentence"),
    [
        ("[uploads]\nimages = 11\n", "uploads.images must be a whole number, 0 to 10."),
        ("[uploads]\npdf_megabytes = true\n", "uploads.pdf_megabytes must be a whole number"),
        ("[uploads]\nvideos = 1\n", "uploads.videos is not a known key."),
    ],
)
def test_bad_upload_limits_stop_start_up_with_one_sentence(tmp_path, toml, sentence):
    from intake.deployment import load_deployment
    from intake.errors import ConfigError

    (tmp_path / "hiroba.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"uploads\.\w+ は") as caught:
        load_deployment(tmp_path)
    assert sentence in said(caught.value, "en")
    (tmp_path / "hiroba.toml").write_text("[uploads]\nimages = 0\npdfs = 1\n", encoding="utf-8")
    limits = load_deployment(tmp_path).uploads
    assert (limits.images, limits.pdfs, limits.image_megabytes) == (0, 1, 10)
