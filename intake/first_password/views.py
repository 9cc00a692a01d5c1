"""GET/POST /app/account/first-password, and the gate that sends a marked account there.

After signing in (and the second factor where required), an account marked
`must_change_password` reaches only this page, signing out and static files; every other
intake page redirects here until the person has set a password of their own.
"""

from __future__ import annotations

from flask import Blueprint, Flask, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from ..accounts.forms import ResetPasswordForm
from ..accounts.signin_views import HOME_OF_ROLE
from ..errors import StoreUnavailable
from ..web.auth import current_account, rt
from ..web.auth import sign_in as start_session
from ..web.responses import retry_later
from . import services
from .errors import NothingToChange, SameAsInitial

bp = Blueprint("first_password", __name__, template_folder="templates")

# What a marked account may still reach: this page, signing out, static files, and the
# health and metrics answers (no pages).
OPEN_ENDPOINTS = frozenset(
    {
        "first_password.change",
        "auth.sign_out",
        "static",
        "theme.static",
        "site.serve",
        "watching.healthz",
        "watching.metrics",
    }
)
SAME_AS_INITIAL = _l("お知らせした仮のパスワードとは違うパスワードにしてください。")


@bp.route("/account/first-password", methods=["GET", "POST"])
def change() -> str | Response | tuple[str, int]:
    me = current_account()
    if me is None:
        return redirect(url_for("auth.sign_in", next=request.path))
    if not me.must_change_password:
        return redirect(url_for(HOME_OF_ROLE[me.kind]))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.set_first_password(rt(), me.id, form.password.data)
        except SameAsInitial:
            form.password.errors.append(SAME_AS_INITIAL)
        except NothingToChange:
            return redirect(url_for(HOME_OF_ROLE[me.kind]))
        except StoreUnavailable:
            return retry_later("first_password/change.html", form=form)
        else:
            start_session(me)  # every old session ended; this one goes on with a new id
            flash(_("パスワードを設定しました。次からは新しいパスワードでログインしてください。"))
            return redirect(url_for(HOME_OF_ROLE[me.kind]))
    page = render_template("first_password/change.html", form=form)
    return page, 422 if form.errors else 200


def _gate() -> Response | None:
    """Send a signed-in account that must change its password to this page."""
    if request.endpoint in OPEN_ENDPOINTS or "account_id" not in session:
        return None
    me = current_account()
    if me is None or not me.must_change_password:
        return None
    return redirect(url_for("first_password.change"))


def install(app: Flask) -> None:
    """Register the page and its gate (after the request id and the session are set up)."""
    app.register_blueprint(bp, url_prefix="/app")
    app.before_request(_gate)
