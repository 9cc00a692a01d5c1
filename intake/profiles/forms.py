"""The group's public profile form (公開プロフィール) and the check of a website address."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import ValidationError

from ..taxonomy import AREAS, TOPICS
from ..web.fields import MultiCheckboxField, choices, length
from ..web.plain_text import FlaskForm, RefuseLineBreaks

WEBSITE_MAX = 300


def website_address(value: str) -> str:
    """Return a cleaned http(s) address, or raise ValueError with the reason for the user."""
    url = value.strip()
    if not url:
        return ""
    if any(char.isspace() or ord(char) < 0x20 for char in url):
        raise ValueError(_l("アドレスに空白や改行を含めることはできません。"))
    try:
        parts = urlsplit(url)
    except ValueError:
        raise ValueError(_l("ウェブサイトのアドレスの形が正しくありません。")) from None
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or "." not in (parts.hostname or "")
    ):
        raise ValueError(
            _l("http:// または https:// で始まるウェブサイトのアドレスを入力してください。")
        )
    return url


class ProfileForm(FlaskForm):
    """What a group chooses to publish about itself; free text is reviewed before it shows."""

    publish = BooleanField(_l("団体の紹介ページを公開する"))
    profile = TextAreaField(_l("活動内容（公開）"), [length(2000)])
    website = StringField(_l("ウェブサイトのアドレス（公開・任意）"), [length(WEBSITE_MAX)])
    public_contact = StringField(
        _l("公開する連絡先（任意）：サイトに誰でも見られる形で表示されます"),
        [length(300), RefuseLineBreaks(_l("連絡先は1行で入力してください。"))],
    )
    topics = MultiCheckboxField(_l("活動分野（公開）"), choices=choices(TOPICS))
    areas = MultiCheckboxField(_l("活動地域（公開）"), choices=choices(AREAS))

    def validate_website(self, field: StringField) -> None:
        try:
            field.data = website_address(field.data or "")
        except ValueError as exc:
            raise ValidationError(str(exc.args[0])) from None

    def validate_profile(self, field: TextAreaField) -> None:
        if self.publish.data and not (field.data or "").strip():
            raise ValidationError(_l("公開するときは活動内容を入力してください。"))

    def validate_public_contact(self, field: StringField) -> None:
        if not field.errors:
            field.data = " ".join((field.data or "").split())
