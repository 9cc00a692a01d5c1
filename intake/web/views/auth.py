"""Signing in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from ...services.accounts import authenticate
from ..auth import rt
from ..auth import sign_in as start_session
from ..forms import SignInForm, SignOutForm

bp = Blueprint("auth", __name__)

HOME_OF_ROLE = {
    "moderator": "moderation.index",
    "staff": "moderation.index",
    "individual": "posts.mine",
    "group": "posts.mine",
}


def _safe_next(target: str | None) -> str | None:
    """Return target only when it is a path on this site (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target


@bp.route("/login", methods=["GET", "POST"])
def sign_in() -> str | Response | tuple[str, int]:
    form = SignInForm()
    if form.validate_on_submit():
        account = authenticate(rt(), form.login.data.strip(), form.password.data)
        if account is not None:
            start_session(account)
            return redirect(
                _safe_next(request.args.get("next")) or url_for(HOME_OF_ROLE[account.kind])
            )
        form.password.errors.append(
            "ログインIDまたはパスワードが正しくないか、まだ承認されていません。"
        )
    return render_template("login.html", form=form), 422 if form.errors else 200


@bp.route("/logout", methods=["POST"])
def sign_out() -> Response:
    form = SignOutForm()
    if form.validate_on_submit():
        session.clear()
    return redirect(url_for("auth.sign_in"))
