"""What the `hiroba` command says of an error in a language: the same call it makes
(intake.cli.language), so a test reads the English an operator with LANG=en reads."""

from __future__ import annotations

from intake.cli.language import config_error, speaking
from intake.errors import ConfigError


def said(exc: ConfigError, lang: str) -> str:
    """Return exc as the command prints it in lang."""
    with speaking(lang):
        return config_error(exc)
