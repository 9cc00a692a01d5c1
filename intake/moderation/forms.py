"""Forms of post moderation: a review's decision, bulk decisions, reason templates, and the
poster's withdrawal confirmation."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from ..web.plain_text import FlaskForm
from .decisions import Subject
from .models import DecisionAction

REQUIRED = _l("この項目は必須です。")
DECISIONS = [
    SelectChoice(DecisionAction.APPROVE, _l("承認する")),
    SelectChoice(DecisionAction.REJECT, _l("差し戻す（却下）")),
]


def _length(maximum: int) -> Length:
    return Length(max=maximum, message=_l("%(n)s文字以内で入力してください。", n=maximum))


class ReasonMixin:
    """The reason of a rejection: a template, the moderator's own words, or both."""

    reason_template = SelectField(
        _l("理由のひな形"),
        coerce=int,
        choices=[SelectChoice(0, _l("使わない"))],
        validate_choice=False,
    )
    reason = TextAreaField(
        _l("理由（自由記述。ひな形に続けて投稿者に伝えられます）"), [_length(2000)]
    )

    def validate_reason(self, field: TextAreaField) -> None:
        rejecting = self.action.data == DecisionAction.REJECT  # type: ignore[attr-defined]
        if rejecting and not self.reason_template.data and not (field.data or "").strip():
            raise ValidationError(
                _l("差し戻すときは、理由のひな形を選ぶか理由を入力してください。")
            )


class ReviewDecisionForm(ReasonMixin, FlaskForm):
    """The decision under a review; the post's fields (possibly edited) are a PostForm."""

    action = RadioField(_l("判断"), choices=DECISIONS, validators=[InputRequired(message=REQUIRED)])


class BulkDecisionForm(ReasonMixin, FlaskForm):
    """Approve or reject, with one reason, the items ticked in the queue."""

    action = RadioField(
        _l("選んだ投稿をまとめて"), choices=DECISIONS, validators=[InputRequired(message=REQUIRED)]
    )

    def subjects(self, keys: list[str]) -> list[Subject]:
        """Return the queue items the ticked boxes name (malformed keys are ignored)."""
        return [s for s in (Subject.parse(k) for k in keys) if s is not None]


class ReasonTemplateForm(FlaskForm):
    """Add or change a rejection reason template."""

    title = StringField(
        _l("見出し（審査画面の選択肢に表示）"), [InputRequired(REQUIRED), _length(100)]
    )
    body = TextAreaField(_l("投稿者に伝える文"), [InputRequired(REQUIRED), _length(2000)])
    active = BooleanField(_l("使用する（外すと選択肢に表示されません）"), default=True)

    def validate_title(self, field: StringField) -> None:
        if not (field.data or "").strip():
            raise ValidationError(REQUIRED)

    def validate_body(self, field: TextAreaField) -> None:
        if not (field.data or "").strip():
            raise ValidationError(REQUIRED)


class MoveForm(FlaskForm):
    """Move a reason template up or down the list."""

    step = IntegerField("step", [InputRequired(REQUIRED), NumberRange(min=-1, max=1)])


class WithdrawForm(FlaskForm):
    """The poster confirms withdrawing (取り下げ) a post."""

    confirm = BooleanField(
        _l("この投稿を取り下げます（公開中の場合はサイトから削除されます）"),
        [InputRequired(message=_l("取り下げるときは、確認のチェックを入れてください。"))],
    )


class QueueFilterForm(FlaskForm):
    """The queue's filters, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    kind = SelectField(_l("種類"), validators=[Optional()], validate_choice=False, id="filter-kind")
    state = SelectField(
        _l("状態"), validators=[Optional()], validate_choice=False, id="filter-state"
    )
    older_than = IntegerField(
        _l("受付から何日以上"),
        [
            Optional(),
            NumberRange(min=0, max=3650, message=_l("0から3650までの数で入力してください。")),
        ],
        id="filter-older-than",
    )
    poster = StringField(
        _l("投稿者（表示名の一部）"), [Optional(), _length(100)], id="filter-poster"
    )
