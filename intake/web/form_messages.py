"""WTForms' own field messages ("This field is required.") in the reader's language.

Every intake form's meta (``plain_text.FlaskForm`` and ``Form``, so sub-forms too) takes its
translations here: Japanese from our catalog ``translations/ja/LC_MESSAGES/wtforms.po``,
English as WTForms writes its messages. Flask-WTF's own i18n reaches a FlaskForm only, never
a sub-form of a FormField, and WTForms' Japanese catalog misses its plural messages.
"""

from __future__ import annotations

import gettext
from typing import Any

from flask import has_request_context
from flask_babel import get_locale

from ..catalogs import catalog

DOMAIN = "wtforms"


def form_translations() -> gettext.NullTranslations:
    """Return the WTForms catalog of the request's language (Japanese outside a request)."""
    locale = get_locale() if has_request_context() else None
    return catalog(locale.language if locale is not None else "ja", DOMAIN)


class ReaderLanguageMeta:
    """Form meta whose WTForms messages follow the request's language."""

    def get_translations(self, form: Any) -> gettext.NullTranslations:
        """Return the catalog WTForms translates its field messages with."""
        return form_translations()
