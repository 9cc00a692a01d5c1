"""The applications' forms: the application form of one event (its contact fields, its questions
and the anti-abuse checks), the applicant's cancellation and the organizers' forms.

The form class is built per event: which of phone and email it asks (the post's choice
within the deployment's), and up to five organizer questions as fields q0..q4. The
checks against scripts are web/public_forms.py's.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from .. import validation as v
from ..accounts.models import EntrySource
from ..models import Post
from ..web.fields import REQUIRED, MultiCheckboxField, Normalised, length, required
from ..web.plain_text import FlaskForm
from ..web.public_forms import PublicForm
from .mail import AUDIENCES
from .questions import Question, contact_fields, questions_of

MAX_PARTY = 10
BOTH_MISSING = _l("電話番号かメールアドレスのどちらかを入力してください。")


def _party_size(form: Any, field: Field) -> None:
    # Compared as integers: NumberRange turns a 700-digit number into a float and overflows.
    if not isinstance(field.data, int) or not 1 <= field.data <= MAX_PARTY:
        raise ValidationError(_l("1〜10人で入力してください。"))


class ApplicationFormBase(PublicForm):
    """The fields every event's application form has."""

    name = StringField(_l("氏名"), [required(), length(100)])
    address = StringField(_l("住所"), [required(), length(300)])
    party_size = IntegerField(_l("参加人数"), [required(), _party_size], default=1)
    consent = BooleanField(
        _l("個人情報の取扱いに同意します"),
        [InputRequired(message=_l("申し込むには同意が必要です。"))],
    )
    too_fast_message = _l(
        "送信が早すぎます。入力内容を確認してから、もう一度「申し込む」を押してください。"
    )
    contact: tuple[str, ...] = ()
    questions: list[Question] = []

    def validate(self, extra_validators: Any = None) -> bool:
        """Check the fields, then that one contact way is given and the anti-abuse checks."""
        valid = super().validate(extra_validators)
        self.form_errors = []
        if len(self.contact) == 2 and not self.phone.data and not self.email.data:
            if not self.email.errors:
                self.email.errors = [*self.email.errors, BOTH_MISSING]
            valid = False
        return self.looks_human() and valid

    def answers(self) -> list[str | list[str]]:
        """Return the answers to the event's questions, in order."""
        found: list[str | list[str]] = []
        for n, question in enumerate(self.questions):
            data = self[f"q{n}"].data
            if question.kind == "checkbox":
                found.append(list(data or []))
            else:
                found.append((data or "").strip())
        return found

    def question_fields(self) -> list[Field]:
        return [self[f"q{n}"] for n in range(len(self.questions))]


def _required_answer(message: str) -> Any:
    def check(form: Any, field: Field) -> None:
        if not field.data or (isinstance(field.data, str) and not field.data.strip()):
            raise ValidationError(message)

    return check


def _among(options: tuple[str, ...]) -> Any:
    def check(form: Any, field: Field) -> None:
        values = field.data if isinstance(field.data, list) else [field.data]
        if any(value and value not in options for value in values):
            raise ValidationError(_l("選択肢の中から選んでください。"))

    return check


def _question_field(question: Question) -> Field:
    label = question.label + ("" if question.required else gettext("（任意）"))
    # The organizer's options are text, not msgids: plain strings, which WTForms escapes.
    options = [SelectChoice(o, o) for o in question.options]
    if question.kind == "choice":
        first = _required_answer(_l("選択してください。")) if question.required else Optional()
        checks = [first, _among(question.options)]
        return RadioField(label, choices=options, validators=checks, validate_choice=False)
    if question.kind == "checkbox":
        checks = [_among(question.options)]
        if question.required:
            checks.insert(0, _required_answer(_l("ひとつ以上選択してください。")))
        return MultiCheckboxField(label, choices=options, validators=checks, validate_choice=False)
    checks = [required()] if question.required else [Optional()]
    return TextAreaField(label, [*checks, length(1000)])


def application_form(
    post: Post, allowed_contact: tuple[str, ...], secret: bytes, min_seconds: int
) -> ApplicationFormBase:
    """Build and bind the application form of one event."""
    contact = contact_fields(post, allowed_contact)
    form_class = _application_form_class(contact, tuple(questions_of(post)), str(get_locale()))
    form: ApplicationFormBase = form_class()
    form.stamp(secret, min_seconds)
    return form


