"""The account forms: registration, sign-in, the second factor, change requests, withdrawal and
password reset; registration and change forms are built per deployment (optional personal fields).

A personal field that the deployment's hiroba.toml leaves off is not a field of the form
at all: it is not rendered, and a value posted for it is never read.
"""

from __future__ import annotations

from functools import lru_cache

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    FormField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import EqualTo, InputRequired, ValidationError

from .. import validation as v
from ..deployment import PersonalFields
from ..taxonomy import AREAS, TOPICS
from ..web.fields import MultiCheckboxField, Normalised, choices, length, required
from ..web.plain_text import FlaskForm, Form
from .models import BY_HAND, EntrySource

SOURCE_LABELS = {EntrySource.PHONE: _l("電話"), EntrySource.PAPER: _l("紙")}
GENDERS = {"female": _l("女性"), "male": _l("男性"), "other": _l("その他")}


class ChoiceField(SelectField):
    """A select that refuses an unknown value in Japanese."""

    def pre_validate(self, form: Form) -> None:
        data = getattr(self, "data", None)
        if data is None:  # not posted at all: the blank choice
            self.data = data = ""
        if data not in {value for value, *_ in self.iter_choices()}:
            raise ValidationError(_l("選択肢の中から選んでください。"))


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


class CredentialsMixin:
    login = StringField(_l("ログインID"), [required(), Normalised(v.login_id)])
    password = PasswordField(_l("パスワード（10文字以上）"), [required(), Normalised(v.password)])
    password_confirm = PasswordField(
        _l("パスワード（確認）"),
        [required(), EqualTo("password", message=_l("パスワードが一致しません。"))],
    )


class TermsConsentMixin:
    """Agreeing to the terms of use and the privacy notice, as applying asks for its part."""

    consent = BooleanField(
        _l("利用規約と個人情報の取扱いに同意します"),
        [InputRequired(message=_l("登録するには同意が必要です。"))],
    )


class IndividualRegistrationForm(TermsConsentMixin, CredentialsMixin, FlaskForm):
    person = FormField(PersonForm, label=_l("本人"))
    public_name = StringField(
        _l("公開する表示名（投稿の主催者名として表示されます）"), [required(), length(100)]
    )


class GroupRegistrationForm(TermsConsentMixin, CredentialsMixin, FlaskForm):
    group_name = StringField(_l("団体名"), [required(), length(200)])
    profile = TextAreaField(_l("活動内容"), [required(), length(2000)])
    topics = MultiCheckboxField(_l("活動分野"), choices=choices(TOPICS))
    areas = MultiCheckboxField(_l("活動地域"), choices=choices(AREAS))
    representative = FormField(PersonForm, label=_l("代表者"))
    contact = FormField(PersonForm, label=_l("連絡担当者"))


def _optional_fields(optional: frozenset[str], minimum_age: int) -> dict[str, object]:
    fields: dict[str, object] = {}
    if "title" in optional:
        fields["title"] = StringField(
            _l("役職（任意）"), [length(100), Normalised(v.text, optional=True)]
        )
    if "occupation" in optional:
        fields["occupation"] = StringField(
            _l("職業（任意）"), [length(100), Normalised(v.text, optional=True)]
        )
    if "gender" in optional:
        fields["gender"] = ChoiceField(
            _l("性別（任意）"), choices=choices(GENDERS, _l("回答しない"))
        )
    if "birth_date" in optional:
        fields["birth_date"] = StringField(
            _l("生年月日（任意）"),
            [Normalised(lambda s: v.birth_date(s, minimum_age), optional=True)],
        )
    return fields


