"""The intake's gettext catalogs read without Flask: for mails, form messages and the CLI.

A wheel holds the compiled .mo files (setup.py); a checkout holds only the .po files, which
are compiled in memory here, never into the code. Domains, under ``translations/<lang>``:

- ``messages``: the intake's own text; the ids are Japanese, ``en`` holds the English.
- ``wtforms``: WTForms' field messages; the ids are WTForms' English, ``ja`` holds Japanese.
- ``argparse``: the words of Python's argparse (usage, errors); English ids, ``ja`` Japanese.
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent / "translations"


def catalog(lang: str, domain: str = "messages", root: Path = ROOT) -> gettext.NullTranslations:
    """Return the catalog of domain in lang (none at all: every id unchanged)."""
    folder = root / lang / "LC_MESSAGES"
    for name in (f"{domain}.mo", f"{domain}.po"):
        path = folder / name
        if path.is_file():
            return _loaded(path, path.stat().st_mtime_ns)
    return gettext.NullTranslations()


@cache
def _loaded(path: Path, mtime_ns: int) -> gettext.GNUTranslations:
    """Return the catalog at path as it was at mtime_ns (each process reads it once)."""
    data = path.read_bytes()
    if path.suffix == ".po":
        lang, domain = path.parent.parent.name, path.stem
        parsed = read_po(io.BytesIO(data), locale=lang, domain=domain)
        buffer = io.BytesIO()
        write_mo(buffer, parsed, use_fuzzy=False)
        data = buffer.getvalue()
    return gettext.GNUTranslations(io.BytesIO(data))
