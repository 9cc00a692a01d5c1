"""Forms of moderation: a review's decision, bulk decisions, the decision on an account or a
profile, stopping an account, reason templates and the queue's filters."""

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
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError

from ..web.fields import REQUIRED, choices, length, required
from ..web.plain_text import FlaskForm
from .decisions import Subject
from .models import DecisionAction, ReviewChoice

REVIEW_CHOICES = [
    SelectChoice(ReviewChoice.APPROVE, _l("承認する（投稿のまま公開）")),
    SelectChoice(ReviewChoice.EDIT, _l("修正して承認する（内容の欄を開いて直す）")),
    SelectChoice(ReviewChoice.REJECT, _l("差し戻す（理由を投稿者に伝える）")),
]
DECISIONS = [
    SelectChoice(DecisionAction.APPROVE, _l("承認する")),
    SelectChoice(DecisionAction.REJECT, _l("差し戻す（却下）")),
]


class ReasonMixin:
    """The reason of a rejection: a template, the moderator's own words, or both."""

    reason_template = SelectField(
        _l("理由のひな形"),
        coerce=int,
        choices=[SelectChoice(0, _l("使わない"))],
        validate_choice=False,
    )
    reason = TextAreaField(
        _l("理由（自由記述。ひな形に続けて投稿者に伝えられます）"), [length(2000)]
    )

    def validate_reason(self, field: TextAreaField) -> None:
        rejecting = self.action.data == DecisionAction.REJECT  # type: ignore[attr-defined]
        if rejecting and not self.reason_template.data and not (field.data or "").strip():
            raise ValidationError(
                _l("差し戻すときは、理由のひな形を選ぶか理由を入力してください。")
            )


class ReviewDecisionForm(ReasonMixin, FlaskForm):
    """The decision at the top of a review; the post's fields (edited for an approval with
    edits) are a PostForm. Nothing is chosen until the moderator chooses."""

    action = RadioField(
        _l("判断"),
        choices=REVIEW_CHOICES,
        validators=[
            InputRequired(
                message=_l("承認する・修正して承認する・差し戻すのどれかを選んでください。")
            )
        ],
    )


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
        _l("見出し（審査画面の選択肢に表示）"), [InputRequired(REQUIRED), length(100)]
    )
    body = TextAreaField(_l("投稿者に伝える文"), [InputRequired(REQUIRED), length(2000)])
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
        _l("投稿者（表示名の一部）"), [Optional(), length(100)], id="filter-poster"
    )


class DecisionForm(FlaskForm):
    action = SelectField(
        _l("判断"),
        # A blank first option: nothing is decided until the moderator chooses.
        choices=choices(
            {DecisionAction.APPROVE: _l("承認"), DecisionAction.REJECT: _l("差し戻し（却下）")},
            blank=_l("選んでください"),
        ),
        validators=[required()],
    )
    reason = TextAreaField(_l("理由（却下のときは必須。投稿者に伝えられます）"), [length(2000)])

    def validate_reason(self, field: TextAreaField) -> None:
        if self.action.data == DecisionAction.REJECT and not (field.data or "").strip():
            raise ValidationError(_l("却下するときは理由を入力してください。"))


class DisableForm(FlaskForm):
    """A moderator stops an account (利用停止); the reason goes to the audit log only."""

    reason = TextAreaField(
        _l("利用停止の理由（監査ログに記録されます）"),
        [required(), length(500)],
        id="disable-reason",
    )

    def validate_reason(self, field: TextAreaField) -> None:
        if not (field.data or "").strip():
            raise ValidationError(REQUIRED)
