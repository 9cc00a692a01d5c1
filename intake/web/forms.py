"""The intake's forms: registration, sign-in, posting, applying and moderation decisions."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    Field,
    FieldList,
    FormField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from .. import validation as v
from ..applications.questions import KINDS, split_options
from ..moderation.models import DecisionAction
from ..posts import recurrence
from ..taxonomy import AREAS, AUDIENCES, POST_KINDS, TOPICS
from .fields import Normalised
from .locale import lazy_text
from .plain_text import FlaskForm, Form

REQUIRED = _l("この項目は必須です。")


def choices(options: dict[str, str], blank: str | None = None) -> list[SelectChoice]:
    """Return select options from a key-to-label mapping of our own msgids (the taxonomy's,
    the deployment's), optionally after a blank one. Text people typed is no msgid: give
    it as plain strings (see apply_forms)."""
    head = [SelectChoice("", blank)] if blank else []
    return head + [SelectChoice(key, _label(label)) for key, label in options.items()]


def _label(label: object) -> object:
    """Translate a plain label at render time, as text (escaped where it is inserted)."""
    return lazy_text(label) if isinstance(label, str) else label


def required() -> InputRequired:
    return InputRequired(message=REQUIRED)


def length(maximum: int) -> Length:
    return Length(max=maximum, message=_l("%(n)s文字以内で入力してください。", n=maximum))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PersonForm(Form):
    """One person's contact data, used for individuals and for a group's two persons."""

    name = StringField(_l("氏名"), [required(), length(100), Normalised(v.text)])
    kana = StringField(_l("ふりがな"), [required(), length(100), Normalised(v.kana)])
    postal_code = StringField(_l("郵便番号"), [required(), Normalised(v.postal_code)])
    address = StringField(_l("住所"), [required(), length(300), Normalised(v.text)])
    phone = StringField(_l("電話番号"), [required(), Normalised(v.phone)])
    fax = StringField(
        _l("FAX番号（任意）"), [Normalised(lambda s: v.phone(s, v.N_("FAX番号")), optional=True)]
    )
    email = StringField(_l("メールアドレス"), [required(), Normalised(v.email)])


class GroupPersonForm(PersonForm):
    title = StringField(_l("役職"), [required(), length(100), Normalised(v.text)])


class CredentialsMixin:
    login = StringField(_l("ログインID"), [required(), Normalised(v.login_id)])
    password = PasswordField(_l("パスワード（10文字以上）"), [required(), Normalised(v.password)])
    password_confirm = PasswordField(
        _l("パスワード（確認）"),
        [required(), EqualTo("password", message=_l("パスワードが一致しません。"))],
    )


class IndividualRegistrationForm(CredentialsMixin, FlaskForm):
    person = FormField(PersonForm, label=_l("本人"))
    public_name = StringField(
        _l("公開する表示名（投稿の主催者名として表示されます）"), [required(), length(100)]
    )


class GroupRegistrationForm(CredentialsMixin, FlaskForm):
    group_name = StringField(_l("団体名"), [required(), length(200)])
    profile = TextAreaField(_l("活動内容"), [required(), length(2000)])
    topics = MultiCheckboxField(_l("活動分野"), choices=choices(TOPICS))
    areas = MultiCheckboxField(_l("活動地域"), choices=choices(AREAS))
    representative = FormField(GroupPersonForm, label=_l("代表者"))
    contact = FormField(GroupPersonForm, label=_l("連絡担当者"))


class SignInForm(FlaskForm):
    login = StringField(_l("ログインID"), [required(), length(64)])
    password = PasswordField(_l("パスワード"), [required(), length(256)])


ASK_CONTACT_CHOICES = {
    "both": _l("電話番号とメールアドレス（どちらか一方は必須）"),
    "phone": _l("電話番号のみ"),
    "email": _l("メールアドレスのみ"),
}


class QuestionForm(Form):
    """One of the organizer's questions on the application form (blank: no question)."""

    label = StringField(_l("質問"), [Optional(), length(200)])
    kind = SelectField(_l("回答の形式"), choices=choices(KINDS), default="text")
    options = StringField(_l("選択肢（「、」で区切る）"), [Optional(), length(500)])
    required = BooleanField(_l("回答を必須にする"))

    def validate_options(self, field: StringField) -> None:
        asks_choice = self.kind.data in ("choice", "checkbox")
        if (self.label.data or "").strip() and asks_choice:  # noqa: SIM102 - reads as two rules
            if len(split_options(field.data or "")) < 2:
                raise ValidationError(_l("選択肢を2つ以上、「、」で区切って入力してください。"))


RECURRENCE_CHOICES = {
    "": _l("繰り返さない"),
    "weekly": _l("毎週（開始日と同じ曜日）"),
    "biweekly": _l("隔週（開始日と同じ曜日）"),
    "monthly-nth": _l("毎月 第N○曜日（開始日と同じ週・曜日。例: 第2土曜日）"),
    "monthly-last": _l("毎月 最終○曜日（開始日がその月の最後の○曜日のとき）"),
    "monthly-day": _l("毎月 同じ日（開始日と同じ日付）"),
}
ATTENDANCE_CHOICES = {
    "offline": _l("会場で参加"),
    "online": _l("オンラインで参加"),
    "hybrid": _l("会場とオンラインのどちらでも参加できる"),
}


class PostForm(FlaskForm):
    kind = SelectField(_l("種類"), choices=choices(POST_KINDS), validators=[required()])
    title = StringField(_l("タイトル"), [required(), length(100)])
    summary = TextAreaField(_l("概要（一覧に表示される短い説明）"), [required(), length(300)])
    body = TextAreaField(_l("本文（Markdown が使えます）"), [Optional(), length(10000)])
    starts_at = DateTimeLocalField(_l("開始日時"), [Optional()], format="%Y-%m-%dT%H:%M")
    ends_at = DateTimeLocalField(_l("終了日時"), [Optional()], format="%Y-%m-%dT%H:%M")
    place_name = StringField(_l("会場名"), [Optional(), length(200)])
    place_address = StringField(_l("会場の住所"), [Optional(), length(300)])
    topic = SelectField(
        _l("分野"), choices=choices(TOPICS, _l("選択してください")), validators=[Optional()]
    )
    area = SelectField(
        _l("地域"), choices=choices(AREAS, _l("選択してください")), validators=[Optional()]
    )
    fee = StringField(_l("参加費"), [Optional(), length(100)])
    capacity = IntegerField(
        _l("定員（人）"),
        [Optional(), NumberRange(min=1, max=100000, message=_l("1以上の数で入力してください。"))],
    )
    accepts_applications = BooleanField(_l("このサイトで参加申込を受け付ける"))
    contact_public = StringField(
        _l("公開する問い合わせ先（サイトに表示されます）"), [Optional(), length(300)]
    )
    recurrence = SelectField(
        _l("繰り返し"), choices=choices(RECURRENCE_CHOICES), default="", validators=[Optional()]
    )
    repeat_until = DateField(_l("繰り返しの最終日"), [Optional()], format="%Y-%m-%d")
    attendance = SelectField(
        _l("参加方法"),
        choices=choices(ATTENDANCE_CHOICES),
        default="offline",
        validators=[Optional()],
    )
    online_details = TextAreaField(_l("オンライン参加の方法"), [Optional(), length(500)])
    # Choices come from the deployment (hiroba.toml [audiences]); the view sets them.
    audience = MultiCheckboxField(_l("対象（当てはまるものすべて）"), choices=choices(AUDIENCES))
    ask_contact = SelectField(
        _l("申込者に尋ねる連絡先"),
        choices=choices(ASK_CONTACT_CHOICES),
        default="both",
        validators=[Optional()],
    )
    waitlist = BooleanField(_l("定員に達したらキャンセル待ちを受け付ける"))
    apply_until = DateTimeLocalField(_l("申込締切（任意）"), [Optional()], format="%Y-%m-%dT%H:%M")
    questions = FieldList(
        FormField(QuestionForm),
        label=_l("申込フォームの追加質問（5問まで）"),
        min_entries=5,
        max_entries=5,
    )

    def validate(self, extra_validators=None) -> bool:  # type: ignore[no-untyped-def]
        """Check the rules that tie fields together (Optional() stops per-field checks)."""
        valid = super().validate(extra_validators)
        starts, ends = self.starts_at, self.ends_at
        if self.kind.data in ("event", "recruitment") and starts.data is None and not starts.errors:
            starts.errors = [*starts.errors, _l("イベントと参加募集には開始日時が必要です。")]
            valid = False
        if ends.data and starts.data and ends.data < starts.data:
            ends.errors = [*ends.errors, _l("終了日時は開始日時より後にしてください。")]
            valid = False
        return self._check_recurrence() & self._check_attendance() & valid

    # The dates of a recurring post, set by validate() (empty when it does not recur).
    expanded: list[tuple[datetime, datetime | None]] = []  # noqa: RUF012 - replaced, never mutated

    def _add_error(self, field: Field, message: str) -> bool:
        field.errors = [*field.errors, message]
        return False

    def _check_recurrence(self) -> bool:
        """Expand the rule once here, so every problem with it is shown beside its field."""
        self.expanded = []
        if not self.recurrence.data:
            return True
        if self.kind.data == "notice":
            return self._add_error(self.recurrence, gettext("お知らせは繰り返せません。"))
        starts, ends = self.starts_at.data, self.ends_at.data
        if starts is None or (ends is not None and ends < starts):
            return True  # the start and end have their own messages already
        try:
            self.expanded = recurrence.expand(
                self.recurrence.data, starts, ends, self.repeat_until.data
            )
        except recurrence.RecurrenceError as exc:
            field = self.repeat_until if exc.field == "repeat_until" else self.recurrence
            if not field.errors:  # a date the browser sent unreadable is reported once
                return self._add_error(field, gettext(exc.message, **exc.params))
            return False
        return True

    def _check_attendance(self) -> bool:
        """Online needs a way to join; an event held at a venue needs the venue."""
        valid = True
        mode = self.attendance.data
        if mode in ("online", "hybrid") and not (self.online_details.data or "").strip():
            valid = self._add_error(
                self.online_details, gettext("オンラインで参加する方法を入力してください。")
            )
        venue = mode in ("offline", "hybrid") and self.kind.data == "event"
        if venue and not (self.place_name.data or "").strip():
            valid = self._add_error(
                self.place_name, gettext("会場で開催するイベントには会場名が必要です。")
            )
        if len(",".join(self.audience.data or [])) > 200:
            valid = self._add_error(
                self.audience, gettext("対象の選択が多すぎます。主なものに絞ってください。")
            )
        return valid

    def validate_accepts_applications(self, field: BooleanField) -> None:
        if field.data and self.kind.data == "notice":
            raise ValidationError(_l("お知らせでは参加申込を受け付けられません。"))


class DecisionForm(FlaskForm):
    action = SelectField(
        _l("判断"),
        choices=choices(
            {DecisionAction.APPROVE: _l("承認"), DecisionAction.REJECT: _l("差し戻し（却下）")}
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


class CancelForm(FlaskForm):
    """Only a CSRF token: an applicant cancels their application."""


class SignOutForm(FlaskForm):
    """Only a CSRF token: signing out changes state."""


class SecondFactorForm(FlaskForm):
    code = StringField(
        _l("確認コード（認証アプリの6桁の数字、またはリカバリーコード）"), [required(), length(32)]
    )
