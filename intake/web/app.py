"""The application factory: everything is built here, nothing at import time."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, g, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError, CSRFProtect
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from ..config import Settings
from ..errors import InvalidTransition, NotFound, StoreUnavailable
from ..formatting import dates, phones
from ..moderation.waiting import QUEUE_LABELS, WaitingWork, waiting_work
from ..protection.keys import require_keys
from ..runtime import Runtime
from .banner import banner_of_request
from .converters import install as install_converters
from .filters import jadate, jadatetime, jst, number
from .hardening import check_keys, cookie_settings, limit_applying
from .hardening import install as install_protection
from .locale import install as install_locale
from .plain_text import PlainTextRequest
from .post_filters import audience_labels, recurrence_words
from .security import apply_security_headers

csrf = CSRFProtect()
log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None,
    runtime: Runtime | None = None,
    config: dict[str, Any] | None = None,
) -> Flask:
    """Build the intake app for settings (default: read from the environment)."""
    settings = settings or (runtime.settings if runtime else Settings.from_env())
    check_keys(settings)
    app = Flask(__name__)
    app.request_class = PlainTextRequest  # no control character reaches a view
    install_converters(app.url_map)  # before any rule is added
    app.config.update(
        SECRET_KEY=settings.secret_key(),
        DEBUG=settings.debug,
        MAX_CONTENT_LENGTH=1024 * 1024,
        **cookie_settings(settings),
        WTF_CSRF_TIME_LIMIT=None,
        HIROBA=settings,
    )
    app.config.update(config or {})
    app.extensions["hiroba.runtime"] = rt = runtime or Runtime.from_settings(settings)
    require_keys(rt.sessions, rt.vault)  # every key id the database uses, on this host too
    from ..uploads.views import allow_uploads

    allow_uploads(app)  # the post form's larger limit, set before CSRF reads the form
    csrf.init_app(app)
    install_locale(app, settings)
    limiter = install_protection(app, settings, app.extensions["hiroba.runtime"])

    from ..accounts import moderation_views as moderation_accounts
    from ..accounts import signin_views as auth
    from ..accounts import views as account
    from ..applications import hand_views as applications_by_hand
    from ..applications import organizer_views as organizer
    from ..applications import views as applications
    from ..helping import enrol_views as helping_enrol
    from ..helping import views as helping
    from ..inquiries import moderation_views as moderation_inquiries
    from ..inquiries import views as inquiries
    from ..moderation import posts_views as moderation_posts
    from ..moderation import reasons_views as moderation_reasons
    from ..moderation import views as moderation
    from ..notices import views as moderation_notices
    from ..oversight import ledger_views as ledger
    from ..oversight import roster_views as roster
    from ..oversight import views as staff
    from ..posts import on_behalf_views as posts_on_behalf
    from ..posts import views as posts
    from ..profiles import moderation_views as moderation_profiles
    from ..profiles import views as profile
    from ..site import live_views as site
    from ..site import views as moderation_site
    from ..uploads import views as uploads
    from ..watching import views as watching

    for module in (applications, auth, posts, moderation):
        app.register_blueprint(module.bp, url_prefix="/app")
    watching.install(app)  # /healthz, /metrics, and every request's id for the logs
    app.register_blueprint(staff.bp, url_prefix="/app")
    app.register_blueprint(roster.bp, url_prefix="/app")
    app.register_blueprint(ledger.bp, url_prefix="/app")
    app.register_blueprint(account.bp, url_prefix="/app")
    app.register_blueprint(moderation_accounts.bp, url_prefix="/app")
    app.register_blueprint(moderation_site.bp, url_prefix="/app")
    app.register_blueprint(profile.bp, url_prefix="/app")
    app.register_blueprint(moderation_profiles.bp, url_prefix="/app")
    app.register_blueprint(moderation_posts.bp, url_prefix="/app")
    app.register_blueprint(moderation_reasons.bp, url_prefix="/app")
    app.register_blueprint(organizer.bp, url_prefix="/app")
    app.register_blueprint(applications_by_hand.bp, url_prefix="/app")
    app.register_blueprint(posts_on_behalf.bp, url_prefix="/app")
    app.register_blueprint(uploads.bp, url_prefix="/app")
    app.register_blueprint(inquiries.bp, url_prefix="/app")
    app.register_blueprint(moderation_inquiries.bp, url_prefix="/app")
    app.register_blueprint(helping.bp, url_prefix="/app")
    app.register_blueprint(helping_enrol.bp, url_prefix="/app")
    app.register_blueprint(moderation_notices.bp, url_prefix="/app")
    app.register_blueprint(site.bp)
    limit_applying(app, limiter, settings)
    app.after_request(apply_security_headers)
    app.add_template_filter(jadatetime)
    app.add_template_filter(jadate)
    app.add_template_filter(number)
    app.add_template_filter(jst)
    app.add_template_filter(dates.format_timestamp, "timestamp")
    app.add_template_filter(phones.format_phone, "phone")
    app.add_template_filter(recurrence_words)
    app.add_template_filter(audience_labels)
    app.add_template_global(_waiting_work, "waiting_work")  # the moderation nav's counts
    app.add_template_global(QUEUE_LABELS, "waiting_labels")
    _register_error_pages(app)

    @app.context_processor
    def _globals() -> dict[str, Any]:
        from .auth import current_account

        return {
            "site_name": settings.site_name,
            "me": current_account(),
            "operator": settings.deployment.operator,  # the footer's contact details
            "site_banner": banner_of_request(rt),  # read per request: shown at once
        }

    return app


def _waiting_work() -> WaitingWork:
    """Count the work waiting for moderators, once per request (the nav may be shown twice)."""
    from .auth import rt

    if "waiting_work" not in g:
        g.waiting_work = waiting_work(rt())
    return g.waiting_work  # type: ignore[no-any-return]


def _register_error_pages(app: Flask) -> None:
    """Map domain errors to responses in one place; no request ends in a bare traceback."""

    def page(status: int, title: str, message: str) -> tuple[str, int]:
        return render_template("message.html", title=title, message=message), status

    @app.errorhandler(StoreUnavailable)
    @app.errorhandler(SQLAlchemyError)
    @app.errorhandler(RedisError)
    def _store_unavailable(exc: Exception) -> tuple[str, int]:
        # One line: the class only. SQL, its parameters and form values stay out of the log;
        # the formatter adds the request's id (sent back as X-Request-ID).
        cause = exc.__cause__ if isinstance(exc, StoreUnavailable) else exc
        log.error("storage unavailable (%s)", type(cause or exc).__name__)
        return page(
            503,
            _l("ただいま混み合っています"),
            _l(
                "送信内容は保存されていません。お手数ですが、少し待ってからもう一度送信してください。"
            ),
        )

    @app.errorhandler(NotFound)
    def _not_found(exc: NotFound) -> tuple[str, int]:
        return page(404, _l("ページが見つかりません"), _l("お探しのページは見つかりませんでした。"))

    @app.errorhandler(InvalidTransition)
    def _conflict(exc: InvalidTransition) -> tuple[str, int]:
        return page(
            409, _l("すでに処理されています"), _l("この項目は別の操作ですでに処理されています。")
        )

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> tuple[str, int]:
        return page(
            400,
            _l("送信を受け付けられませんでした"),
            _l(
                "ページの有効期限が切れたか、不正な送信です。ページを開き直してから送信してください。"
            ),
        )

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> tuple[str, int]:
        return page(
            exc.code or 500, f"{exc.code} {exc.name}", _l("リクエストを処理できませんでした。")
        )

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> tuple[str, int]:
        # The last line of defence: the type and where it was raised; the formatter
        # (intake/watching/logs.py) withholds every message, which may hold personal data.
        log.error("unexpected %s", type(exc).__name__, exc_info=exc)
        return page(500, _l("エラーが発生しました"), _l("時間をおいてもう一度お試しください。"))
