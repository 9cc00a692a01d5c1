"""The moderators' forms: an operator notice, the site-wide banner, and the buttons that
withdraw a notice or clear the banner (their CSRF token is their only field)."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from wtforms import DateTimeLocalField, RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Optional, ValidationError

from ..formatting import dates
from ..web.fields import choices, length, required
from ..web.plain_text import FlaskForm
from .models import LEVEL_LABELS, BannerLevel

LONGEST_BANNER = timedelta(days=31)  # a banner is for an event, not a standing message


class NoticeForm(FlaskForm):
    """An operator notice (運営からのお知らせ): published as soon as it is saved."""

    title = StringField(_l("タイトル"), [required(), length(100)], id="notice-title")
    summary = TextAreaField(
        _l("概要（一覧に表示される短い説明）"), [required(), length(300)], id="notice-summary"
    )
    body = TextAreaField(
        _l("本文（Markdown が使えます）"), [Optional(), length(10000)], id="notice-body"
    )


class WithdrawForm(FlaskForm):
    """The button that takes an operator notice off the site."""


class ClearBannerForm(FlaskForm):
    """The button that takes the site-wide banner down now."""


class BannerForm(FlaskForm):
    """The site-wide banner: its level, its text in Japanese (and English), its end time."""

    level = RadioField(
        _l("種類"),
        choices=choices({str(k): v for k, v in LEVEL_LABELS.items()}),
        validators=[InputRequired(message=_l("バナーの種類を選んでください。"))],
        validate_choice=False,
        id="banner-level",
    )
    text_ja = TextAreaField(_l("表示する文（日本語）"), [required(), length(200)], id="banner-ja")
    text_en = TextAreaField(
        _l("表示する文（英語・任意。空欄なら英語のページにも日本語の文を表示）"),
        [Optional(), length(200)],
        id="banner-en",
    )
    ends_at = DateTimeLocalField(
        _l("表示を終える日時（日本時間）"),
        [InputRequired(message=_l("表示を終える日時を入力してください。"))],
        format="%Y-%m-%dT%H:%M",
        id="banner-ends",
    )

    def validate_level(self, field: RadioField) -> None:
        if field.data not in set(BannerLevel):
            raise ValidationError(_l("バナーの種類を選んでください。"))

    def validate_ends_at(self, field: DateTimeLocalField) -> None:
        if field.data is None:
            raise ValidationError(_l("日時は 2026-12-07T18:00 の形で入力してください。"))
        now = dates.japan_now()  # naive Japan time, as the field
        if field.data <= now:
            raise ValidationError(_l("表示を終える日時には、これから先の日時を入力してください。"))
        if field.data > now + LONGEST_BANNER:
            raise ValidationError(_l("表示を終える日時は31日以内にしてください。"))

    def ends_utc(self) -> datetime:
        """Return the end time as stored: naive UTC."""
        assert self.ends_at.data is not None
        return dates.japan_utc(self.ends_at.data)
