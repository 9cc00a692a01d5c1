"""One logging configuration for the web (gunicorn + Flask) and the worker (rq).

Every line carries a UTC time stamp and a level; HIROBA_LOG_FORMAT=json writes one JSON
object per line instead. Logs must never hold personal data, so the formatter:

- withholds every exception's message (SQL parameters, form values and SMTP replies
  travel in them) and prints only the exception's class and the stack's locations, both
  for `exc_info` and for tracebacks that a library (rq) has already turned into text;
- redacts the tokens that sit in URL paths (application and password-reset links,
  upload previews, organizer exports) and the values of query strings.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import traceback
from contextvars import ContextVar
from datetime import UTC, datetime
from types import TracebackType
from typing import IO, Any

from .repeats import own_loggers_say_repeats

# The current web request's id (set by the web layer, read by the formatter).
REQUEST_ID: ContextVar[str] = ContextVar("hiroba_request_id", default="")

# Routes whose last path segment is a secret token (intake/*/views.py):
# /app/applications/<token>, /app/password/reset/<token>, /app/moderation/uploads/<token>,
# /app/organizer/exports/<token>. tests/test_logging.py checks this list against the URL map.
TOKEN_ROUTES = ("applications", "password/reset", "moderation/uploads", "organizer/exports")
_TOKEN_ALTERNATIVES = "|".join(map(re.escape, TOKEN_ROUTES))
_TOKEN_PATH = re.compile(rf"(/app/(?:{_TOKEN_ALTERNATIVES})/)[^/?#\s\"']+")
_QUERY_VALUE = re.compile(r"([?&][^=&#?\s\"']*=)[^&#\s\"']+")
REDACTED = "[redacted]"

_TRACEBACK_START = "Traceback (most recent call last):"
_CHAIN_LINES = (
    "The above exception was the direct cause of the following exception:",
    "During handling of the above exception, another exception occurred:",
)
_EXCEPTION_NAME = re.compile(r"[A-Za-z_][\w.]*")

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def redact(text: str) -> str:
    """Replace the tokens in URL paths and the values in query strings."""
    return _QUERY_VALUE.sub(r"\1*", _TOKEN_PATH.sub(rf"\1{REDACTED}", text))


def _exception_name(exc_type: type[BaseException]) -> str:
    module = exc_type.__module__
    name = exc_type.__qualname__
    return name if module in ("builtins", "__main__") else f"{module}.{name}"


def safe_stack(exc_info: ExcInfo) -> list[str]:
    """Render an exception's chain as Python does, without messages or source lines."""
    lines: list[str] = []
    seen: set[int] = set()

    def render(exc: BaseException) -> None:
        seen.add(id(exc))
        if exc.__cause__ is not None and id(exc.__cause__) not in seen:
            render(exc.__cause__)
            lines.append(_CHAIN_LINES[0])
        elif (
            exc.__context__ is not None
            and not exc.__suppress_context__
            and id(exc.__context__) not in seen
        ):
            render(exc.__context__)
            lines.append(_CHAIN_LINES[1])
        lines.append(_TRACEBACK_START)
        for frame in traceback.extract_tb(exc.__traceback__):
            lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}')
        lines.append(f"{_exception_name(type(exc))} (message withheld)")

    render(exc_info[1])
    return lines


def strip_traceback_text(text: str) -> str:
    """Cut the exception messages and source lines out of tracebacks written as text."""
    if _TRACEBACK_START not in text:
        return text
    out: list[str] = []
    inside = named = False
    for line in text.split("\n"):
        if line.startswith(_TRACEBACK_START):
            inside, named = True, False
            out.append(line)
        elif not inside:
            out.append(line)
        elif line.startswith('  File "'):
            out.append(line.split("\n", 1)[0])
        elif line.startswith(" ") or not line.strip():
            continue  # source lines, carets, a message's indented continuation
        elif line in _CHAIN_LINES:
            out.append(line)
        elif not named:
            match = _EXCEPTION_NAME.match(line)
            out.append(f"{match.group(0) if match else 'Exception'} (message withheld)")
            named = True
    return "\n".join(out)


class HirobaFormatter(logging.Formatter):
    """Time stamp (UTC), level, logger and message on every line, or one JSON object."""

    def __init__(self, json_lines: bool = False) -> None:
        super().__init__()
        self.json_lines = json_lines

    def format(self, record: logging.LogRecord) -> str:
        message = redact(strip_traceback_text(record.getMessage()))
        stack: list[str] = []
        error = ""
        if record.exc_info and record.exc_info[1] is not None:
            exc_info: Any = record.exc_info
            stack = safe_stack(exc_info)
            error = _exception_name(type(record.exc_info[1]))
        request_id = getattr(record, "request_id", "") or REQUEST_ID.get()
        stamp = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        stamp = stamp.replace("+00:00", "Z")
        if self.json_lines:
            data: dict[str, Any] = {
                "time": stamp,
                "level": record.levelname,
                "logger": record.name,
                "message": message,
            }
            if request_id:
                data["request_id"] = request_id
            http = getattr(record, "http", None)
            if isinstance(http, dict):
                data["http"] = http
            if error:
                data["error"] = error
                data["stack"] = stack
            return json.dumps(data, ensure_ascii=False, default=str)
        if request_id:
            message = f"{message} [request {request_id}]"
        head = f"{stamp} {record.levelname} {record.name}:"
        return "\n".join(f"{head} {line}" for line in [*message.split("\n"), *stack])


def make_handler(stream: IO[str], json_lines: bool) -> logging.Handler:
    """Return a stream handler with Hiroba's formatter, marked as ours."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(HirobaFormatter(json_lines))
    handler.set_name("hiroba")
    return handler


def wants_json(log_format: str | None = None) -> bool:
    """Tell from log_format (default HIROBA_LOG_FORMAT) whether to write JSON lines."""
    return (log_format or os.environ.get("HIROBA_LOG_FORMAT", "text")) == "json"


def configure_logging(
    log_format: str | None = None, level: int = logging.INFO, stream: IO[str] | None = None
) -> None:
    """Send every logger's records through one handler on stderr (or stream), once."""
    own_loggers_say_repeats()
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(make_handler(stream or sys.stderr, wants_json(log_format)))
    root.setLevel(level)
    logging.captureWarnings(True)  # a warning printed raw would break the JSON lines
    # rq gives its worker logger handlers of its own unless one is found up the tree;
    # drop any it made before this ran so its lines take the same path.
    for name in ("rq.worker", "rq.scheduler"):
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        logger.propagate = True
