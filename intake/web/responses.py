"""Responses shared by the views: a form shown again when the database could not commit."""

from __future__ import annotations

import logging
import sys
from typing import Any

from flask import render_template

log = logging.getLogger(__name__)


def retry_later(template: str, **context: Any) -> tuple[str, int]:
    """Re-render a form with what the user typed and ask them to send it again (503)."""
    # Called while handling StoreUnavailable: name the database's error class, nothing more
    # (its message holds the SQL and the values typed); the formatter adds the request id.
    exc = sys.exc_info()[1]
    cause = (exc.__cause__ or exc) if exc is not None else None
    log.error(
        "database could not commit a %s submission (%s)",
        template,
        type(cause).__name__ if cause is not None else "unknown error",
    )
    return render_template(template, store_error=True, **context), 503
