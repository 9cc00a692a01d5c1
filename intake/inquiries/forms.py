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
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from .. import validation as v
from ..applications.links import form_stamp, stamp_age
from ..web.fields import REQUIRED, Normalised, choices, length, required
from ..web.plain_text import FlaskForm
from .models import CATEGORIES, STATUS_LABELS

MESSAGE_MAX = 4000
REPLY_MAX = 5000
HONEYPOT_MESSAGE = _l("送信を受け付けられませんでした。入力欄以外の項目が変更されています。")
TOO_FAST_MESSAGE = _l(
    "送信が早すぎます。入力内容を確認してから、もう一度「送信する」を押してください。"
)
STALE_MESSAGE = _l("フォームの有効期限が切れました。内容を確認して、もう一度送信してください。")
NO_CONTACT = _l("返信先のメールアドレスか電話番号のどちらかを入力してください。")


def _text(maximum: int) -> list[Any]:
    return [
        required(),
        Length(max=maximum, message=_l("%(n)s文字以内で入力してください。", n=maximum)),
    ]


class ContactForm(FlaskForm):
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
    # Hidden from people by CSS and from assistive technology; bots fill it in.
    website = StringField(_l("この欄は入力しないでください"), [Optional()])
    started = HiddenField()

    secret: bytes = b""
    min_seconds: int = 0
    form_errors: list[str]

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
        if (self.website.data or "").strip():
            self.form_errors.append(HONEYPOT_MESSAGE)
            valid = False
        elif self.min_seconds:
            age = stamp_age(self.secret, self.started.data or "")
            if age is None:
                self.form_errors.append(STALE_MESSAGE)
                self.started.data = form_stamp(self.secret)
                valid = False
            elif age < self.min_seconds:
                self.form_errors.append(TOO_FAST_MESSAGE)
                valid = False
        return valid


def contact_form(secret: bytes, min_seconds: int) -> ContactForm:
    """Build and bind the contact form, stamped when it is handed out."""
    form = ContactForm()
    form.secret, form.min_seconds, form.form_errors = secret, min_seconds, []
    if not form.is_submitted():
        form.started.data = form_stamp(secret)
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
