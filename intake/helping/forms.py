"""Forms of helping people: the account search, switching an account on again, a factor
reset's request and confirmation, a correction's note and a restoration's reason."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField
from wtforms.validators import ValidationError

from ..web.fields import REQUIRED, length, required
from ..web.plain_text import FlaskForm


def _not_blank(_form: FlaskForm, field: StringField) -> None:
    if not (field.data or "").strip():
        raise ValidationError(REQUIRED)


class SearchForm(FlaskForm):
    """Find an account (sent by POST: the words are personal data, never in the URL)."""

    query = StringField(
        _l("名前・ふりがな・ログインID・電話番号・メールアドレスの一部"),
        [required(), length(100), _not_blank],
        id="search-query",
    )


class ReenableForm(FlaskForm):
    """Switch a disabled account on again; the reason goes to the audit log only."""

    reason = TextAreaField(
        _l("利用再開の理由（監査ログに記録されます）"),
        [required(), length(500), _not_blank],
        id="reenable-reason",
    )


class FactorRequestForm(FlaskForm):
    """Ask for the reset of a staff member's second factor; another moderator confirms."""

    reason = TextAreaField(
        _l("リセットを依頼する理由（監査ログに記録されます）"),
        [required(), length(500), _not_blank],
        id="factor-reason",
    )


class ConfirmForm(FlaskForm):
    """A button with its CSRF token only (the confirmation of a factor reset)."""


class CorrectionNoteForm(FlaskForm):
    """Why the moderator corrected a live post: mailed to the poster with the changes."""

    note = TextAreaField(
        _l("修正の理由（任意。投稿者へのメールに載ります）"), [length(2000)], id="correction-note"
    )


class RestoreForm(FlaskForm):
    """Put a taken-down post back; the reason goes to the audit log."""

    reason = TextAreaField(
        _l("再公開の理由（監査ログに記録されます）"),
        [required(), length(500), _not_blank],
        id="restore-reason",
    )
