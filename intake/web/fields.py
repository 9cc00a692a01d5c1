"""The fields every domain's forms share: select choices, length and required rules, the
multi-checkbox, and validators that wrap intake.validation so forms and services share one rule."""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import Field, Form, SelectChoice, SelectMultipleField, ValidationError
from wtforms.validators import InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from .. import validation
from .locale import lazy_text

REQUIRED = _l("この項目は必須です。")


def choices(options: dict[str, str], blank: str | None = None) -> list[SelectChoice]:
    """Return select options from a key-to-label mapping of our own msgids (the taxonomy's,
    the deployment's), optionally after a blank one. Text people typed is no msgid: give
    it as plain strings (see intake/applications/forms.py)."""
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


class Normalised:
    """Validate with a domain check and replace the field's data with the clean value.

    The raw input stays in the field (raw_data) so the form re-renders what the user typed.
    """

    def __init__(self, check: Callable[[str], str], optional: bool = False) -> None:
        self.check = check
        self.optional = optional

    def __call__(self, form: Form, field: Field) -> None:
        if self.optional and not (field.data or "").strip():
            field.data = ""
            return
        try:
            field.data = self.check(field.data or "")
        except validation.InvalidInput as exc:
            raise ValidationError(translated(exc)) from None


def translated(exc: validation.InvalidInput) -> str:
    """Return the domain's message in the reader's language (string parameters too)."""
    params = {k: gettext(p) if isinstance(p, str) else p for k, p in exc.params.items()}
    return gettext(exc.message, **params)
