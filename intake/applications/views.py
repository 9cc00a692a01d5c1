"""Applying to an event: the form, the confirmation, the availability JSON of the static
event page, and the applicant's own page behind a signed link, where they can cancel. The answer to
an accepted form is the same whether it took a place or its details had applied already
(see intake/applications/services.py): the standing and the link go by mail only.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from ..errors import StoreUnavailable
from ..models import Post
from ..posts.services import open_event
from ..web.auth import rt, secret_key
from ..web.locale import select_locale
from ..web.responses import retry_later
from . import services as application_service
from .forms import ApplicationFormBase, CancelForm, application_form
from .links import BadLink, read_link_token
from .models import Availability
from .open_events import forget_event, read_event, recent_event

bp = Blueprint("applications", __name__, template_folder="templates")


@bp.route("/events/<int:post_id>/apply", methods=["GET", "POST"])
def apply(post_id: int) -> str | Response | tuple[str, int]:
    if request.method == "POST":
        # A rush posts to one event: its form is built from the post this process read a
        # moment ago; the allocation checks what the form rested on (EventChanged).
        # A kept event that looks closed is read again before anyone is refused.
        event = recent_event(rt(), post_id)
        if application_service.is_open(event):
            try:
                return _apply(post_id, event, kept=True)
            except application_service.EventChanged:
                forget_event(rt(), post_id)
    return _apply(post_id, read_event(rt(), post_id), kept=False)


def _apply(post_id: int, event: Post, kept: bool) -> str | Response | tuple[str, int]:
    settings = rt().settings
    if not application_service.is_open(event):
        return _closed(event, _(application_service.ApplicationsClosed.message))
    if request.method == "GET":
        availability = application_service.availability(rt(), post_id)
        if availability["status"] == "full":
            return _closed(event, _(application_service.EventFull.message))
    form = application_form(
        event,
        settings.deployment.application_contact,
        secret_key(),
        settings.apply_min_seconds,
    )
    context = {"form": form, "event": event}
    if form.validate_on_submit():
        try:
            application_service.apply(
                rt(), post_id, _application_data(form), form_of=event if kept else None
            )
        except application_service.ApplicationsClosed as closed:
            return _closed(event, _(closed.message))
        except application_service.ApplicationRefused as refused:
            form.form_errors.append(_(refused.message))
        except StoreUnavailable:
            return retry_later("applications/apply.html", **context)
        else:
            # Nothing of the outcome goes into the answer or the session: not even a
            # duplicate may be told apart from a new application.
            return redirect(url_for("applications.applied", post_id=post_id))
    status = 422 if form.errors or form.form_errors else 200
    context["availability"] = application_service.availability(rt(), post_id)
    return render_template("applications/apply.html", **context), status


def _closed(event: Post, message: str) -> tuple[str, int]:
    status = 409 if request.method == "POST" else 200
    return render_template(
        "message.html", title=_("申込受付: %(title)s", title=event.title), message=message
    ), status


def _application_data(form: ApplicationFormBase) -> application_service.ApplicationData:
    phone, email = getattr(form, "phone", None), getattr(form, "email", None)
    return application_service.ApplicationData(
        name=form.name.data.strip(),
        address=form.address.data.strip(),
        phone=(phone.data or "") if phone is not None else "",
        email=(email.data or "") if email is not None else "",
        party_size=form.party_size.data,
        answers=form.answers(),
        language=select_locale(),
    )


@bp.route("/events/<int:post_id>/applied")
def applied(post_id: int) -> str:
    return render_template("applications/applied.html", event=open_event(rt(), post_id))


@bp.route("/events/<int:post_id>/availability")
def availability(post_id: int) -> Response:
    """Answer the event page's line in the language its link asks for (no cookie is set)."""
    found = application_service.availability(rt(), post_id)
    label = _(str(found["label"]))
    text = f"{_('申込状況:')} {label}"
    few_or_more = (Availability.AVAILABLE, Availability.FEW)
    if found["remaining"] is not None and found["status"] in few_or_more:
        text += _("（残り%(n)s人）", n=found["remaining"])
    return jsonify({**found, "label": label, "text": text})


@bp.route("/applications/<token>", methods=["GET", "POST"])
def application(token: str) -> str | Response | tuple[str, int]:
    try:
        application_id = read_link_token(secret_key(), token)
    except BadLink:
        return render_template(
            "message.html",
            title=_l("このリンクは使えません"),
            message=_l(
                "リンクが正しくないか、有効期限が切れています。メールのリンクをそのまま開いてください。"
            ),
            status=404,
        ), 404
    form = CancelForm()
    if form.validate_on_submit():
        application_service.cancel_application(rt(), application_id)
        return redirect(url_for("applications.application", token=token, cancelled=1))
    standing = application_service.view_application(rt(), application_id)
    return render_template(
        "applications/application.html",
        standing=standing,
        form=form,
        cancelled=request.args.get("cancelled") == "1",
    )
