"""The post form's flyers and images: one slot per file, each with its description.

The files are checked and processed while the form validates, so a bad file gets its
own field message next to the other fields' messages. They are stored only when the
whole form is valid: when another field fails, each chosen file's field says that it
was not kept and must be chosen again (a browser cannot refill a file input, and keeping
unsubmitted files on the server would leave orphans to clean up).
"""

from __future__ import annotations

import functools
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import FieldList, FormField, StringField
from wtforms.validators import Length, Optional

from ..services.uploads import Attachment, UploadRejected, process_image, process_pdf, read_limited
from ..upload_limits import UploadLimits
from .plain_text import FlaskForm, Form

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


def _process_slot(slot: Any, kind: str, limits: UploadLimits) -> Attachment | None:
    """Process one chosen file; on a refusal put the message on its field and return None."""
    text = " ".join(((slot.alt if kind == "image" else slot.title).data or "").split())
    try:
        if kind == "image":
            data = read_limited(slot.file.data.stream, limits.image_bytes, limits.image_megabytes)
            return Attachment("image", text, image=process_image(data, limits.max_pixels))
        data = read_limited(slot.file.data.stream, limits.pdf_bytes, limits.pdf_megabytes)
        return Attachment("pdf", text, pdf=process_pdf(data))
    except UploadRejected as exc:
        slot.file.errors.append(message(exc))
        return None


class AttachmentsMixin:
    """Adds file checks to a form class made by with_attachments."""

    upload_limits: UploadLimits
    attachments: list[Attachment]

    def check_files(self, rest_valid: bool) -> bool:
        """Process every chosen file; return whether all were accepted and kept."""
        self.attachments = []
        ok = True
        slots = [("image", s.form) for s in self.images] + [  # type: ignore[attr-defined]
            ("pdf", s.form)
            for s in self.pdfs  # type: ignore[attr-defined]
        ]
        for kind, slot in slots:
            if not _chosen(slot):
                continue
            if kind == "image" and not (slot.alt.data or "").strip():
                slot.alt.errors.append(str(ALT_REQUIRED))
                ok = False
            attachment = _process_slot(slot, kind, self.upload_limits)
            if attachment is None:
                ok = False
            else:
                self.attachments.append(attachment)
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
