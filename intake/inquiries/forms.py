"""The inquiries' forms: the public contact form (with applying's anti-abuse checks) and the
moderators' forms of one inquiry (status and assignee, a note, a reply).

The contact form has the same two checks without third parties as applying: a honeypot
field people never see (`website`) and a signed stamp of when the form was handed out
(`started`), refused when sent back sooner than HIROBA_APPLY_MIN_SECONDS. Its POSTs share
applying's rate limit (intake/web/hardening.py).
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from .. import validation as v
from ..web.fields import REQUIRED, Normalised, choices, length, required
from ..web.plain_text import FlaskForm
from ..web.public_forms import PublicForm
from .models import CATEGORIES, STATUS_LABELS

MESSAGE_MAX = 4000
REPLY_MAX = 5000
NO_CONTACT = _l("返信先のメールアドレスか電話番号のどちらかを入力してください。")


def _text(maximum: int) -> list[Any]:
    return [
        required(),
        Length(max=maximum, message=_l("%(n)s文字以内で入力してください。", n=maximum)),
    ]


class ContactForm(PublicForm):
    """An inquiry to the operator: what about, the message, who asks and how to answer."""

    category = RadioField(
        _l("お問い合わせの種類"),
        choices=choices(CATEGORIES),
        validators=[InputRequired(message=_l("お問い合わせの種類を選んでください。"))],
        validate_choice=False,
    )
    message = TextAreaField(_l("お問い合わせ内容"), _text(MESSAGE_MAX))
    name = StringField(_l("お名前"), [required(), length(100)])
    email = StringField(_l("返信先のメールアドレス"), [Normalised(v.email, True)])
    phone = StringField(_l("電話番号"), [Normalised(v.phone, True)])
    consent = BooleanField(
        _l("個人情報の取扱いに同意します"),
        [InputRequired(message=_l("送信するには同意が必要です。"))],
    )
    too_fast_message = _l(
        "送信が早すぎます。入力内容を確認してから、もう一度「送信する」を押してください。"
    )

    def validate_category(self, field: RadioField) -> None:
        if field.data not in CATEGORIES:
            raise ValidationError(_l("お問い合わせの種類を選んでください。"))

    def validate_message(self, field: TextAreaField) -> None:
        if not (field.data or "").strip():
            raise ValidationError(REQUIRED)

    def validate(self, extra_validators: Any = None) -> bool:
        """Check the fields, then that one way to answer is given and the anti-abuse checks."""
        valid = super().validate(extra_validators)
        self.form_errors = []
        if not self.email.data and not self.phone.data and not self.email.errors:
            self.email.errors = [*self.email.errors, NO_CONTACT]
            valid = False
        return self.looks_human() and valid


def contact_form(secret: bytes, min_seconds: int) -> ContactForm:
    """Build and bind the contact form, stamped when it is handed out."""
    form = ContactForm()
    form.stamp(secret, min_seconds)
    return form


class HandlingForm(FlaskForm):
    """An inquiry's status and the moderator who handles it (or nobody)."""

    status = SelectField(_l("状況"), choices=choices(STATUS_LABELS), validators=[required()])
    assignee = SelectField(_l("担当者"), choices=[], validate_choice=True)

    def set_moderators(self, moderators: dict[int, str]) -> None:
        # Public names are text people typed, not msgids: plain strings, which WTForms escapes.
        self.assignee.choices = [("", _l("（未定）"))] + [
            (str(account_id), name) for account_id, name in moderators.items()
        ]


class NoteForm(FlaskForm):
    """An internal note: moderators see it in the thread; it is never sent."""

    body = TextAreaField(_l("内部メモ"), _text(REPLY_MAX))

    def validate_body(self, field: TextAreaField) -> None:
        if not (field.data or "").strip():
            raise ValidationError(REQUIRED)


class ReplyForm(FlaskForm):
    """A reply mailed to the person who asked, and kept in the thread."""

    body = TextAreaField(_l("回答（メールで送信）"), _text(REPLY_MAX))

    def validate_body(self, field: TextAreaField) -> None:
        if not (field.data or "").strip():
            raise ValidationError(REQUIRED)
