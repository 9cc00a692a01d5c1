"""Flyers and images before approval: moderators' preview, and the post form's size limit.

An uploaded file is served by nobody until its post is approved and published (then it
is part of the static site). Before that, only a signed-in moderator sees it, here, by
its random token.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, Flask, request, send_file
from werkzeug.wrappers import Response

from ..errors import NotFound
from ..models import Upload
from ..web.auth import role_required, rt
from .services import post_uploads, preview_file

bp = Blueprint("uploads", __name__)

# Views whose requests may carry files; every other request keeps the app's 1 MB limit.
UPLOAD_ENDPOINTS = frozenset({"posts.new", "posts.edit"})
# An image is shown as the browser's own image document; a PDF in its built-in viewer.
# Neither may run script, and neither may be framed by another page.
PREVIEW_CSP = {
    "image/webp": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'; sandbox",
    "application/pdf": "default-src 'none'; object-src 'self'; frame-ancestors 'none'",
}


@bp.route("/moderation/uploads/<token>")
@role_required("moderator")
def preview(token: str) -> Response:
    found = preview_file(rt(), token)
    if found is None:
        raise NotFound("upload")
    # A file of this host is sent as before; a bucket's object comes as its bytes.
    response = send_file(
        found.path if found.path is not None else io.BytesIO(found.data or b""),
        mimetype=found.mimetype,
        as_attachment=False,
        download_name=found.download_name,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = PREVIEW_CSP[found.mimetype]
    response.headers["Cache-Control"] = "no-store, private"
    return response


@bp.app_context_processor
def _post_uploads() -> dict[str, Any]:
    """Let the moderator's review page list a post's files (moderation/_uploads.html)."""

    def files_of(post_id: int) -> list[Upload]:
        return post_uploads(rt(), post_id)

    return {"post_uploads": files_of}


def allow_uploads(app: Flask) -> None:
    """Raise the request size limit for the views that take files, and for them only.

    Registered before CSRF protection, which is the first to read the form: the limit
    must be in place by then.
    """

    @app.before_request
    def _raise_limit() -> None:
        if request.endpoint in UPLOAD_ENDPOINTS:
            request.max_content_length = rt().settings.deployment.uploads.request_bytes