@lru_cache(maxsize=64)
def person_form(kind: str, personal: PersonalFields, paper: bool = False) -> type[Form]:
    """Return the person form of an individual or a group person with the configured fields;
    on a paper registration the e-mail address may be left out (a letter replaces the mail)."""
    extra = _optional_fields(personal.optional_for(kind), personal.minimum_age)
    if paper:
        extra["email"] = StringField(
            _l("メールアドレス（任意）"), [Normalised(v.email, optional=True)]
        )
    name = "PersonForm" if kind == "individual" else "GroupPersonForm"
    return type(f"{name}{'Paper' if paper else ''}Configured", (PersonForm,), extra)


@lru_cache(maxsize=32)
def individual_registration_form(personal: PersonalFields, paper: bool = False) -> type[FlaskForm]:
    """Return the individual registration form; a paper one has no password fields."""
    attrs: dict[str, object] = {
        "person": FormField(person_form("individual", personal, paper), _l("本人"))
    }
    if paper:  # a moderator types in a paper form: the resident agreed on paper
        attrs.update(password=None, password_confirm=None, consent=None)
    return type("IndividualRegistrationConfigured", (IndividualRegistrationForm,), attrs)


@lru_cache(maxsize=32)
def group_registration_form(personal: PersonalFields, paper: bool = False) -> type[FlaskForm]:
    """Return the group registration form; a paper one has no password fields."""
    person = person_form("group", personal, paper)
    attrs: dict[str, object] = {
        "representative": FormField(person, label=_l("代表者")),
        "contact": FormField(person, label=_l("連絡担当者")),
    }
    if paper:  # a moderator types in a paper form: the group agreed on paper
        attrs.update(password=None, password_confirm=None, consent=None)
    return type("GroupRegistrationConfigured", (GroupRegistrationForm,), attrs)


@lru_cache(maxsize=32)
def change_request_form(
    kind: str, personal: PersonalFields, paper: bool = False
) -> type[FlaskForm]:
    """Return the form in which new values for one person are proposed; paper (a person
    registered without an address, or a moderator typing in) leaves the e-mail optional."""
    return type(
        "ChangeRequestForm",
        (FlaskForm,),
        {"person": FormField(person_form(kind, personal, paper), label=_l("変更後の内容"))},
    )


@lru_cache(maxsize=32)
def by_hand_change_form(kind: str, personal: PersonalFields) -> type[FlaskForm]:
    """Return the form in which a moderator types in a change received by phone or on paper."""
    source = ChoiceField(
        _l("受付方法"),
        choices=choices({s.value: SOURCE_LABELS[s] for s in BY_HAND}, _l("選択してください")),
        validators=[required()],
    )
    return type(
        "ByHandChangeForm", (change_request_form(kind, personal, True),), {"source": source}
    )


def _new_password() -> list[object]:
    return [required(), Normalised(v.password)]


class WithdrawForm(FlaskForm):
    password = PasswordField(_l("現在のパスワード"), [required(), length(256)])
    confirm = BooleanField(
        _l("退会すると登録情報が消去され、元に戻せないことを理解しました"),
        [InputRequired(message=_l("退会するには確認欄にチェックを入れてください。"))],
    )


class ForgotPasswordForm(FlaskForm):
    identifier = StringField(
        _l("ログインIDまたは登録したメールアドレス"), [required(), length(254)]
    )


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("新しいパスワード（10文字以上）"), _new_password())
    password_confirm = PasswordField(
        _l("新しいパスワード（確認）"),
        [required(), EqualTo("password", message=_l("パスワードが一致しません。"))],
    )


class ChangePasswordForm(ResetPasswordForm):
    current = PasswordField(_l("現在のパスワード"), [required(), length(256)])


class SignInForm(FlaskForm):
    login = StringField(_l("ログインID"), [required(), length(64)])
    password = PasswordField(_l("パスワード"), [required(), length(256)])


class SignOutForm(FlaskForm):
    """Only a CSRF token: signing out changes state."""


class SecondFactorForm(FlaskForm):
    code = StringField(
        _l("確認コード（認証アプリの6桁の数字、またはリカバリーコード）"), [required(), length(32)]
    )
