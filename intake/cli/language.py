"""The `hiroba` command's language: Japanese, or English when the environment asks for it.

The locale is read as gettext reads it: the first of ``LC_ALL``, ``LC_MESSAGES`` and ``LANG``
that is set, and before them ``LANGUAGE`` (a list such as ``en:ja``) unless the locale is
``C`` or ``POSIX``. English (``en``, ``en_US.UTF-8``) gives English; anything else, ``C``,
``C.UTF-8`` or nothing at all included, gives Japanese, the project's own language (a server
often runs with ``C.UTF-8``).

The command's words are message ids of the intake's catalog (Japanese ids, English in
``translations/en/LC_MESSAGES/messages.po``, extracted by ``make messages``); argparse's own
words ("usage:", "error:") are translated by ``translations/ja/LC_MESSAGES/argparse.po``.
"""

from __future__ import annotations

import argparse
import gettext
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from ..errors import HirobaError
from ..mail import translations
from ..validation import InvalidInput

LANGUAGES = ("ja", "en")
DEFAULT = "ja"
_current: list[gettext.NullTranslations] = [gettext.NullTranslations()]


def language_of(environ: Mapping[str, str] | None = None) -> str:
    """Return the language the environment asks for, as gettext would choose it."""
    env = os.environ if environ is None else environ
    locale = next((env[k] for k in ("LC_ALL", "LC_MESSAGES", "LANG") if env.get(k)), "")
    wanted = [locale]
    if env.get("LANGUAGE") and locale.split(".")[0] not in ("C", "POSIX"):
        wanted = [*env["LANGUAGE"].split(":"), locale]
    for name in wanted:
        code = name.split(".")[0].split("@")[0].split("_")[0].lower()
        if code in LANGUAGES:
            return code
    return DEFAULT


def catalog(lang: str) -> gettext.NullTranslations:
    """Return what the command says in lang: the intake's words and argparse's."""
    if lang == "en":
        return translations("en")  # argparse speaks English by itself
    return translations(lang, domain="argparse")  # our ids are already Japanese


def _(message: str) -> str:
    """Return message (a Japanese id) in the command's language."""
    return _current[-1].gettext(message)


def invalid(exc: InvalidInput) -> str:
    """Return a refused value's message (a Japanese id with its parameters) in the language."""
    return _(exc.message) % exc.params if exc.params else _(exc.message)


def error_message(exc: HirobaError) -> str:
    """Return an error's message (a Japanese id with its values) in the command's language."""
    return exc.said(_)


@contextmanager
def speaking(lang: str) -> Iterator[None]:
    """Let the command and argparse speak lang inside the block."""
    words = catalog(lang)
    # argparse looks its words up through its module's gettext functions at each use.
    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    _current.append(words)
    argparse._, argparse.ngettext = words.gettext, words.ngettext  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]
        _current.pop()
