"""A signed-in user's own account: registered data, change requests, withdrawal; password reset."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from ..errors import StoreUnavailable
from ..web.auth import current_account, role_required, rt
from ..web.auth import sign_out as end_session
from ..web.responses import retry_later
from . import changes, password_reset, withdrawal
from .forms import ForgotPasswordForm, ResetPasswordForm, WithdrawForm, change_request_form
from .models import ChangeRequestStatus
from .services import person_from

bp = Blueprint("account", __name__)

MEMBERS = ("individual", "group")
ROLE_LABELS = {"self": _l("本人"), "representative": _l("代表者"), "contact": _l("連絡担当者")}
STATUS_LABELS = {
    ChangeRequestStatus.PENDING: _l("審査待ち"),
    ChangeRequestStatus.APPROVED: _l("承認済み（反映しました）"),
    ChangeRequestStatus.REJECTED: _l("却下"),
}


def _me_id() -> int:
    me = current_account()
    assert me is not None
    return me.id


@bp.route("/account")
@role_required(*MEMBERS)
def show() -> str:
    data = changes.own_data(rt(), _me_id())
    return render_template(
        "account/show.html",
        data=data,
        roles=ROLE_LABELS,
        labels=changes.FIELD_LABELS,
        statuses=STATUS_LABELS,
    )


@bp.route("/account/change/<role>", methods=["GET", "POST"])
@role_required(*MEMBERS)
def change(role: str) -> str | Response | tuple[str, int]:
    kind, current = changes.current_person(rt(), _me_id(), role)
    personal = rt().settings.deployment.personal_fields
    form = change_request_form(kind, personal)(data={"person": asdict(current)})
    if form.validate_on_submit():
        proposed = person_from(form.person.data, kind, personal)
        try:
            changes.propose(rt(), _me_id(), role, proposed)
        except changes.NoChanges:
            form.form_errors.append(_l("変更された項目がありません。"))
        except StoreUnavailable:
            return retry_later("account/change.html", form=form, role=ROLE_LABELS[role])
        else:
            flash(_("変更を申請しました。運営者が確認してから反映されます。"))
            return redirect(url_for("account.show"))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("account/change.html", form=form, role=ROLE_LABELS[role]), status


@bp.route("/account/withdraw", methods=["GET", "POST"])
@role_required(*MEMBERS)
def withdraw() -> str | Response | tuple[str, int]:
    form = WithdrawForm()
    posts = rt().settings.deployment.withdrawal_posts
    if form.validate_on_submit():
        try:
            withdrawal.withdraw(rt(), _me_id(), form.password.data)
        except withdrawal.WrongPassword:
            form.password.errors.append(_l("パスワードが正しくありません。"))
        except StoreUnavailable:
            return retry_later("account/withdraw.html", form=form, withdrawal_posts=posts)
        else:
            end_session()
            return redirect(url_for("account.withdrawn"))
    page = render_template("account/withdraw.html", form=form, withdrawal_posts=posts)
    return page, 422 if form.errors else 200


@bp.route("/account/withdrawn")
def withdrawn() -> str:
    return render_template(
        "message.html",
        title=_l("退会しました"),
        message=_l("登録情報を消去し、退会の手続きを終えました。ご利用ありがとうございました。"),
    )


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password() -> str | Response | tuple[str, int]:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        try:
            password_reset.request_reset(rt(), form.identifier.data)
        except StoreUnavailable:
            return retry_later("account/forgot.html", form=form)
        return redirect(url_for("account.reset_requested"))
    return render_template("account/forgot.html", form=form), 422 if form.errors else 200


@bp.route("/password/requested")
def reset_requested() -> str:
    return render_template(
        "message.html",
        title=_l("パスワード再設定のご案内"),
        message=(
            _l(
                "ご入力の内容が登録と一致した場合は、登録のメールアドレスに再設定のご案内を"
                "お送りしました。リンクの有効期限は30分です。"
            )
        ),
    )


def _invalid_link() -> tuple[str, int]:
    return (
        render_template(
            "message.html",
            title=_l("このリンクは使えません"),
            message=_l(
                "再設定のリンクが正しくないか、使用済みか、有効期限が切れています。"
                "お手数ですが、もう一度お申し込みください。"
            ),
        ),
        410,
    )


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> str | Response | tuple[str, int]:
    if len(token) > 100 or not password_reset.token_is_valid(rt(), token):
        return _invalid_link()
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            password_reset.reset_password(rt(), token, form.password.data)
        except password_reset.InvalidToken:
            return _invalid_link()
        except StoreUnavailable:
            return retry_later("account/reset.html", form=form)
        end_session()
        flash(_("パスワードを変更しました。新しいパスワードでログインしてください。"))
        return redirect(url_for("auth.sign_in"))
    return render_template("account/reset.html", form=form), 422 if form.errors else 200
