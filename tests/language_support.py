"""What the `hiroba` command says of an error in a language: the same call it makes
(intake.cli.language), so a test reads the English an operator with LANG=en reads."""

from __future__ import annotations

from intake.cli.language import error_message, speaking
from intake.errors import HirobaError


def said(exc: HirobaError, lang: str) -> str:
    """Return exc as the command prints it in lang."""
    with speaking(lang):
        return error_message(exc)
