"""Responses shared by the views: a form shown again when the database could not commit, and
the error pages.

Every HTTP error is a page in the reader's language, in the intake's layout; domain errors
become responses here, in one place. A page says what happened and what to do in words, with
a way back; never an exception's text, a traceback or a value typed.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from typing import Any

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_wtf.csrf import CSRFError
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from ..errors import InvalidTransition, NotFound, StoreUnavailable

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


Page = tuple[str, int, list[tuple[str, str]]]

BUSY = (
    _l("ただいま混み合っています"),
    _l("送信内容は保存されていません。お手数ですが、少し待ってからもう一度送信してください。"),
)
UNEXPECTED = (_l("エラーが発生しました"), _l("時間をおいてもう一度お試しください。"))
TOO_MANY = (
    _l("送信が多すぎます"),
    _l("短い時間に多くの送信がありました。しばらく待ってから、もう一度お試しください。"),
)
CSRF_FAILED = (
    _l("送信を受け付けられませんでした"),
    _l("ページの有効期限が切れたか、不正な送信です。ページを開き直してから送信してください。"),
)
# Title and message of each status; any other 4xx gets GENERIC, any other 5xx UNEXPECTED.
PAGES: dict[int, tuple[LazyString, LazyString]] = {
    400: (
        _l("送信内容を読み取れませんでした"),
        _l("送信の形式が正しくありません。ページを開き直してから、もう一度お試しください。"),
    ),
    401: (
        _l("ログインが必要です"),
        _l("このページを見るには、ログインしてください。"),
    ),
    403: (
        _l("このページを表示する権限がありません"),
        _l("このページは、権限のあるアカウントでログインした方だけが開けます。"),
    ),
    404: (_l("ページが見つかりません"), _l("お探しのページは見つかりませんでした。")),
    405: (
        _l("この方法では開けません"),
        _l("このページはこの操作に対応していません。リンクやボタンから開き直してください。"),
    ),
    409: (
        _l("すでに処理されています"),
        _l("この項目は別の操作ですでに処理されています。"),
    ),
    410: (
        _l("このページは使えなくなりました"),
        _l("リンクの有効期限が切れたか、すでに使われています。"),
    ),
    413: (
        _l("送信内容が大きすぎます"),
        _l(
            "ファイルや入力が大きすぎるため受け付けられませんでした。小さくしてから送り直してください。"
        ),
    ),
    429: TOO_MANY,
    500: UNEXPECTED,
    503: BUSY,
}
GENERIC = (
    _l("リクエストを処理できませんでした"),
    _l("ページを開き直してから、もう一度お試しください。"),
)


def error_page(
    status: int,
    words: tuple[LazyString, LazyString] | None = None,
    headers: Iterable[tuple[str, str]] = (),
) -> Page:
    """Render the page of an HTTP status (its own title and message unless words are given)."""
    title, message = words or PAGES.get(status) or (GENERIC if status < 500 else UNEXPECTED)
    page = render_template("message.html", title=title, message=message, status=status)
    return page, status, list(headers)


def install_error_pages(app: Flask) -> None:
    """Map domain errors and every HTTP error to a page; no request ends in a bare traceback."""

    @app.errorhandler(StoreUnavailable)
    @app.errorhandler(SQLAlchemyError)
    @app.errorhandler(RedisError)
    def _store_unavailable(exc: Exception) -> Page:
        # One line: the class only. SQL, its parameters and form values stay out of the log;
        # the formatter adds the request's id (sent back as X-Request-ID).
        cause = exc.__cause__ if isinstance(exc, StoreUnavailable) else exc
        log.error("storage unavailable (%s)", type(cause or exc).__name__)
        return error_page(503)

    @app.errorhandler(NotFound)
    def _not_found(exc: NotFound) -> Page:
        return error_page(404)

    @app.errorhandler(InvalidTransition)
    def _conflict(exc: InvalidTransition) -> Page:
        return error_page(409)

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> Page:
        return error_page(400, CSRF_FAILED)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Page:
        # Keep what the status promises (Allow of a 405, Retry-After), never the HTML type.
        kept = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
        return error_page(exc.code or 500, headers=kept)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Page:
        # The last line of defence: the type and where it was raised; the formatter
        # (intake/watching/logs.py) withholds every message, which may hold personal data.
        log.error("unexpected %s", type(exc).__name__, exc_info=exc)
        return error_page(500)
