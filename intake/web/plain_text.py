"""Every text the intake receives passes here: control characters go, invisible ones are refused.

Two layers, so that a field or a view added later is covered too:

- ``PlainTextRequest`` cleans every query and form value as Werkzeug parses it: C0 and C1
  controls (NUL included) are removed, CR LF and CR become LF, tabs stay.
- ``FlaskForm`` and ``Form`` (every intake form derives from one of them; a test checks)
  clean each text field for its shape: a one-line field loses tabs and line breaks too,
  and refuses bidi overrides, isolates and marks and zero-width characters with a field
  message, keeping what was typed (they can reorder a published title or hide words, and
  stripping them silently could change what the user meant).

The same bases give WTForms' own messages ("This field is required.") in the reader's
language, sub-forms too: Japanese from our catalog ``translations/ja/LC_MESSAGES/wtforms.po``,
English as WTForms writes them. (Flask-WTF's i18n reaches a FlaskForm only, never a
FormField's sub-form, and WTForms' Japanese catalog misses its plural messages.)
"""

from __future__ import annotations

from gettext import NullTranslations
from typing import Any

import flask_wtf
import wtforms
from flask import Request, has_request_context
from flask_babel import get_locale, gettext
from werkzeug.datastructures import ImmutableMultiDict
from wtforms import Field, HiddenField, PasswordField, StringField, TextAreaField
from wtforms.validators import ValidationError

from .. import controls
from ..mail import translations


class PlainTextParameters(ImmutableMultiDict):  # type: ignore[type-arg]
    """Query or form values with control characters removed (file uploads untouched)."""

    def __init__(self, mapping: Any = None) -> None:
        super().__init__(mapping)
        for key, values in dict.items(self):
            if any(isinstance(value, str) for value in values):
                dict.__setitem__(
                    self,
                    key,
                    [controls.multi_line(v) if isinstance(v, str) else v for v in values],
                )


class PlainTextRequest(Request):
    """Flask's request whose args and form hold no control characters."""

    parameter_storage_class = PlainTextParameters


def _multi_line(value: Any) -> Any:
    return controls.multi_line(value) if isinstance(value, str) else value


def _one_line(value: Any) -> Any:
    return controls.one_line(value) if isinstance(value, str) else value


def refuse_invisible(form: wtforms.Form, field: Field) -> None:
    """Refuse bidi controls and zero-width characters in a one-line field (one message)."""
    found = controls.invisible_in(field.data) if isinstance(field.data, str) else []
    if found and not field.errors:
        raise ValidationError(
            gettext(
                "文字の向きを変える記号やゼロ幅の文字など、見えない文字（%(chars)s）が"
                "含まれています。削除してから送信してください。",
                chars="、".join(found),
            )
        )


class RefuseLineBreaks:
    """Refuse a line break in a one-line field with the given message, instead of the
    default of turning it into a space (for a field whose lines would change its meaning)."""

    field_flags = {"keeps_line_breaks": True}

    def __init__(self, message: str) -> None:
        self.message = message

    def __call__(self, form: wtforms.Form, field: Field) -> None:
        """Raise the message when the value holds a line break."""
        if isinstance(field.data, str) and ("\n" in field.data or "\r" in field.data):
            raise ValidationError(self.message)


def _one_line_keeping_breaks(value: Any) -> Any:
    return controls.multi_line(value).replace("\t", " ") if isinstance(value, str) else value


class _PlainTextMeta:
    """Form meta that gives each text field the filter (and check) of its shape."""

    def bind_field(self, form: wtforms.Form, unbound_field: Any, options: dict) -> Field:
        """Bind the field, then add the plain-text filter for its shape."""
        field: Field = super().bind_field(form, unbound_field, options)  # type: ignore[misc]
        if isinstance(field, TextAreaField):
            field.filters = (*field.filters, _multi_line)
        elif isinstance(field, StringField) and not isinstance(field, HiddenField | PasswordField):
            keeps_breaks = getattr(field.flags, "keeps_line_breaks", False)
            clean = _one_line_keeping_breaks if keeps_breaks else _one_line
            field.filters = (*field.filters, clean)
            field.validators = [*field.validators, refuse_invisible]
        return field


class _ReaderLanguageMeta:
    """Form meta whose WTForms messages follow the request's language (Japanese outside one)."""

    def get_translations(self, form: wtforms.Form) -> NullTranslations:
        """Return the catalog WTForms translates its field messages with."""
        locale = get_locale() if has_request_context() else None
        return translations(locale.language if locale is not None else "ja", domain="wtforms")


class FlaskForm(flask_wtf.FlaskForm):
    """Flask-WTF's form (CSRF on) with plain-text fields and messages in the reader's language."""

    class Meta(_PlainTextMeta, _ReaderLanguageMeta):
        pass


class Form(wtforms.Form):
    """WTForms' form (a FlaskForm's sub-form): plain-text fields, the reader's language."""

    class Meta(_PlainTextMeta, _ReaderLanguageMeta):
        pass
