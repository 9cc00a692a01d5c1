"""The intake's languages: Japanese (the message ids) and English (a gettext catalog).

The language is what the link says: ``?lang=`` chooses it for that response (and the
links it renders carry it on), then the ``lang`` cookie, then Japanese. Only the language
switch (``?set_lang=``, the link in every page's header) sets the cookie: a page's
background request (the public event page's availability line) or a public page's link
into the intake never changes the language of the reader's next page.

Templates use ``_()``; forms use ``lazy_gettext``, and ``lazy_text`` for labels taken from
a mapping (escaped like any text when rendered).
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Flask, Response, g, has_request_context, request
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
ASK = "lang"  # this response's language (and the links it renders)
SWITCH = "set_lang"  # the switch: this response's language, remembered in the cookie


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
    """Return the request's language: the link's, the switch's, the cookie's, or Japanese."""
    for asked in (request.args.get(ASK), request.args.get(SWITCH), request.cookies.get(COOKIE)):
        if asked in LANGUAGES:
            return asked
    return DEFAULT


def switch_url(lang: str) -> str:
    """Return the switch to lang: the current page's address (same path, same query)."""
    args = {k: v for k, v in request.args.to_dict(flat=False).items() if k not in (ASK, SWITCH)}
    args[SWITCH] = [lang]
    query = "&".join(f"{quote(k)}={quote(v)}" for k, values in args.items() for v in values)
    return f"{request.script_root}{request.path}?{query}"


def _remember(response: Response) -> Response:
    """Set the cookie when the switch was used, and only then."""
    asked = request.args.get(SWITCH)
    if asked in LANGUAGES and request.cookies.get(COOKIE) != asked:
        response.set_cookie(COOKIE, asked, max_age=365 * 24 * 3600, samesite="Lax", path="/")
    return response


def _carry_language(endpoint: str, values: dict[str, object]) -> None:
    """Keep a page's ?lang= on the links and redirects it makes (not the cookie's choice)."""
    if endpoint.rpartition(".")[2] == "static" or ASK in values or not has_request_context():
        return
    asked = request.args.get(ASK)
    if asked in LANGUAGES:
        values[ASK] = asked


def install(app: Flask, settings: Settings) -> None:
    """Attach Flask-Babel and the language cookie to the app (compiling a stale .mo first)."""
    translations = compiled_directory(settings.home / "cache" / "translations")
    Babel(app, locale_selector=select_locale, default_translation_directories=str(translations))
    app.after_request(_remember)
    app.url_defaults(_carry_language)

    @app.context_processor
    def _language() -> dict[str, object]:
        g.lang = select_locale()
        others = [(code, NAMES[code], switch_url(code)) for code in LANGUAGES if code != g.lang]
        return {"lang": g.lang, "other_languages": others}
