"""The intake's forms: registration, sign-in, posting, applying and moderation decisions."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FieldList,
    Form,
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
from ..services.event_questions import KINDS, split_options
from ..taxonomy import AREAS, POST_KINDS, TOPICS
from .fields import Normalised

REQUIRED = "この項目は必須です。"


def choices(options: dict[str, str], blank: str | None = None) -> list[SelectChoice]:
    """Return select options from a key-to-label mapping, optionally after a blank one."""
    head = [SelectChoice("", blank)] if blank else []
    return head + [SelectChoice(key, label) for key, label in options.items()]


def required() -> InputRequired:
    return InputRequired(message=REQUIRED)


def length(maximum: int) -> Length:
    return Length(max=maximum, message=f"{maximum}文字以内で入力してください。")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PersonForm(Form):
    """One person's contact data, used for individuals and for a group's two persons."""

    name = StringField("氏名", [required(), length(100), Normalised(v.text)])
    kana = StringField("ふりがな", [required(), length(100), Normalised(v.kana)])
    postal_code = StringField("郵便番号", [required(), Normalised(v.postal_code)])
    address = StringField("住所", [required(), length(300), Normalised(v.text)])
    phone = StringField("電話番号", [required(), Normalised(v.phone)])
    fax = StringField(
        "FAX番号（任意）", [Normalised(lambda s: v.phone(s, "FAX番号"), optional=True)]
    )
    email = StringField("メールアドレス", [required(), Normalised(v.email)])


class GroupPersonForm(PersonForm):
    title = StringField("役職", [required(), length(100), Normalised(v.text)])


class CredentialsMixin:
    login = StringField("ログインID", [required(), Normalised(v.login_id)])
    password = PasswordField("パスワード（10文字以上）", [required(), Normalised(v.password)])
    password_confirm = PasswordField(
        "パスワード（確認）",
        [required(), EqualTo("password", message="パスワードが一致しません。")],
    )


class IndividualRegistrationForm(CredentialsMixin, FlaskForm):
    person = FormField(PersonForm, label="本人")
    public_name = StringField(
        "公開する表示名（投稿の主催者名として表示されます）", [required(), length(100)]
    )


class GroupRegistrationForm(CredentialsMixin, FlaskForm):
    group_name = StringField("団体名", [required(), length(200)])
    profile = TextAreaField("活動内容", [required(), length(2000)])
    topics = MultiCheckboxField("活動分野", choices=choices(TOPICS))
    areas = MultiCheckboxField("活動地域", choices=choices(AREAS))
    representative = FormField(GroupPersonForm, label="代表者")
    contact = FormField(GroupPersonForm, label="連絡担当者")


class SignInForm(FlaskForm):
    login = StringField("ログインID", [required(), length(64)])
    password = PasswordField("パスワード", [required(), length(256)])


ASK_CONTACT_CHOICES = {
    "both": "電話番号とメールアドレス（どちらか一方は必須）",
    "phone": "電話番号のみ",
    "email": "メールアドレスのみ",
}


class QuestionForm(Form):
    """One of the organizer's questions on the application form (blank: no question)."""

    label = StringField("質問", [Optional(), length(200)])
    kind = SelectField("回答の形式", choices=choices(KINDS), default="text")
    options = StringField("選択肢（「、」で区切る）", [Optional(), length(500)])
    required = BooleanField("回答を必須にする")

    def validate_options(self, field: StringField) -> None:
        asks_choice = self.kind.data in ("choice", "checkbox")
        if (self.label.data or "").strip() and asks_choice:  # noqa: SIM102 - reads as two rules
            if len(split_options(field.data or "")) < 2:
                raise ValidationError("選択肢を2つ以上、「、」で区切って入力してください。")


class PostForm(FlaskForm):
    kind = SelectField("種類", choices=choices(POST_KINDS), validators=[required()])
    title = StringField("タイトル", [required(), length(100)])
    summary = TextAreaField("概要（一覧に表示される短い説明）", [required(), length(300)])
    body = TextAreaField("本文（Markdown が使えます）", [Optional(), length(10000)])
    starts_at = DateTimeLocalField("開始日時", [Optional()], format="%Y-%m-%dT%H:%M")
    ends_at = DateTimeLocalField("終了日時", [Optional()], format="%Y-%m-%dT%H:%M")
    place_name = StringField("会場名", [Optional(), length(200)])
    place_address = StringField("会場の住所", [Optional(), length(300)])
    topic = SelectField(
        "分野", choices=choices(TOPICS, "選択してください"), validators=[Optional()]
    )
    area = SelectField("地域", choices=choices(AREAS, "選択してください"), validators=[Optional()])
    fee = StringField("参加費", [Optional(), length(100)])
    capacity = IntegerField(
        "定員（人）",
        [Optional(), NumberRange(min=1, max=100000, message="1以上の数で入力してください。")],
    )
    accepts_applications = BooleanField("このサイトで参加申込を受け付ける")
    contact_public = StringField(
        "公開する問い合わせ先（サイトに表示されます）", [Optional(), length(300)]
    )
    ask_contact = SelectField(
        "申込者に尋ねる連絡先",
        choices=choices(ASK_CONTACT_CHOICES),
        default="both",
        validators=[Optional()],
    )
    waitlist = BooleanField("定員に達したらキャンセル待ちを受け付ける")
    apply_until = DateTimeLocalField("申込締切（任意）", [Optional()], format="%Y-%m-%dT%H:%M")
    questions = FieldList(
        FormField(QuestionForm),
        label="申込フォームの追加質問（5問まで）",
        min_entries=5,
        max_entries=5,
    )

    def validate(self, extra_validators=None) -> bool:  # type: ignore[no-untyped-def]
        """Check the rules that tie fields together (Optional() stops per-field checks)."""
        valid = super().validate(extra_validators)
        starts, ends = self.starts_at, self.ends_at
        if self.kind.data in ("event", "recruitment") and starts.data is None and not starts.errors:
            starts.errors = [*starts.errors, "イベントと参加募集には開始日時が必要です。"]
            valid = False
        if ends.data and starts.data and ends.data < starts.data:
            ends.errors = [*ends.errors, "終了日時は開始日時より後にしてください。"]
            valid = False
        return valid

    def validate_accepts_applications(self, field: BooleanField) -> None:
        if field.data and self.kind.data == "notice":
            raise ValidationError("お知らせでは参加申込を受け付けられません。")


class DecisionForm(FlaskForm):
    action = SelectField(
        "判断",
        choices=choices({"approve": "承認", "reject": "差し戻し（却下）"}),
        validators=[required()],
    )
    reason = TextAreaField("理由（却下のときは必須。投稿者に伝えられます）", [length(2000)])

    def validate_reason(self, field: TextAreaField) -> None:
        if self.action.data == "reject" and not (field.data or "").strip():
            raise ValidationError("却下するときは理由を入力してください。")


class DisableForm(FlaskForm):
    """A moderator stops an account (利用停止); the reason goes to the audit log only."""

    reason = TextAreaField(
        "利用停止の理由（監査ログに記録されます）", [required(), length(500)], id="disable-reason"
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
        "確認コード（認証アプリの6桁の数字、またはリカバリーコード）", [required(), length(32)]
    )
