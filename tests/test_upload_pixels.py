"""Images cost CPU by pixels, not bytes: what the post form decodes, and what it refuses
before decoding (real app through the factory with CSRF on, real Redis, real Pillow)."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from actors import EVENT, open_group, sign_in
from conftest import csrf_token
from PIL import Image
from sqlalchemy import select
from upload_samples import jpeg_claiming, png, png_blank, png_claiming, webp_claiming
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from intake.config import Settings
from intake.models import Post, Upload
from intake.runtime import Runtime
from intake.uploads.budget import pixels_used
from intake.uploads.decoding import DecodeLimits, decoder_slot
from intake.web import create_app

GROUP = ("durable-group", "durable-password-1")
TITLE_REQUIRED = "この項目は必須です。"
NOT_KEPT = "このファイルは保存されていません。もう一度選んでください。"
BROKEN = "画像を読み込めませんでした"
TOO_MANY_PIXELS = "画像の画素数が多すぎます"
REQUEST_PIXELS = "画像の画素数の合計が多すぎます（1回の送信で 1 メガピクセルまで）"
HOURLY_PIXELS = "この1時間に送信された画像の画素数が上限（1 メガピクセル）に達しました"
BUSY = "画像の処理が混み合っています"
TOO_COSTLY = "画像の処理に時間またはメモリがかかりすぎました"

# Headers that say "within the per-image cap" over pixel data that is not there: a form
# that decoded the PNG would say BROKEN, one that did not says NOT_KEPT (libjpeg
# and libwebp pad what is missing, so those decode: the second status).
UNDECODABLE = [
    pytest.param(png_claiming(2000, 2000), 422, id="png"),
    pytest.param(jpeg_claiming(2000, 2000), 302, id="jpeg"),
    pytest.param(webp_claiming(2000, 2000), 302, id="webp"),
]
# Decompression bombs of every format we take: over the cap, refused from the header.
BOMBS = [
    pytest.param(png_claiming(30000, 30000), id="png-900mp"),
    pytest.param(png_claiming(9000, 5000), id="png-45mp"),
    pytest.param(jpeg_claiming(20000, 20000), id="jpeg-400mp"),
    pytest.param(jpeg_claiming(7000, 6000), id="jpeg-42mp"),
    pytest.param(webp_claiming(16384, 16384), id="webp-268mp"),
    pytest.param(webp_claiming(8000, 6000), id="webp-48mp"),
]


def _send(client, files: list[bytes], **fields: str):  # type: ignore[no-untyped-def]
    """POST the post form with these images (each described) as multipart, CSRF read from
    the form."""
    token = csrf_token(client.get("/app/posts/new").get_data(as_text=True))
    data: dict = {**EVENT, **fields, "csrf_token": token}
    for n, content in enumerate(files):
        data[f"images-{n}-file"] = FileStorage(io.BytesIO(content), f"photo{n}.png")
        data[f"images-{n}-alt"] = f"説明{n}"
    boundary, body = encode_multipart(data)
    return client.post(
        "/app/posts/new", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def _used(instance, account_id: int) -> int:  # type: ignore[no-untyped-def]
    return pixels_used(instance.rt.redis, instance.settings.redis_prefix, account_id)


def _stored(instance) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with instance.rt.sessions() as db:
        return len(db.scalars(select(Post)).all()), len(db.scalars(select(Upload)).all())


@pytest.fixture
def small_caps(instance) -> Iterator:  # type: ignore[no-untyped-def]
    """A client of an app whose caps are 1 megapixel per image, request and hour."""
    (instance.settings.home / "hiroba.toml").write_text(
        "[uploads]\nimage_megapixels = 1\nrequest_megapixels = 1\nhourly_megapixels = 1\n",
        encoding="utf-8",
    )
    rt = Runtime.from_settings(Settings.from_env(instance.env))
    try:
        yield create_app(rt.settings, runtime=rt).test_client()
    finally:
        rt.close()


@pytest.mark.parametrize(("image", "decoded_status"), UNDECODABLE)
def test_an_invalid_form_decodes_no_image(instance, client, image, decoded_status):
    _, group = open_group(instance)
    sign_in(client, *GROUP)
    response = _send(client, [image, png()], title="")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert TITLE_REQUIRED in html
    assert BROKEN not in html  # the pixel data was never read
    assert html.count(NOT_KEPT) == 2
    assert 'value="説明0"' in html and 'value="説明1"' in html
    assert _used(instance, group) == 0  # nothing was charged for decoding
    assert _stored(instance) == (0, 0)
    # The same file in a valid form is decoded (and the PNG found broken).
    response = _send(client, [image])
    assert response.status_code == decoded_status
    assert (BROKEN in response.get_data(as_text=True)) == (decoded_status == 422)
    assert _used(instance, group) == 4_000_000


@pytest.mark.parametrize("bomb", BOMBS)
@pytest.mark.parametrize("title", ["", "爆弾画像の投稿"])
def test_a_bomb_is_refused_from_its_header_valid_form_or_not(instance, client, bomb, title):
    _, group = open_group(instance)
    sign_in(client, *GROUP)
    response = _send(client, [bomb], title=title)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert TOO_MANY_PIXELS in html and "40 メガピクセルまで" in html
    assert (TITLE_REQUIRED in html) == (not title)
    assert 'value="説明0"' in html
    assert _used(instance, group) == 0
    assert _stored(instance) == (0, 0)


def test_the_request_cap_counts_every_image_before_any_is_decoded(instance, small_caps):
    _, group = open_group(instance)
    sign_in(small_caps, *GROUP)
    each = png_blank(800, 700)  # 0.56 megapixels: within the image cap, two are not
    response = _send(small_caps, [each, each], title="二枚の画像")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert html.count(REQUEST_PIXELS) == 2
    assert 'value="二枚の画像"' in html and 'value="説明1"' in html
    assert _used(instance, group) == 0
    assert _stored(instance) == (0, 0)
    response = _send(small_caps, [each], title="一枚の画像")
    assert response.status_code == 302
    assert _used(instance, group) == 560_000
    assert _stored(instance) == (1, 1)


def test_the_hourly_cap_refuses_an_account_over_it_and_keeps_the_input(instance, small_caps):
    _, group = open_group(instance)
    sign_in(small_caps, *GROUP)
    image = png_blank(800, 700)
    assert _send(small_caps, [image], title="一回目").status_code == 302
    response = _send(small_caps, [image], title="二回目")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert HOURLY_PIXELS in html
    assert 'value="二回目"' in html and 'value="説明0"' in html
    assert _used(instance, group) == 560_000  # the refused one charged nothing
    ttl = instance.rt.redis.ttl(f"hiroba:upload-pixels:{group}")
    assert 0 < ttl <= 3600
    assert _stored(instance) == (1, 1)
    # A post without images is still accepted.
    assert _send(small_caps, [], title="画像なし").status_code == 302


def test_a_busy_host_asks_to_send_again_and_charges_nothing(instance, client):
    _, group = open_group(instance)
    sign_in(client, *GROUP)
    with decoder_slot(DecodeLimits.from_settings(instance.settings)):  # another decode
        response = _send(client, [png()], title="混雑時の投稿")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert BUSY in html and 'value="混雑時の投稿"' in html
    assert _used(instance, group) == 0
    assert _stored(instance) == (0, 0)
    assert _send(client, [png()], title="空いてからの投稿").status_code == 302
    assert _stored(instance) == (1, 1)


def test_a_decode_over_its_memory_limit_is_stopped_and_refused(instance):
    (instance.settings.home / "hiroba.toml").write_text(
        "[uploads]\nimage_megapixels = 20\nrequest_megapixels = 20\nhourly_megapixels = 50\n",
        encoding="utf-8",
    )
    rt = Runtime.from_settings(
        Settings.from_env({**instance.env, "HIROBA_IMAGE_DECODE_MEGABYTES": "50"})
    )
    try:
        client = create_app(rt.settings, runtime=rt).test_client()
        open_group(instance)
        sign_in(client, *GROUP)
        out = io.BytesIO()
        Image.new("RGBA", (4000, 4000), (1, 2, 3, 4)).save(out, "PNG")  # 64 MB decoded
        response = _send(client, [out.getvalue()], title="重い画像")
        html = response.get_data(as_text=True)
        assert response.status_code == 422
        assert TOO_COSTLY in html and 'value="重い画像"' in html
        assert _send(client, [png()], title="軽い画像").status_code == 302  # the limit allows it
    finally:
        rt.close()
    assert _stored(instance) == (1, 1)
