"""WTForms validators that wrap intake.validation, so forms and services share one rule."""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import gettext
from wtforms import Field, Form, ValidationError

from .. import validation


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
