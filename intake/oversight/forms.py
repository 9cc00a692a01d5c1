"""The ledger page's form: a hand-over of personal data outside the software."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField
from wtforms.validators import ValidationError

from ..web.fields import REQUIRED, length, required
from ..web.plain_text import FlaskForm

BAD_DATE = _l("日付は 2026-12-07 のように、年-月-日で入力してください。")
BAD_QUANTITY = _l("数量は0以上の整数で入力してください。")
MAX_QUANTITY = 10_000_000


def parse_day(raw: str) -> date | None:
    """Return the date written YYYY-MM-DD (half- or full-width digits), or None."""
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        return None


def parse_quantity(raw: str) -> int | None:
    """Return a whole number from 0 to MAX_QUANTITY, or None."""
    text = (raw or "").strip()
    if not text.isdecimal():
        return None
    value = int(text)
    return value if value <= MAX_QUANTITY else None


class HandoverForm(FlaskForm):
    """Date, handler, content, quantity and recipient of one hand-over (管理簿への記入)."""

    on = StringField(_l("日付"), [required(), length(10)])
    handler = StringField(_l("取扱者"), [required(), length(100)])
    content = TextAreaField(_l("内容（何を、どの形で）"), [required(), length(2000)])
    quantity = StringField(_l("数量（件・枚・枚組）"), [required(), length(9)])
    recipient = StringField(_l("提供先・受領者"), [required(), length(200)])

    def validate_on(self, field: StringField) -> None:
        if parse_day(field.data) is None:
            raise ValidationError(BAD_DATE)

    def validate_quantity(self, field: StringField) -> None:
        if parse_quantity(field.data) is None:
            raise ValidationError(BAD_QUANTITY)

    def validate_handler(self, field: StringField) -> None:
        if not (field.data or "").strip():
            raise ValidationError(REQUIRED)

    validate_content = validate_handler
    validate_recipient = validate_handler
