"""Moderators' account work: paper registrations and change requests (登録情報変更申請)."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from ..applications.links import local_now
from ..errors import StoreUnavailable
from ..moderation.forms import DecisionForm
from ..moderation.views import decided
from ..web.auth import current_account, role_required, rt
from ..web.responses import retry_later
from . import changes
from . import services as account_service
from .forms import (
    SOURCE_LABELS,
    by_hand_change_form,
    group_registration_form,
    individual_registration_form,
)
from .mail import SIGN_IN_PATH
from .models import EntrySource
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
            return _letter(kind, form, account_id, password)
    page = render_template(template, form=form, paper=True)
    return page, 422 if form.errors else 200


def _letter(kind: str, form: FlaskForm, account_id: int, password: str) -> Response:
    """Answer a paper registration with the letter to print and post to the registrant.

    The initial password is in this response only: it is never stored in clear, never in
    a URL or a log, and the page is not kept by the browser's cache.
    """
    addressee = form.person.data if kind == "individual" else form.contact.data
    settings = rt().settings
    response = make_response(
        render_template(
            "accounts/moderation/paper_done.html",
            account_id=account_id,
            login=form.login.data,
            password=password,
            kind=KINDS[kind],
            public_name=(
                form.public_name if kind == "individual" else form.group_name
            ).data.strip(),
            addressee=addressee,
            today=local_now(),
            sign_in=f"{settings.public_url}{SIGN_IN_PATH}",
            public_url=settings.public_url,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route(
    "/moderation/accounts/<int:account_id>/change/<any(self, representative, contact):role>",
    methods=["GET", "POST"],
)
@role_required(*STAFF)
def enter_change(account_id: int, role: str) -> str | Response | tuple[str, int]:
    """Type in a change request received by phone or on paper; it is then decided as usual."""
    kind, current = changes.current_person(rt(), account_id, role, staff_id=_me_id())
    personal = rt().settings.deployment.personal_fields
    form = by_hand_change_form(kind, personal)(data={"person": asdict(current)})
    context = {"form": form, "role": ROLE_LABELS[role], "account_id": account_id}
    if form.validate_on_submit():
        proposed = account_service.person_from(form.person.data, kind, personal)
        source = EntrySource(form.source.data)
        try:
            request_id = changes.propose(
                rt(), account_id, role, proposed, source=source, entered_by=_me_id()
            )
        except changes.NoChanges:
            form.form_errors.append(_l("変更された項目がありません。"))
        except StoreUnavailable:
            return retry_later("accounts/moderation/enter_change.html", **context)
        else:
            flash(_("変更申請を入力しました。変更前と変更後を確かめて、承認してください。"))
            return redirect(url_for("moderation_accounts.change", request_id=request_id))
    page = render_template("accounts/moderation/enter_change.html", **context)
    return page, 422 if form.errors or form.form_errors else 200


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
        sources=SOURCE_LABELS,
    )
    return page, 422 if form.errors else 200