@lru_cache(maxsize=256)
def _application_form_class(
    contact: tuple[str, ...], questions: tuple[Question, ...], locale: str
) -> type[ApplicationFormBase]:
    """Return the form class of an event's contact fields and questions, made once per
    language (the questions' labels are translated as the class is made): a rush of
    applications to one event binds the same class again and again."""
    attrs: dict[str, Any] = {"contact": contact, "questions": list(questions)}
    alone = len(contact) == 1
    if "phone" in contact:
        checks = [required(), Normalised(v.phone)] if alone else [Normalised(v.phone, True)]
        attrs["phone"] = StringField(_l("電話番号"), checks)
    if "email" in contact:
        checks = [required(), Normalised(v.email)] if alone else [Normalised(v.email, True)]
        attrs["email"] = StringField(_l("メールアドレス"), checks)
    for n, question in enumerate(questions):
        attrs[f"q{n}"] = _question_field(question)
    return type("ApplicationForm", (ApplicationFormBase,), attrs)


class CancelForm(FlaskForm):
    """Only a CSRF token: an applicant cancels their application."""


class ApplicationActionForm(FlaskForm):
    """One application picked from the list (attendance or cancellation)."""

    application_id = IntegerField(_l("申込番号"), [InputRequired(message=REQUIRED)])
    attended = HiddenField(_l("出欠"))


class ExportForm(FlaskForm):
    """Only the CSRF token: the export is made for the event in the URL."""


class MessageForm(FlaskForm):
    """A mail to the event's applicants; the site sends it, addresses stay hidden."""

    audience = RadioField(
        _l("送り先"),
        choices=[SelectChoice(key, _l(label)) for key, (label, _) in AUDIENCES.items()],
        default="confirmed",
        validators=[required()],
    )
    subject = StringField(_l("件名"), [required(), length(150)])
    body = TextAreaField(
        _l("本文"), [required(), Length(max=5000, message=_l("5000文字以内で入力してください。"))]
    )

    def validate_subject(self, field: StringField) -> None:
        field.data = " ".join((field.data or "").split())  # one line: no header injection
        if not field.data:
            raise ValidationError(REQUIRED)

    def validate_body(self, field: TextAreaField) -> None:
        if not (field.data or "").strip():
            raise ValidationError(REQUIRED)


SOURCE_CHOICES = {EntrySource.PHONE: _l("電話"), EntrySource.PAPER: _l("紙")}


class HandApplicationFormBase(FlaskForm):
    """An application staff type in from a phone call or a paper form: phone or email,
    e-mail optional (without one, no confirmation mail goes out)."""

    source = RadioField(
        _l("受付方法"),
        choices=[SelectChoice(key, label) for key, label in SOURCE_CHOICES.items()],
        validators=[required()],
    )
    name = StringField(_l("氏名"), [required(), length(100)])
    address = StringField(_l("住所"), [required(), length(300)])
    phone = StringField(_l("電話番号"), [Normalised(v.phone, True)])
    email = StringField(_l("メールアドレス（任意）"), [Normalised(v.email, True)])
    party_size = IntegerField(_l("参加人数"), [required(), _party_size], default=1)
    questions: list[Question] = []

    def validate(self, extra_validators: Any = None) -> bool:
        """Check the fields, then that one contact way is given."""
        valid = super().validate(extra_validators)
        if not self.phone.data and not self.email.data and not self.phone.errors:
            self.phone.errors = [*self.phone.errors, BOTH_MISSING]
            valid = False
        return valid

    answers = ApplicationFormBase.answers
    question_fields = ApplicationFormBase.question_fields


def hand_application_form(post: Post) -> HandApplicationFormBase:
    """Build and bind the staff's application form of one event, with its questions."""
    questions = questions_of(post)
    attrs: dict[str, Any] = {"questions": questions}
    for n, question in enumerate(questions):
        attrs[f"q{n}"] = _question_field(question)
    form_class = type("HandApplicationForm", (HandApplicationFormBase,), attrs)
    form: HandApplicationFormBase = form_class()
    return form
