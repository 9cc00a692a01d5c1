"""An account from registration on: registering as an individual or a group, the signed-in
user's registered data, change requests and withdrawal, and password reset."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from ..deployment import PersonalFields
from ..errors import StoreUnavailable
from ..web.auth import current_account, role_required, rt
from ..web.auth import sign_out as end_session
from ..web.locale import select_locale
from ..web.responses import retry_later
from . import changes, password_reset, withdrawal
from . import services as account_service
from .forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    ResetPasswordForm,
    WithdrawForm,
    change_request_form,
    group_registration_form,
    individual_registration_form,
)
from .login_ids import RegistrationPaused
from .models import ChangeRequestStatus
from .services import person_from

bp = Blueprint("account", __name__, template_folder="templates")

MEMBERS = ("individual", "group")
ROLE_LABELS = {"self": _l("本人"), "representative": _l("代表者"), "contact": _l("連絡担当者")}
STATUS_LABELS = {
    ChangeRequestStatus.PENDING: _l("審査待ち"),
    ChangeRequestStatus.APPROVED: _l("承認済み（反映しました）"),
    ChangeRequestStatus.REJECTED: _l("却下"),
}


# The public form and a moderator's paper entry show the same page.
REGISTRATION_TEMPLATES = {
    "individual": "accounts/register_individual.html",
    "group": "accounts/register_group.html",
}
# One answer for an ID that any account holds (staff's too) and for a reserved one.
LOGIN_TAKEN = _l(
    "このログインIDは使えません（使用中か、予約されたIDです）。別のIDを選んでください。"
)
REGISTRATION_PAUSED = _l(
    "時間をおいて（1時間ほど）、もう一度お試しください。入力内容はそのまま残っています。"
)


def _personal() -> PersonalFields:
    return rt().settings.deployment.personal_fields


def _person(form_data: dict, kind: str) -> account_service.PersonData:
    return account_service.person_from(form_data, kind, _personal())


@bp.route("/register", methods=["GET", "POST"])
def register_individual() -> str | Response | tuple[str, int]:
    form = individual_registration_form(_personal())()
    if form.validate_on_submit():
        reg = account_service.Registration(
            kind="individual",
            login=form.login.data,
            password=form.password.data,
            public_name=form.public_name.data.strip(),
            persons={"self": _person(form.person.data, "individual")},
            language=select_locale(),
        )
        return _register(reg, form, REGISTRATION_TEMPLATES["individual"])
    return render_template(
        REGISTRATION_TEMPLATES["individual"], form=form
    ), 200 if not form.errors else 422


@bp.route("/register/group", methods=["GET", "POST"])
def register_group() -> str | Response | tuple[str, int]:
    form = group_registration_form(_personal())()
    if form.validate_on_submit():
        reg = account_service.Registration(
            kind="group",
            login=form.login.data,
            password=form.password.data,
            public_name=form.group_name.data.strip(),
            profile=form.profile.data.strip(),
            topics=form.topics.data or [],
            areas=form.areas.data or [],
            persons={
                "representative": _person(form.representative.data, "group"),
                "contact": _person(form.contact.data, "group"),
            },
            language=select_locale(),
        )
        return _register(reg, form, REGISTRATION_TEMPLATES["group"])
    return render_template(
        REGISTRATION_TEMPLATES["group"], form=form
    ), 200 if not form.errors else 422


def _register(
    reg: account_service.Registration, form: FlaskForm, template: str
) -> Response | tuple[str, int]:
    """Store a public registration, or show the form again with why not, input kept."""
    try:
        account_service.register_public(rt(), reg, request.remote_addr or "unknown")
    except account_service.LoginTaken:
        form.login.errors.append(LOGIN_TAKEN)
    except RegistrationPaused:
        return render_template(template, form=form, paused=REGISTRATION_PAUSED), 429
    except StoreUnavailable:
        return retry_later(template, form=form)
    else:
        return redirect(url_for("account.registered"))
    return render_template(template, form=form), 422


@bp.route("/registered")
def registered() -> str:
    return render_template(
        "message.html",
        title=_l("登録を受け付けました"),
        message=_l(
            "運営者が確認して承認すると、ログインできるようになります。"
            "結果は登録のメールアドレスにお知らせします。"
        ),
    )


def _me_id() -> int:
    me = current_account()
    assert me is not None
    return me.id


@bp.route("/account")
@role_required(*MEMBERS)
def show() -> str:
    data = changes.own_data(rt(), _me_id())
    return render_template(
        "accounts/show.html",
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
    # Registered on paper without an address: the change form does not insist on one.
    form = change_request_form(kind, personal, not current.email)(data={"person": asdict(current)})
    if form.validate_on_submit():
        proposed = person_from(form.person.data, kind, personal)
        try:
            changes.propose(rt(), _me_id(), role, proposed)
        except changes.NoChanges:
            form.form_errors.append(_l("変更された項目がありません。"))
        except StoreUnavailable:
            return retry_later("accounts/change.html", form=form, role=ROLE_LABELS[role])
        else:
            flash(_("変更を申請しました。運営者が確認してから反映されます。"))
            return redirect(url_for("account.show"))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("accounts/change.html", form=form, role=ROLE_LABELS[role]), status


@bp.route("/account/password", methods=["GET", "POST"])
@role_required(*MEMBERS)
def change_password() -> str | Response | tuple[str, int]:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            account_service.change_password(rt(), _me_id(), form.current.data, form.password.data)
        except account_service.WrongCurrentPassword:
            form.current.errors.append(_l("現在のパスワードが正しくありません。"))
        except StoreUnavailable:
            return retry_later("accounts/password.html", form=form)
        else:
            end_session()
            flash(_("パスワードを変更しました。新しいパスワードでログインしてください。"))
            return redirect(url_for("auth.sign_in"))
    return render_template("accounts/password.html", form=form), 422 if form.errors else 200


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
            return retry_later("accounts/withdraw.html", form=form, withdrawal_posts=posts)
        else:
            end_session()
            return redirect(url_for("account.withdrawn"))
    page = render_template("accounts/withdraw.html", form=form, withdrawal_posts=posts)
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
            return retry_later("accounts/forgot.html", form=form)
        return redirect(url_for("account.reset_requested"))
    return render_template("accounts/forgot.html", form=form), 422 if form.errors else 200


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
            return retry_later("accounts/reset.html", form=form)
        end_session()
        flash(_("パスワードを変更しました。新しいパスワードでログインしてください。"))
        return redirect(url_for("auth.sign_in"))
    return render_template("accounts/reset.html", form=form), 422 if form.errors else 200
