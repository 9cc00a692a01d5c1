"""Public forms: registration of individuals and groups, and applications to events."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from werkzeug.wrappers import Response

from ...deployment import PersonalFields
from ...errors import StoreUnavailable
from ...services import accounts as account_service
from ...services import applications as application_service
from ...services.posts import open_event
from ..account_forms import group_registration_form, individual_registration_form
from ..auth import rt
from ..forms import ApplicationForm
from ..responses import retry_later

bp = Blueprint("public", __name__)

LOGIN_TAKEN = "このログインIDはすでに使われています。別のIDにしてください。"


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
        )
        try:
            account_service.register(rt(), reg)
        except account_service.LoginTaken:
            form.login.errors.append(LOGIN_TAKEN)
        except StoreUnavailable:
            return retry_later("register_individual.html", form=form)
        else:
            return redirect(url_for("public.registered"))
    return render_template("register_individual.html", form=form), 200 if not form.errors else 422


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
        )
        try:
            account_service.register(rt(), reg)
        except account_service.LoginTaken:
            form.login.errors.append(LOGIN_TAKEN)
        except StoreUnavailable:
            return retry_later("register_group.html", form=form)
        else:
            return redirect(url_for("public.registered"))
    return render_template("register_group.html", form=form), 200 if not form.errors else 422


@bp.route("/registered")
def registered() -> str:
    return render_template(
        "message.html",
        title="登録を受け付けました",
        message="運営者が確認して承認すると、ログインできるようになります。",
    )


@bp.route("/events/<int:post_id>/apply", methods=["GET", "POST"])
def apply(post_id: int) -> str | Response | tuple[str, int]:
    event = open_event(rt(), post_id)
    form = ApplicationForm()
    if form.validate_on_submit():
        try:
            application_service.apply(
                rt(),
                post_id,
                application_service.ApplicationData(
                    name=form.name.data.strip(),
                    address=form.address.data.strip(),
                    phone=form.phone.data or "",
                    email=form.email.data or "",
                    party_size=form.party_size.data,
                ),
            )
        except StoreUnavailable:
            return retry_later("apply.html", form=form, event=event)
        return redirect(url_for("public.applied", post_id=post_id))
    status = 422 if form.errors else 200
    return render_template("apply.html", form=form, event=event), status


@bp.route("/events/<int:post_id>/applied")
def applied(post_id: int) -> str:
    event = open_event(rt(), post_id)
    return render_template(
        "message.html",
        title="申込を受け付けました",
        message=f"「{event.title}」への申込を受け付けました。",
    )
