"""The staff pages' forms: the report's period (a GET form) and a ledger hand-over."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import NumberRange, Optional, ValidationError

from ..web.fields import REQUIRED, length, required
from ..web.plain_text import FlaskForm
from .periods import Period, PeriodError, fiscal_year, make_period, parse_day


class PeriodForm(FlaskForm):
    """Either 年度 alone, or 開始日 and 終了日 (which win when given)."""

    class Meta:
        csrf = False

    year = IntegerField(
        _l("年度"),
        [
            Optional(),
            NumberRange(min=2000, max=2100, message=_l("2000から2100までの年で入力してください。")),
        ],
        id="report-year",
    )
    start = StringField(_l("開始日"), id="report-start")
    end = StringField(_l("終了日"), id="report-end")

    def period(self) -> Period | None:
        """Return the period asked for, or None with the fields' messages set."""
        start_text, end_text = (self.start.data or "").strip(), (self.end.data or "").strip()
        if not (start_text or end_text):
            return fiscal_year(self.year.data) if self.year.data is not None else None
        days = {}
        for field, text in ((self.start, start_text), (self.end, end_text)):
            if not text:
                field.errors = [_("開始日と終了日の両方を入力してください。")]
                continue
            try:
                days[field.name] = parse_day(text)
            except PeriodError as exc:
                field.errors = [_(str(exc))]
        if len(days) < 2:
            return None
        try:
            return make_period(days["start"], days["end"])
        except PeriodError as exc:
            self.end.errors = [_(str(exc))]
            return None


BAD_DATE = _l("日付は 2026-12-07 のように、年-月-日で入力してください。")
BAD_QUANTITY = _l("数量は0以上の整数で入力してください。")
MAX_QUANTITY = 10_000_000


def handover_day(raw: str) -> date | None:
    """Return the date written YYYY-MM-DD (or YYYY/MM/DD), or None."""
    try:
        return parse_day(raw or "")
    except PeriodError:
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
        if handover_day(field.data) is None:
            raise ValidationError(BAD_DATE)

    def validate_quantity(self, field: StringField) -> None:
        if parse_quantity(field.data) is None:
            raise ValidationError(BAD_QUANTITY)

    def validate_handler(self, field: StringField) -> None:
        if not (field.data or "").strip():
            raise ValidationError(REQUIRED)

    validate_content = validate_handler
    validate_recipient = validate_handler
