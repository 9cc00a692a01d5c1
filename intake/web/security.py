"""HTTP security headers on every intake response."""

from __future__ import annotations

from flask import Response, request

from ..deploy.headers import APP_CSP, COMMON, HSTS


def apply_security_headers(response: Response) -> Response:
    """Add CSP, nosniff, frame and referrer policies; HSTS when the request came over HTTPS."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", APP_CSP)
    for name, value in COMMON:
        headers.setdefault(name, value)
    if request.is_secure:
        headers.setdefault(*HSTS)
    if request.path.startswith("/app/"):
        headers.setdefault("Cache-Control", "no-store")
    return response
