"""The organizers' forms: attendance, cancellation, export and messages to applicants."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, ValidationError

from ..web.forms import REQUIRED, length, required
from ..web.plain_text import FlaskForm
from .mail import AUDIENCES


class ApplicationActionForm(FlaskForm):
    """One application picked from the list (attendance or cancellation)."""

    application_id = IntegerField(_l("申込番号"), [InputRequired(message=REQUIRED)])
    attended = HiddenField(_l("出欠"))


class ExportForm(FlaskForm):
    """Only the CSRF token: the export is made for the event in the URL."""


class MessageForm(FlaskForm):
    """A mail to the event's applicants; the site sends it, addresses stay hidden."""

    audience = RadioField(
        _l("送り先"),
        choices=[SelectChoice(key, _l(label)) for key, (label, _) in AUDIENCES.items()],
        default="confirmed",
        validators=[required()],
    )
    subject = StringField(_l("件名"), [required(), length(150)])
    body = TextAreaField(
        _l("本文"), [required(), Length(max=5000, message=_l("5000文字以内で入力してください。"))]
    )

    def validate_subject(self, field: StringField) -> None:
        field.data = " ".join((field.data or "").split())  # one line: no header injection
        if not field.data:
            raise ValidationError(REQUIRED)

    def validate_body(self, field: TextAreaField) -> None:
        if not (field.data or "").strip():
            raise ValidationError(REQUIRED)
