"""The headers Hiroba's responses carry: one list for the app, the live site, nginx and the
bucket the site may be published to.

The intake app (intake/web/security.py), the live site it serves for `hiroba up`
(intake/site/live_views.py) and the nginx site that `hiroba deploy nginx` writes all read
these values, so the static site and /app/ cannot drift apart. The cache lifetimes below
are nginx's `map` for the static site and the Cache-Control of every object published to
a bucket (worker/publication), so both serve a file alike.
"""

from __future__ import annotations

import re

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


# How long browsers keep each kind of file, as (regular expression on the URI path, value),
# the first match winning (nginx's map tries them in this order): names that never change
# (Pagefind's hashed index files, an upload's files) long, pages short, so an approval
# shows within a minute.
CACHE_DEFAULT = "public, max-age=60"
CACHE_RULES: tuple[tuple[str, str], ...] = (
    (r"^/banner\.css$", "public, max-age=20"),  # the site-wide banner: on every page within 60 s
    (r"^/pagefind/.+\.pf_(fragment|index|meta)$", "public, max-age=31536000, immutable"),
    (r"^/pagefind/", "public, max-age=300"),
    (r"^/media/", "public, max-age=86400"),
    (r"^/theme/", "public, max-age=3600"),
    (r"\.(ics|xml)$", "public, max-age=300"),
)
_COMPILED = tuple((re.compile(pattern), value) for pattern, value in CACHE_RULES)

# Calendars: Debian's mime.types has no .ics; webcal:// subscribers want text/calendar.
CALENDAR_TYPE = "text/calendar; charset=utf-8"


def cache_control(uri: str) -> str:
    """Return the Cache-Control of the site's file at uri (a path from the site's root)."""
    path = "/" + uri.lstrip("/")
    for pattern, value in _COMPILED:
        if pattern.search(path):
            return value
    return CACHE_DEFAULT
