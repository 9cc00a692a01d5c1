"""URL converters that keep what a path may carry within what the database can hold.

Werkzeug's `int` converter accepts any number of digits: a 23-digit id overflows SQLite's
64-bit integers (OverflowError) and a 10-digit one PostgreSQL's 32-bit INTEGER, a 500
either way before any lookup can say 404. The app replaces `int` with a bounded one, so
every route, present and future, answers 404.
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map

# The largest id every database holds: the ids are SQL INTEGER, 32 bits on PostgreSQL
# (which refuses a larger literal with "integer out of range") and 64 on SQLite.
MAX_ID = 2**31 - 1


class BoundedIntConverter(IntegerConverter):
    """An unsigned `int` converter that matches no value above MAX_ID (so: 404)."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def install(url_map: Map) -> None:
    """Make `<int:...>` in every rule of url_map the bounded converter."""
    url_map.converters["int"] = BoundedIntConverter
