"""Numbers for people: 1,234 in both languages, with the locale's own grouping."""

from __future__ import annotations

from babel.numbers import format_decimal

from .dates import LANGS


def format_number(value: int | float, lang: str | None = "ja") -> str:
    """Return a count or amount with thousands grouped: 12,345 (1,234.5 keeps its decimal)."""
    return format_decimal(value, locale=lang if lang in LANGS else "ja")
