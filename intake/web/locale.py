"""The intake's languages: Japanese (the message ids) and English (a gettext catalog).

The language is chosen by ``?lang=`` (remembered in a cookie) or the ``lang`` cookie;
Japanese is the default. Templates use ``_()``; forms use ``lazy_gettext``, and
``lazy_text`` for labels taken from a mapping (escaped like any text when rendered).
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Flask, Response, g, request
from flask_babel import Babel, gettext
from flask_babel.speaklater import LazyString
from markupsafe import escape

from ..config import Settings
from .catalog import compiled_directory

LANGUAGES = ("ja", "en")
# Each language named in itself, for the switch in every page's header.
NAMES = {"ja": "日本語", "en": "English"}
DEFAULT = "ja"
COOKIE = "lang"


class LazyText(LazyString):
    """A label translated at render time that is text, never markup.

    Flask-Babel's LazyString has ``__html__`` returning itself unescaped, so WTForms and
    Jinja insert it raw; that is harmless for a literal msgid and an injection for any
    other text (an organizer's option, a deployment's label). This one is escaped.
    """

    def __html__(self) -> str:
        return str(escape(str(self)))


def lazy_text(msgid: str) -> LazyText:
    """Return msgid, translated when rendered and escaped wherever it is inserted."""
    return LazyText(gettext, msgid)


def select_locale() -> str:
    """Return the request's language: the query, then the cookie, then Japanese."""
    asked = request.args.get("lang") or request.cookies.get(COOKIE) or DEFAULT
    return asked if asked in LANGUAGES else DEFAULT


def switch_url(lang: str) -> str:
    """Return the current page's address in another language (same path, same query)."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [lang]
    query = "&".join(f"{quote(k)}={quote(v)}" for k, values in args.items() for v in values)
    return f"{request.script_root}{request.path}?{query}"


def _remember(response: Response) -> Response:
    asked = request.args.get("lang")
    if asked in LANGUAGES and request.cookies.get(COOKIE) != asked:
        response.set_cookie(COOKIE, asked, max_age=365 * 24 * 3600, samesite="Lax", path="/")
    return response


def install(app: Flask, settings: Settings) -> None:
    """Attach Flask-Babel and the language cookie to the app (compiling a stale .mo first)."""
    translations = compiled_directory(settings.home / "cache" / "translations")
    Babel(app, locale_selector=select_locale, default_translation_directories=str(translations))
    app.after_request(_remember)

    @app.context_processor
    def _language() -> dict[str, object]:
        g.lang = select_locale()
        others = [(code, NAMES[code], switch_url(code)) for code in LANGUAGES if code != g.lang]
        return {"lang": g.lang, "other_languages": others}
