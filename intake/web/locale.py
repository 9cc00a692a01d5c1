"""The intake's languages: Japanese (the message ids) and English (a gettext catalog).

The language is chosen by ``?lang=`` (remembered in a cookie) or the ``lang`` cookie;
Japanese is the default. Templates use ``_()``; forms use ``lazy_gettext``.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, g, request
from flask_babel import Babel

LANGUAGES = ("ja", "en")
DEFAULT = "ja"
COOKIE = "lang"
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def select_locale() -> str:
    """Return the request's language: the query, then the cookie, then Japanese."""
    asked = request.args.get("lang") or request.cookies.get(COOKIE) or DEFAULT
    return asked if asked in LANGUAGES else DEFAULT


def _remember(response: Response) -> Response:
    asked = request.args.get("lang")
    if asked in LANGUAGES and request.cookies.get(COOKIE) != asked:
        response.set_cookie(COOKIE, asked, max_age=365 * 24 * 3600, samesite="Lax", path="/")
    return response


def install(app: Flask) -> None:
    """Attach Flask-Babel and the language cookie to the app."""
    Babel(app, locale_selector=select_locale, default_translation_directories=str(TRANSLATIONS))
    app.after_request(_remember)

    @app.context_processor
    def _language() -> dict[str, str]:
        g.lang = select_locale()
        return {"lang": g.lang}
