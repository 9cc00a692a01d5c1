"""Sign-in protection wired into the app: server-side sessions, rate limits, the proxy.

Rate limits use Flask-Limiter on the deployment's Redis (never an in-memory store, which
each gunicorn worker would keep apart). Every form POST is limited per client address and
endpoint; both sign-in steps share a stricter limit, and so do applying, cancelling and the
contact form.
A limited request gets a Japanese 429 page with Retry-After. When Redis is down the limits
are skipped rather than refusing every form.
"""

from __future__ import annotations

from flask import Flask, g, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix

from .. import redis_keys
from ..accounts.sessions import SessionPolicy
from ..config import Settings
from ..crypto import load_vault
from ..protection.access import CLIENT_ADDRESS
from ..runtime import Runtime
from .responses import Page, error_page
from .sessions import DEVELOPMENT_COOKIE, PRODUCTION_COOKIE, RedisSessionInterface


def check_keys(settings: Settings) -> None:
    """Refuse to start when a key file is missing, readable by others or too short."""
    settings.secret_key()
    load_vault(settings.keys_dir)


def cookie_settings(settings: Settings) -> dict[str, object]:
    """Return Flask's cookie configuration: `__Host-` and Secure in production."""
    production = settings.environment == "production"
    return {
        "SESSION_COOKIE_NAME": PRODUCTION_COOKIE if production else DEVELOPMENT_COOKIE,
        "SESSION_COOKIE_PATH": "/",
        "SESSION_COOKIE_DOMAIN": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
    }


def _storage_uri(redis_url: str) -> str:
    """Return the limits library's URI for the Redis URL of the deployment."""
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url.removeprefix("unix://")
    return redis_url


def _not_a_post() -> bool:
    return request.method != "POST"


APPLYING_ENDPOINTS = ("applications.apply", "applications.application", "inquiries.contact")


def limit_applying(app: Flask, limiter: Limiter, settings: Settings) -> None:
    """Give applying, cancelling and the contact form their own limit on top of the forms' one.

    Called once the blueprints are registered: the limit wraps the registered views.
    """
    limit = limiter.limit(settings.rate_limit_apply, methods=["POST"])
    for endpoint in APPLYING_ENDPOINTS:
        app.view_functions[endpoint] = limit(app.view_functions[endpoint])


def install(app: Flask, settings: Settings, runtime: Runtime) -> Limiter:
    """Install the session store, the proxy fix, the rate limits and the 429 page."""
    if settings.trusted_proxies:
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)  # type: ignore[method-assign]
    _remember_client_address(app, runtime)
    app.session_interface = RedisSessionInterface(
        runtime.redis, settings.redis_prefix, SessionPolicy.from_settings(settings)
    )
    limiter = Limiter(
        key_func=get_remote_address,
        storage_uri=_storage_uri(settings.redis_url),
        strategy="fixed-window",
        key_prefix=redis_keys.rate_limits(settings.redis_prefix),
        storage_options={"key_prefix": redis_keys.rate_limit_storage(settings.redis_prefix)},
        default_limits=[settings.rate_limit_forms],
        default_limits_exempt_when=_not_a_post,
        swallow_errors=True,
        in_memory_fallback_enabled=False,
        # No X-RateLimit-* headers: they cost two more round trips to Redis on every
        # limited request; a refused one is told when to come back (Retry-After below).
        headers_enabled=False,
    )
    limiter.init_app(app)
    from ..accounts import signin_views as auth

    limiter.limit(settings.rate_limit_signin, methods=["POST"])(auth.bp)

    @app.errorhandler(RateLimitExceeded)
    def _too_many(exc: RateLimitExceeded) -> Page:
        # The window's length: the latest a fixed window can take to open again.
        return error_page(429, headers=[("Retry-After", str(exc.limit.limit.get_expiry()))])

    return limiter


def _remember_client_address(app: Flask, runtime: Runtime) -> None:
    """Let every audit entry of a request carry its client address (after the proxy fix)."""

    def start() -> None:
        address = request.remote_addr or "unknown"
        g.client_address_token = CLIENT_ADDRESS.set((runtime.vault, address))

    def end(_exc: BaseException | None) -> None:
        token = g.pop("client_address_token", None)
        if token is not None:
            CLIENT_ADDRESS.reset(token)

    app.before_request(start)
    app.teardown_request(end)
