"""The report's period form: a fiscal year, or a range of days (a GET form: no CSRF token)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import NumberRange, Optional

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
