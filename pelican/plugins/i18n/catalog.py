"""The theme's gettext catalogs, compiled in memory from the committed ``.po`` files.

Only ``theme/translations/<lang>/LC_MESSAGES/messages.po`` is committed: compiling it
with Babel at build time keeps one source of truth (no ``.mo`` that can fall behind)
and needs nothing beyond the installed ``babel`` package. A wheel ships the ``.mo``
instead, compiled when the wheel is built. For the worker's builds and publications the
compiled catalog is kept in HIROBA_CATALOG_CACHE under a digest of the ``.po``: each runs
in a fresh rq work-horse or build process, and loading a ``.mo`` with the standard library
spares it Babel's import.
"""

from __future__ import annotations

import gettext
import hashlib
import io
import os
from functools import cache
from pathlib import Path

from jinja2 import Environment

DOMAIN = "messages"


def catalog_path(theme: str, lang: str) -> Path:
    """Return the .po file of a language inside the theme."""
    return Path(theme) / "translations" / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def compile_po(source: bytes, lang: str) -> bytes:
    """Return the .mo bytes of a .po file's bytes (fuzzy entries left out)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    buffer = io.BytesIO()
    write_mo(buffer, read_po(io.BytesIO(source), locale=lang), use_fuzzy=False)
    return buffer.getvalue()


def _compiled(source: bytes, lang: str, cache_dir: str) -> bytes:
    """Return the compiled catalog, from the cache when it holds this very .po."""
    if not cache_dir:
        return compile_po(source, lang)
    name = f"{lang}-{hashlib.sha256(source).hexdigest()[:32]}.mo"
    cached = Path(cache_dir) / "i18n" / name
    try:
        return cached.read_bytes()
    except OSError:
        pass
    data = compile_po(source, lang)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_name(f".{name}.{os.getpid()}")
        tmp.write_bytes(data)
        os.replace(tmp, cached)  # whole or absent, even with two builds at once
    except OSError:
        pass  # a read-only cache only costs the compilation next time
    return data


@cache
def translations(theme: str, lang: str, cache_dir: str = "") -> gettext.NullTranslations:
    """Return the theme's translations for lang (null ones when it has no catalog).

    A theme with a .po (a checkout, an operator's theme) is compiled here; an installed
    wheel's theme holds only the .mo compiled when the wheel was built (setup.py).
    """
    path = catalog_path(theme, lang)
    if path.is_file():
        return gettext.GNUTranslations(io.BytesIO(_compiled(path.read_bytes(), lang, cache_dir)))
    compiled = path.with_suffix(".mo")
    if compiled.is_file():
        return gettext.GNUTranslations(io.BytesIO(compiled.read_bytes()))
    return gettext.NullTranslations()


@cache
def jinja_functions(theme: str, lang: str, cache_dir: str = "") -> dict[str, object]:
    """Return Jinja's new-style gettext functions for lang, to pass in a render context.

    Context variables win over the environment's globals, so one environment renders
    both languages: nothing global is switched between two writes.
    """
    env = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    found = translations(theme, lang, cache_dir)
    env.install_gettext_translations(found, newstyle=True)  # type: ignore[attr-defined]
    names = ("gettext", "ngettext", "pgettext", "npgettext")
    return {name: env.globals[name] for name in names if name in env.globals}
