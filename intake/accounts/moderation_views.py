"""Moderators' account work: paper registrations and change requests (登録情報変更申請)."""

from __future__ import annotations

from flask import Blueprint, make_response, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from ..errors import StoreUnavailable
from ..moderation.forms import DecisionForm
from ..moderation.views import decided
from ..web.auth import current_account, role_required, rt
from ..web.responses import retry_later
from . import changes
from . import services as account_service
from .forms import group_registration_form, individual_registration_form
from .views import LOGIN_TAKEN, REGISTRATION_TEMPLATES, ROLE_LABELS

bp = Blueprint("moderation_accounts", __name__, template_folder="templates")

STAFF = ("moderator",)
KINDS = {"individual": _l("個人"), "group": _l("団体")}


def _me_id() -> int:
    me = current_account()
    assert me is not None
    return me.id


def _registration(kind: str, form: FlaskForm) -> account_service.Registration:
    personal = rt().settings.deployment.personal_fields

    def person(data: dict) -> account_service.PersonData:
        return account_service.person_from(data, kind, personal)

    if kind == "individual":
        return account_service.Registration(
            kind=kind,
            login=form.login.data,
            password="",
            public_name=form.public_name.data.strip(),
            persons={"self": person(form.person.data)},
        )
    return account_service.Registration(
        kind=kind,
        login=form.login.data,
        password="",
        public_name=form.group_name.data.strip(),
        profile=form.profile.data.strip(),
        topics=form.topics.data or [],
        areas=form.areas.data or [],
        persons={
            "representative": person(form.representative.data),
            "contact": person(form.contact.data),
        },
    )


@bp.route("/moderation/paper/<any(individual, group):kind>", methods=["GET", "POST"])
@role_required(*STAFF)
def paper(kind: str) -> str | Response | tuple[str, int]:
    personal = rt().settings.deployment.personal_fields
    factory = individual_registration_form if kind == "individual" else group_registration_form
    form = factory(personal, paper=True)()
    template = REGISTRATION_TEMPLATES[kind]
    if form.validate_on_submit():
        try:
            account_id, password = account_service.register_on_paper(
                rt(), _me_id(), _registration(kind, form)
            )
        except account_service.LoginTaken:
            form.login.errors.append(LOGIN_TAKEN)
        except StoreUnavailable:
            return retry_later(template, form=form, paper=True)
        else:
            # The initial password is shown once, in this response, and never stored in clear.
            response = make_response(
                render_template(
                    "accounts/moderation/paper_done.html",
                    account_id=account_id,
                    login=form.login.data,
                    password=password,
                    kind=KINDS[kind],
                )
            )
            response.headers["Cache-Control"] = "no-store"
            return response
    page = render_template(template, form=form, paper=True)
    return page, 422 if form.errors else 200


@bp.route("/moderation/changes/<int:request_id>", methods=["GET", "POST"])
@role_required(*STAFF)
def change(request_id: int) -> str | Response | tuple[str, int]:
    form = DecisionForm()
    message = _("変更申請の判断を記録しました。")
    if done := decided(form, changes.decide, request_id, message, "moderation.index"):
        return done
    review = changes.review(rt(), _me_id(), request_id)
    page = render_template(
        "accounts/moderation/change.html",
        review=review,
        form=form,
        labels=changes.FIELD_LABELS,
        roles=ROLE_LABELS,
        kinds=KINDS,
    )
    return page, 422 if form.errors else 200
