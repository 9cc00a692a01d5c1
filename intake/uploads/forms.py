"""The post form's flyers and images: one slot per file, each with its description.

The files are checked while the form validates, so a bad file gets its own field message
next to the other fields' messages. Only the cheap checks (size, first bytes, an image's
header and pixel count) run on every submission; images are decoded, in a bounded child
process (image_decoding.py) within the pixel caps per image, per request and per account
and hour, and PDFs are rewritten, only once the rest of the form is valid. They are
stored only when the whole form is valid: when another field fails, each chosen file's
field says that it was not kept and must be chosen again (a browser cannot refill a
file input, and keeping unsubmitted files on the server would leave orphans to clean up).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from redis.exceptions import RedisError
from wtforms import FieldList, FormField, StringField
from wtforms.validators import Length, Optional

from ..web.auth import current_account, rt
from ..web.plain_text import FlaskForm, Form
from .budget import reserve_pixels
from .decoding import DecodeLimits, decode_image, decoder_slot
from .images import ImageHeader, inspect_image
from .limits import UploadLimits
from .scanning import Scanner, scan_upload
from .services import Attachment, UploadRejected, process_pdf, read_limited

IMAGE_TYPES = "image/jpeg,image/png,image/webp"
PDF_TYPES = "application/pdf,.pdf"

MESSAGES: dict[str, Any] = {
    "too_large": _l("ファイルが大きすぎます。%(limit_mb)s MB 以下のファイルを選んでください。"),
    "not_an_image": _l(
        "JPEG、PNG、WebP の画像ではありません。ファイルの中身が画像のものを選んでください。"
    ),
    "broken_image": _l("画像を読み込めませんでした。ファイルが壊れている可能性があります。"),
    "too_many_pixels": _l(
        "画像の画素数が多すぎます（%(megapixels)s メガピクセルまで）。縮小してから選んでください。"
    ),
    "not_a_pdf": _l("PDF ファイルではありません。ファイルの中身が PDF のものを選んでください。"),
    "encrypted_pdf": _l(
        "パスワードで保護された PDF は受け付けられません。保護を外してから選んでください。"
    ),
    "broken_pdf": _l("PDF を読み込めませんでした。ファイルが壊れている可能性があります。"),
    "too_many_pages": _l("PDF のページが多すぎます（%(pages)s ページまで）。"),
    "request_pixels": _l(
        "画像の画素数の合計が多すぎます（1回の送信で %(megapixels)s メガピクセルまで）。"
        "画像を縮小するか、枚数を減らしてください。"
    ),
    "hourly_pixels": _l(
        "この1時間に送信された画像の画素数が上限（%(megapixels)s メガピクセル）に達しました。"
        "時間をおいてから、もう一度送信してください。"
    ),
    "decoder_busy": _l("画像の処理が混み合っています。少し待ってから、もう一度送信してください。"),
    "infected": _l(
        "このファイルからコンピュータウイルスなどの不正なプログラムが見つかったため、"
        "受け付けられません。"
    ),
    "scanner_unavailable": _l(
        "ファイルのウイルス検査が今はできないため、ファイルを受け付けられません。"
        "時間をおいてから、もう一度送信してください。"
    ),
    "too_costly": _l(
        "画像の処理に時間またはメモリがかかりすぎました。縮小するか、別の形式で保存してから選んでください。"
    ),
}
ALT_REQUIRED = _l("画像の内容を説明する文（代替テキスト）を入力してください。")
NOT_KEPT = _l(
    "ほかの項目に問題があったため、このファイルは保存されていません。もう一度選んでください。"
)


def message(exc: UploadRejected) -> str:
    """Return the user's message for a refused file."""
    return str(MESSAGES[exc.code]) % exc.params if exc.params else str(MESSAGES[exc.code])


class ImageSlot(Form):
    file = FileField(_l("画像ファイル（JPEG・PNG・WebP）"), render_kw={"accept": IMAGE_TYPES})
    alt = StringField(
        _l("画像の説明（代替テキスト。画像を見られない人に読み上げられます）"),
        [Optional(), Length(max=300, message=_l("300文字以内で入力してください。"))],
    )


class PdfSlot(Form):
    file = FileField(_l("PDF ファイル（チラシなど）"), render_kw={"accept": PDF_TYPES})
    title = StringField(
        _l("PDF の題名（リンクの文字。空欄なら「チラシ」）"),
        [Optional(), Length(max=100, message=_l("100文字以内で入力してください。"))],
    )


def _chosen(slot: Any) -> bool:
    return bool(slot.file.data)


@dataclass
class _File:
    """A chosen file that passed the cheap checks: its bytes and, for an image, its header."""

    kind: str
    slot: Any
    data: bytes
    header: ImageHeader | None = None


def _read_checked(slot: Any, kind: str, limits: UploadLimits) -> _File:
    """Read a chosen file and run the checks that cost no decoding (size, bytes, header)."""
    if kind == "image":
        data = read_limited(slot.file.data.stream, limits.image_bytes, limits.image_megabytes)
        return _File(kind, slot, data, inspect_image(data, limits.max_pixels))
    data = read_limited(slot.file.data.stream, limits.pdf_bytes, limits.pdf_megabytes)
    if not data.startswith(b"%PDF-"):
        raise UploadRejected("not_a_pdf")
    return _File(kind, slot, data)


def _text(file: _File) -> str:
    return " ".join(
        ((file.slot.alt if file.kind == "image" else file.slot.title).data or "").split()
    )


