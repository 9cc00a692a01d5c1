"""The security headers Hiroba's responses carry: one list for the app, the live site and nginx.

The intake app (intake/web/security.py), the live site it serves for `hiroba up`
(intake/site/live_views.py) and the nginx site that `hiroba deploy nginx` writes all read
these values, so the static site and /app/ cannot drift apart.
"""

from __future__ import annotations

# The intake's pages: no script beyond our own files.
APP_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)

# The site's search page runs Pagefind's WebAssembly (same origin): compiling it needs
# 'wasm-unsafe-eval', which allows no eval of JavaScript.
SITE_CSP = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "object-src 'none'"
)

# Sent with every response besides the CSP (HSTS only over HTTPS).
COMMON: tuple[tuple[str, str], ...] = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
)

HSTS = ("Strict-Transport-Security", "max-age=63072000; includeSubDomains")


def site_headers() -> tuple[tuple[str, str], ...]:
    """Return the headers of a static-site response over HTTPS, HSTS included."""
    return (("Content-Security-Policy", SITE_CSP), *COMMON, HSTS)
