"""Forms of the moderators' site tools: takedown, removal requests and removing overdue items."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectMultipleField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from ..web.plain_text import FlaskForm


def _reason_required(form: FlaskForm, field: TextAreaField) -> None:
    if not (field.data or "").strip():
        raise ValidationError(_l("理由を入力してください。投稿者に伝えられます。"))


def _reason_field(label: str, field_id: str) -> TextAreaField:
    """A required reason the poster is told: not blank, at most 2,000 characters."""
    return TextAreaField(
        label,
        [
            InputRequired(message=_l("理由を入力してください。投稿者に伝えられます。")),
            Length(max=2000, message=_l("2000文字以内で入力してください。")),
            _reason_required,
        ],
        id=field_id,
    )


class TakedownForm(FlaskForm):
    """Emergency takedown (緊急非公開): the reason is shown and mailed to the poster."""

    reason = _reason_field(_l("非公開にする理由（必須。投稿者に伝えられます）"), "takedown-reason")


class StaleRequestForm(FlaskForm):
    """A request to the poster to update or withdraw stale content (古い情報の削除依頼)."""

    reason = _reason_field(_l("削除を依頼する理由（必須。投稿者に伝えられます）"), "stale-reason")


class RemoveOverdueForm(FlaskForm):
    """Removes the checked overdue items (期限切れの削除依頼) from the site."""

    posts = SelectMultipleField(
        _l("削除する投稿"),
        coerce=int,
        validators=[InputRequired(message=_l("削除する投稿を選んでください。"))],
        validate_choice=False,
    )
