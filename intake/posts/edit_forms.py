"""The poster's edit form: the post form, its new-file slots, and the files it has now.

Each current file gets a "外す" checkbox; the new files go in the same slots, with the
same checks, as on the first submission (intake/uploads/forms.py). Together they must stay
within the deployment's limits, checked before any file is processed so that a form
over the limit keeps nothing.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, ValidationError

from ..uploads.forms import with_attachments
from ..uploads.limits import UploadLimits
from ..web.forms import MultiCheckboxField, PostForm
from .edit_files import EditableFile

TOO_MANY = {
    "image": _l("画像は%(n)s枚までです。外す画像を選ぶか、追加を減らしてください。"),
    "pdf": _l("PDF は%(n)sつまでです。外す PDF を選ぶか、追加を減らしてください。"),
}


class EditPostForm(PostForm):
    """PostForm with the post's current files, each of which the poster may take away."""

    remove_files = MultiCheckboxField(_l("外すファイル（チェックしたファイルを削除します）"))
    current_files: list[EditableFile] = []

    def validate_remove_files(self, field: Any) -> None:
        """Refuse adding files beyond the deployment's limit, counting the kept ones."""
        limits: UploadLimits = self.upload_limits  # type: ignore[attr-defined]
        removing = set(field.data or [])
        for kind, slots, limit in (
            ("image", self.images, limits.images),  # type: ignore[attr-defined]
            ("pdf", self.pdfs, limits.pdfs),  # type: ignore[attr-defined]
        ):
            kept = sum(1 for f in self.current_files if f.kind == kind and f.token not in removing)
            new = sum(1 for slot in slots if slot.form.file.data)
            if new and kept + new > limit:  # a lowered limit never blocks a text edit
                raise ValidationError(str(TOO_MANY[kind]) % {"n": limit})


def file_label(file: EditableFile) -> str:
    """Return how the edit form names a current file (its kind and state in words)."""
    size_kb = max(1, round(file.size_bytes / 1024))
    if file.kind == "image":
        text = gettext("画像「%(alt)s」", alt=file.alt)
    else:
        text = gettext(
            "PDF「%(title)s」（%(kb)s KB）", title=file.alt or gettext("チラシ"), kb=size_kb
        )
    state = gettext("審査中の変更で追加") if file.proposed else gettext("登録済み")
    return f"{text}（{state}）"


def edit_form(
    limits: UploadLimits,
    files: list[EditableFile],
    data: dict[str, Any] | None = None,
    formdata: Any = "request",
) -> EditPostForm:
    """Return the edit form with this deployment's file slots and the post's current files."""
    cls = with_attachments(EditPostForm, limits)
    kwargs: dict[str, Any] = {"data": data or {}}
    if formdata != "request":
        kwargs["formdata"] = formdata
    form: EditPostForm = cls(**kwargs)
    form.current_files = files
    form.remove_files.choices = [SelectChoice(f.token, file_label(f)) for f in files]
    return form
