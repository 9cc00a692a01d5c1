"""The base of the forms anyone may send without signing in (an application, an inquiry):
two checks against scripts without third parties: a honeypot field people never see
(`website`) and a signed stamp of when the form was handed out (`started`), refused when
sent back sooner than HIROBA_APPLY_MIN_SECONDS."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField
from wtforms.validators import Optional

from ..applications.links import form_stamp, stamp_age
from .plain_text import FlaskForm

HONEYPOT_MESSAGE = _l("送信を受け付けられませんでした。入力欄以外の項目が変更されています。")
STALE_MESSAGE = _l("フォームの有効期限が切れました。内容を確認して、もう一度送信してください。")


class PublicForm(FlaskForm):
    """A form of the public: the honeypot and the stamp; form_errors holds what they found."""

    # Hidden from people by CSS and from assistive technology; bots fill it in.
    website = StringField(_l("この欄は入力しないでください"), [Optional()])
    started = HiddenField()

    secret: bytes = b""
    min_seconds: int = 0
    form_errors: list[str]
    too_fast_message: Any = ""  # names the form's own button

    def stamp(self, secret: bytes, min_seconds: int) -> None:
        """Set the checks' secret and minimum; stamp the form when it is handed out."""
        self.secret, self.min_seconds, self.form_errors = secret, min_seconds, []
        if not self.is_submitted():
            self.started.data = form_stamp(secret)

    def looks_human(self) -> bool:
        """Run the two checks, adding what they found to form_errors."""
        if (self.website.data or "").strip():
            self.form_errors.append(HONEYPOT_MESSAGE)
            return False
        if self.min_seconds:
            age = stamp_age(self.secret, self.started.data or "")
            if age is None:
                self.form_errors.append(STALE_MESSAGE)
                self.started.data = form_stamp(self.secret)
                return False
            if age < self.min_seconds:
                self.form_errors.append(self.too_fast_message)
                return False
        return True
