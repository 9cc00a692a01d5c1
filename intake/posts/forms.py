"""The posts' forms: the post form, the poster's edit form with its current files, filling
either from stored fields, and the withdrawal confirmation.

The edit form's new files go in the same slots, with the same checks, as on the first
submission (intake/uploads/forms.py). Together with the kept ones they must stay within
the deployment's limits, checked before any file is processed so that a form over the
limit keeps nothing. Stored fields have PostData's shape (intake/posts/fields.py); the few
whose form differs (questions, recurrence, audience) are converted in form_data(), in one
place, so a new posting field needs at most a line there.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import current_app
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
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError

from ..applications.questions import ASK_CONTACT, KINDS, split_options
from ..taxonomy import AREAS, AUDIENCES, POST_KINDS, TOPICS
from ..uploads.forms import with_attachments
from ..uploads.limits import UploadLimits
from ..web.fields import MultiCheckboxField, choices, length, required
from ..web.locale import select_locale
from ..web.plain_text import FlaskForm, Form
from . import recurrence
from .edit_files import EditableFile
from .fields import Fields, to_data

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


class WithdrawForm(FlaskForm):
    """The poster confirms withdrawing (取り下げ) a post."""

    confirm = BooleanField(
        _l("この投稿を取り下げます（公開中の場合はサイトから削除されます）"),
        [InputRequired(message=_l("取り下げるときは、確認のチェックを入れてください。"))],
    )


TOO_MANY = {
    "image": _l("画像は%(n)s枚までです。外す画像を選ぶか、追加を減らしてください。"),
    "pdf": _l("PDF は%(n)sつまでです。外す PDF を選ぶか、追加を減らしてください。"),
}


class EditPostForm(PostForm):
    """PostForm with the post's current files, each of which the poster may take away."""

    remove_files = MultiCheckboxField(_l("外すファイル（チェックしたファイルを削除します）"))
    current_files: list[EditableFile] = []

    def validate_remove_files(self, field: Any) -> None:
        """Refuse adding files beyond the deployment's limit, counting the kept ones."""
        limits: UploadLimits = self.upload_limits  # type: ignore[attr-defined]
        removing = set(field.data or [])
        for kind, slots, limit in (
            ("image", self.images, limits.images),  # type: ignore[attr-defined]
            ("pdf", self.pdfs, limits.pdfs),  # type: ignore[attr-defined]
        ):
            kept = sum(1 for f in self.current_files if f.kind == kind and f.token not in removing)
            new = sum(1 for slot in slots if slot.form.file.data)
            if new and kept + new > limit:  # a lowered limit never blocks a text edit
                raise ValidationError(str(TOO_MANY[kind]) % {"n": limit})


def file_label(file: EditableFile) -> str:
    """Return how the edit form names a current file (its kind and state in words)."""
    size_kb = max(1, round(file.size_bytes / 1024))
    if file.kind == "image":
        text = gettext("画像「%(alt)s」", alt=file.alt)
    else:
        text = gettext(
            "PDF「%(title)s」（%(kb)s KB）", title=file.alt or gettext("チラシ"), kb=size_kb
        )
    state = gettext("審査中の変更で追加") if file.proposed else gettext("登録済み")
    return f"{text}（{state}）"


def edit_form(
    limits: UploadLimits,
    files: list[EditableFile],
    data: dict[str, Any] | None = None,
    formdata: Any = "request",
) -> EditPostForm:
    """Return the edit form with this deployment's file slots and the post's current files."""
    cls = with_attachments(EditPostForm, limits)
    kwargs: dict[str, Any] = {"data": data or {}}
    if formdata != "request":
        kwargs["formdata"] = formdata
    form: EditPostForm = cls(**kwargs)
    form.current_files = files
    form.remove_files.choices = [SelectChoice(f.token, file_label(f)) for f in files]
    return form


def _questions(raw: str) -> list[dict[str, Any]]:
    try:
        items = json.loads(raw or "[]")
    except ValueError:
        return []
    return [
        {
            "label": q.get("label", ""),
            "kind": q.get("kind", "text"),
            "options": "、".join(q.get("options") or []),
            "required": bool(q.get("required")),
        }
        for q in items
        if isinstance(q, dict)
    ]


def form_data(fields: Fields) -> dict[str, Any]:
    """Return the data= of a PostForm showing stored fields."""
    data: dict[str, Any] = dict(vars(to_data(fields)))
    data["questions"] = _questions(str(fields.get("questions") or "[]"))
    rule = recurrence.parse(str(fields.get("recurrence") or ""))
    data["recurrence"] = rule.frequency if rule else ""
    data["repeat_until"] = rule.until if rule else None
    data["audience"] = [a for a in str(fields.get("audience") or "").split(",") if a]
    return data


def prepare(form: PostForm, allowed_contact: tuple[str, ...], audiences: dict[str, str]) -> None:
    """Set the choices the deployment decides (as the new-post form does)."""
    form.ask_contact.choices = choices(
        {
            k: v
            for k, v in ASK_CONTACT_CHOICES.items()
            if set(ASK_CONTACT[k]) <= set(allowed_contact)
        }
    )
    if form.ask_contact.data not in {c.value for c in form.ask_contact.choices}:
        form.ask_contact.data = form.ask_contact.choices[0].value
    if hasattr(form, "audience"):
        form.audience.choices = audience_choices(audiences)


def audience_choices(audiences: dict[str, str]) -> list[SelectChoice]:
    """Return the 対象 checkboxes: in English, hiroba.toml's English label where it has one."""
    if select_locale() == "en":
        english = current_app.config["HIROBA"].deployment.audiences_en
        return [SelectChoice(key, english.get(key) or label) for key, label in audiences.items()]
    return choices(audiences)


def fix_kind(form: PostForm, kind: str) -> None:
    """Offer only the post's own kind: a live post's kind is its page's address."""
    form.kind.choices = [c for c in form.kind.choices if c.value == kind]
    form.kind.data = kind
