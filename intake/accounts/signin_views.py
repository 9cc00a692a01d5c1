"""Signing in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from ..web.auth import await_second_factor, current_account, pending_account_id, rt
from ..web.auth import sign_in as start_session
from ..web.auth import sign_out as end_session
from .forms import SecondFactorForm, SignInForm, SignOutForm
from .signin import (
    SignInRefused,
    check_password,
    check_second_factor,
    record_signin,
    record_signout,
)

bp = Blueprint("auth", __name__, template_folder="templates")

HOME_OF_ROLE = {
    "moderator": "moderation.index",
    "staff": "staff.index",
    "individual": "posts.mine",
    "group": "posts.mine",
}


def _safe_next(target: str | None) -> str | None:
    """Return target only when it is a plain path of the intake app (no open redirects).

    Only `/app/...` paths pass: no scheme or host, no `//`, no backslash (browsers read it
    as `/`), no control character (CR/LF would break the Location header) and no `..`.
    """
    if not target or not target.startswith("/app/") or "//" in target or "\\" in target:
        return None
    if any(ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0 for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or ".." in parts.path.split("/"):
        return None
    return target


REFUSALS = {
    "invalid": _l("ログインIDまたはパスワードが正しくないか、まだ承認されていません。"),
    "locked": _l(
        "ログインに続けて失敗したため、このIDのログインを一時的に止めています。"
        "しばらく待ってからもう一度お試しください。"
    ),
    "address": _l(
        "この接続元からのログインの失敗が多いため、一時的にログインを止めています。"
        "しばらく待ってからもう一度お試しください。"
    ),
    "no_factor": _l("このアカウントは二段階認証が設定されていません。管理者に連絡してください。"),
    "unavailable": _l(
        "ただいまログインを受け付けられません。少し待ってからもう一度お試しください。"
    ),
    # Only after the right password (intake/accounts/signin.py): how the registration stands.
    "pending": _l(
        "登録は審査中です。運営者が承認すると、ログインできるようになります。"
        "結果は登録のメールアドレスにお知らせします。"
    ),
    "rejected": _l(
        "登録は承認されませんでした。新たに登録し直すこともできます。"
        "ご不明な点は運営者までお問い合わせください。"
    ),
}
CODE_REFUSED = _l("確認コードが正しくないか、すでに使われています。")


def _client_address() -> str:
    return request.remote_addr or "unknown"


def _home(kind: str) -> str:
    return _safe_next(request.args.get("next")) or url_for(HOME_OF_ROLE[kind])


@bp.route("/login", methods=["GET", "POST"])
def sign_in() -> str | Response | tuple[str, int]:
    form = SignInForm()
    if form.validate_on_submit():
        try:
            passed = check_password(
                rt(), form.login.data.strip(), form.password.data, _client_address()
            )
        except SignInRefused as refused:
            form.password.errors.append(REFUSALS[refused.reason])
            if refused.detail:  # the moderator's words, shown as text (escaped)
                form.password.errors.append(_("理由: %(reason)s", reason=refused.detail))
            if refused.reason == "unavailable":
                return render_template("accounts/login.html", form=form), 503
        else:
            if passed.needs_second_factor:
                await_second_factor(passed.account.id)
                if passed.enrol:  # after a factor reset: intake/helping/enrol_views.py
                    return redirect(url_for("helping_enrol.enrol"))
                return redirect(
                    url_for("auth.second_factor", next=_safe_next(request.args.get("next")))
                )
            start_session(passed.account)
            record_signin(rt(), passed.account.id)
            return redirect(_home(passed.account.kind))
    return render_template("accounts/login.html", form=form), 422 if form.errors else 200


@bp.route("/login/verify", methods=["GET", "POST"])
def second_factor() -> str | Response | tuple[str, int]:
    account_id = pending_account_id()
    if account_id is None:
        return redirect(url_for("auth.sign_in"))
    form = SecondFactorForm()
    if form.validate_on_submit():
        try:
            account = check_second_factor(rt(), account_id, form.code.data, _client_address())
        except SignInRefused as refused:
            message = CODE_REFUSED if refused.reason == "invalid" else REFUSALS[refused.reason]
            form.code.errors.append(message)
            if refused.reason == "unavailable":
                return render_template("accounts/login_verify.html", form=form), 503
        else:
            start_session(account)
            record_signin(rt(), account.id)
            return redirect(_home(account.kind))
    return render_template("accounts/login_verify.html", form=form), 422 if form.errors else 200


@bp.route("/logout", methods=["POST"])
def sign_out() -> Response:
    form = SignOutForm()
    if form.validate_on_submit():
        me = current_account()
        end_session()
        if me is not None:
            record_signout(rt(), me.id)
    return redirect(url_for("auth.sign_in"))