def _refuse(files: list[_File], exc: UploadRejected) -> bool:
    for file in files:
        file.slot.file.errors.append(message(exc))
    return False


def _decode_images(images: list[_File], limits: UploadLimits) -> list[Attachment] | None:
    """Decode the request's images, bounded, within the request's and the account's pixels.

    Every cap is checked on the headers before a pixel is decoded; the account's hour is
    charged only once a decoder slot is held (a busy host charges nothing).
    """
    total = sum(f.header.pixels for f in images if f.header is not None)
    if total > limits.request_pixels:
        _refuse(images, UploadRejected("request_pixels", megapixels=limits.request_megapixels))
        return None
    runtime, me = rt(), current_account()
    decode_limits = DecodeLimits.from_settings(runtime.settings)
    done: list[Attachment] = []
    ok = True
    try:
        with decoder_slot(decode_limits):
            prefix = runtime.settings.redis_prefix
            if me is None or not reserve_pixels(
                runtime.redis, prefix, me.id, total, limits.hourly_pixels
            ):
                refusal = UploadRejected("hourly_pixels", megapixels=limits.hourly_megapixels)
                _refuse(images, refusal)
                return None
            for file in images:
                try:
                    image = decode_image(file.data, limits.max_pixels, decode_limits)
                except UploadRejected as exc:
                    file.slot.file.errors.append(message(exc))
                    ok = False
                else:
                    done.append(Attachment("image", _text(file), image=image))
    except UploadRejected as exc:  # every decoder of this host is busy
        _refuse(images, exc)
        return None
    except RedisError:  # the hour's count cannot be kept: decode nothing
        _refuse(images, UploadRejected("decoder_busy"))
        return None
    return done if ok else None


def _scan(files: list[_File]) -> bool:
    """Scan each file's original bytes when a virus scanner is configured (scanning.py).

    A scanner that does not answer refuses every file of the request: none is accepted
    unscanned.
    """
    runtime = rt()
    scanner = Scanner.from_settings(runtime.settings)
    if scanner is None or not files:
        return True
    me = current_account()
    ok = True
    for file in files:
        try:
            scan_upload(runtime, scanner, me.id if me else None, file.kind, file.data)
        except UploadRejected as exc:
            if exc.code == "scanner_unavailable":
                return _refuse(files, exc)
            file.slot.file.errors.append(message(exc))
            ok = False
    return ok


class AttachmentsMixin:
    """Adds file checks to a form class made by with_attachments."""

    upload_limits: UploadLimits
    attachments: list[Attachment]

    def check_files(self, rest_valid: bool) -> bool:
        """Check every chosen file; process them only when the whole form is otherwise valid.

        Return whether all were accepted and kept. An invalid form costs no decoding: its
        files get only the checks on their size, first bytes and header.
        """
        self.attachments = []
        ok = True
        slots = [("image", s.form) for s in self.images] + [  # type: ignore[attr-defined]
            ("pdf", s.form)
            for s in self.pdfs  # type: ignore[attr-defined]
        ]
        files: list[_File] = []
        for kind, slot in slots:
            if not _chosen(slot):
                continue
            if kind == "image" and not (slot.alt.data or "").strip():
                slot.alt.errors.append(str(ALT_REQUIRED))
                ok = False
            try:
                files.append(_read_checked(slot, kind, self.upload_limits))
            except UploadRejected as exc:
                slot.file.errors.append(message(exc))
                ok = False
        if ok and rest_valid:
            ok = self._process(files)
        if not (ok and rest_valid):
            # Nothing from this request is stored: say so on every accepted file.
            for _, slot in slots:
                if _chosen(slot) and not slot.file.errors:
                    slot.file.errors.append(str(NOT_KEPT))
            self.attachments = []
        for slots_field in (self.images, self.pdfs):  # type: ignore[attr-defined]
            # FieldList keeps the errors its entries had when it validated: add ours.
            errors = [entry.errors for entry in slots_field.entries]
            slots_field.errors = errors if any(errors) else []
        return ok

    def _process(self, files: list[_File]) -> bool:
        """Scan every file, then decode the images and rewrite the PDFs into self.attachments."""
        if not _scan(files):
            return False
        images = [f for f in files if f.kind == "image"]
        decoded = _decode_images(images, self.upload_limits) if images else []
        if decoded is None:
            return False
        ok = True
        pdfs: list[Attachment] = []
        for file in files:
            if file.kind != "pdf":
                continue
            try:
                pdfs.append(Attachment("pdf", _text(file), pdf=process_pdf(file.data)))
            except UploadRejected as exc:
                file.slot.file.errors.append(message(exc))
                ok = False
        self.attachments = decoded + pdfs
        return ok


@functools.cache
def with_attachments(base: type[FlaskForm], limits: UploadLimits) -> type[FlaskForm]:
    """Return base extended by the file slots the deployment allows (hiroba.toml [uploads])."""

    class WithAttachments(AttachmentsMixin, base):  # type: ignore[valid-type,misc]
        upload_limits = limits
        images = FieldList(
            FormField(ImageSlot), min_entries=limits.images, max_entries=limits.images
        )
        pdfs = FieldList(FormField(PdfSlot), min_entries=limits.pdfs, max_entries=limits.pdfs)

        def validate(self, extra_validators: Any = None) -> bool:
            rest_valid = super().validate(extra_validators)
            return self.check_files(rest_valid) and rest_valid

    WithAttachments.__name__ = f"{base.__name__}WithAttachments"
    return WithAttachments
