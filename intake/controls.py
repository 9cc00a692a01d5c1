"""Characters that never belong in user text: control, bidi-override and zero-width characters.

One policy for every way in (web requests, forms, the CLI, the database) and out (the
worker's content files): C0 and C1 controls are removed (a multi-line value keeps its
newlines and tabs, with CR LF and lone CR made LF); one-line public fields refuse the
invisible characters that reorder or hide text. XML 1.0 forbids most C0 controls, so a
single one in a title used to stop every build.
"""

from __future__ import annotations

import re

# C0 controls except tab and newline (CR is handled apart), DEL, and the C1 controls.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# The same without CR: the database keeps what it is given but NUL and its kin.
_STORED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# What XML 1.0 refuses (besides the controls above): lone surrogates and U+FFFE, U+FFFF.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS = re.compile(r"\r\n?")
_ONE_LINE_SPACES = re.compile(r"[\t\n\r]+")
# Bidi embeddings, overrides, isolates and marks (ALM, LRM, RLM), zero-width spaces and
# joiners, the word joiner and invisible operators, and the byte-order mark.
INVISIBLE = re.compile(r"[\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]")


def multi_line(value: str) -> str:
    """Return value without controls, keeping newlines (CR LF and CR become LF) and tabs."""
    return _CONTROLS.sub("", _LINE_BREAKS.sub("\n", value))


def one_line(value: str) -> str:
    """Return value without controls; tabs and line breaks become one space each run."""
    return _CONTROLS.sub("", _ONE_LINE_SPACES.sub(" ", value))


def stored(value: str) -> str:
    """Return value as the database may keep it: no NUL nor other C0 and C1 controls but
    tab, LF and CR (PostgreSQL refuses NUL; the rest would break the site's XML)."""
    return _STORED.sub("", value) if _STORED.search(value) else value


def xml_safe(value: str) -> str:
    """Return value without the characters XML 1.0 forbids (and the C1 controls)."""
    return _NOT_XML.sub("", value) if _NOT_XML.search(value) else value


def invisible_in(value: str) -> list[str]:
    """Return the invisible characters in value as U+XXXX names, each once, in order."""
    return list(dict.fromkeys(f"U+{ord(c):04X}" for c in INVISIBLE.findall(value)))
