"""A staff member enrols a new second factor at sign-in, after two moderators reset it.

Only after the right password (intake/accounts/signin.py sends here when a confirmed reset
waits). Each showing of the page enrols afresh: a new TOTP secret and new recovery codes,
shown once and never stored in clear; a code from the new authenticator entry proves it,
closes the reset (audited) and signs in.
"""

from __future__ import annotations

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..accounts.forms import SecondFactorForm
from ..accounts.second_factor import enrol_account
from ..accounts.signin import SignInRefused, check_second_factor
from ..accounts.signin_views import HOME_OF_ROLE, REFUSALS
from ..web.auth import pending_account_id, rt
from ..web.auth import sign_in as start_session
from . import factor

bp = Blueprint("helping_enrol", __name__, template_folder="templates")


@bp.route("/login/enrol", methods=["GET", "POST"])
def enrol() -> Response:
    account_id = pending_account_id()
    if account_id is None or not factor.awaiting_enrolment(rt(), account_id):
        return redirect(url_for("auth.sign_in"))
    form = SecondFactorForm()
    if form.validate_on_submit():
        try:
            account = check_second_factor(
                rt(), account_id, form.code.data, request.remote_addr or "unknown"
            )
        except SignInRefused as refused:
            form.code.errors.append(
                _("確認コードが正しくありません。新しく表示した内容で、もう一度設定してください。")
                if refused.reason == "invalid"
                else REFUSALS[refused.reason]
            )
        else:
            factor.enrolled(rt(), account_id)
            start_session(account)
            return redirect(url_for(HOME_OF_ROLE[account.kind]))
    enrolment = enrol_account(rt(), account_id)
    page = render_template("helping/enrol.html", form=form, enrolment=enrolment)
    response = make_response(page, 422 if form.errors else 200)
    response.headers["Cache-Control"] = "no-store"  # the secret and codes, shown once
    return response
