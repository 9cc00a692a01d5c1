"""Responses shared by the views: a form shown again when the database could not commit."""

from __future__ import annotations

import logging
from typing import Any

from flask import render_template

log = logging.getLogger(__name__)


def retry_later(template: str, **context: Any) -> tuple[str, int]:
    """Re-render a form with what the user typed and ask them to send it again (503)."""
    log.error("database could not commit a %s submission", template)
    return render_template(template, store_error=True, **context), 503
