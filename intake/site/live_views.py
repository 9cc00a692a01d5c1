"""Serves the live static site on the intake's origin (for `hiroba up`; production uses nginx)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, send_from_directory
from werkzeug.security import safe_join
from werkzeug.wrappers import Response

from ..deploy.headers import SITE_CSP, cache_control

bp = Blueprint("site", __name__)

BANNER = "banner.css"


def _banner() -> Response:
    """Serve the site-wide banner's stylesheet; an empty one before the worker wrote it."""
    folder = current_app.config["HIROBA"].site_dir / "banner"
    response: Response = (
        send_from_directory(folder, BANNER, max_age=0)
        if (folder / BANNER).is_file()
        else current_app.response_class("", mimetype="text/css")
    )
    response.headers["Cache-Control"] = cache_control("/" + BANNER)
    response.headers["Content-Security-Policy"] = SITE_CSP
    return response


@bp.route("/", defaults={"path": ""})
@bp.route("/<path:path>")
def serve(path: str) -> Response:
    if path == BANNER:  # beside the builds, not in one (worker/publication/banner.py)
        return _banner()
    live = current_app.config["HIROBA"].live_dir
    if not live.exists():
        abort(404)
    # Resolve the symlink once per request, so a switch mid-request cannot mix two builds.
    root = live.resolve()
    if safe_join(str(root), path) is None:
        abort(404)
    if path and not path.endswith("/") and (root / path).is_dir():
        return redirect(f"/{path}/", code=301)
    if path == "" or path.endswith("/"):
        path = f"{path}index.html"
    if not (root / path).is_file():
        # A missing English page gets the English 404 page (en/404.html), others Japanese.
        missing = "en/404.html" if path.startswith("en/") else "404.html"
        if (root / missing).is_file():
            return send_from_directory(root, missing), 404  # type: ignore[return-value]
        abort(404)
    response = send_from_directory(root, path, max_age=60)
    response.headers["Content-Security-Policy"] = SITE_CSP
    return response
