"""The application factory: everything is built here, nothing at import time."""

from __future__ import annotations

from typing import Any

from flask import Flask, g
from flask_wtf.csrf import CSRFProtect

from ..config import Settings
from ..formatting import dates, phones
from ..moderation.waiting import QUEUE_LABELS, WaitingWork, waiting_work
from ..protection.keys import require_keys
from ..runtime import Runtime
from .banner import banner_of_request
from .converters import install as install_converters
from .filters import isodate, jadate, jadatetime, jarule, jaspan, jst, number, occurrence_list
from .hardening import check_keys, cookie_settings, limit_applying
from .hardening import install as install_protection
from .locale import install as install_locale
from .plain_text import PlainTextRequest
from .post_filters import audience_labels, recurrence_words
from .responses import install_error_pages
from .security import apply_security_headers

csrf = CSRFProtect()


def create_app(
    settings: Settings | None = None,
    runtime: Runtime | None = None,
    config: dict[str, Any] | None = None,
) -> Flask:
    """Build the intake app for settings (default: read from the environment)."""
    settings = settings or (runtime.settings if runtime else Settings.from_env())
    check_keys(settings)
    # Under /app/ like every intake page: nginx sends only /app/ to the intake.
    app = Flask(__name__, static_url_path="/app/static")
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
    from ..first_password import views as first_password
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
    from ..site import theme_views as theme
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
    first_password.install(app)  # the page, and the gate that sends a marked account there
    app.register_blueprint(moderation_notices.bp, url_prefix="/app")
    theme.install(app)  # the site's header, footer and stylesheets, before the site's routes
    app.register_blueprint(site.bp)
    limit_applying(app, limiter, settings)
    app.after_request(apply_security_headers)
    app.add_template_filter(jadatetime)
    app.add_template_filter(jadate)
    app.add_template_filter(jaspan)
    app.add_template_filter(isodate)  # these three for the theme's _facts.html
    app.add_template_filter(occurrence_list)
    app.add_template_filter(jarule)
    app.add_template_filter(number)
    app.add_template_filter(jst)
    app.add_template_filter(dates.format_timestamp, "timestamp")
    app.add_template_filter(phones.format_phone, "phone")
    app.add_template_filter(recurrence_words)
    app.add_template_filter(audience_labels)
    app.add_template_global(_waiting_work, "waiting_work")  # the moderation nav's counts
    app.add_template_global(QUEUE_LABELS, "waiting_labels")
    install_error_pages(app)

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
