"""Organizers' pages: their events, applicants, attendance, cancellation, export, mail.

Each page of an event asks the services for the caller's own event; anyone else's (or a
missing one) is NotFound, answered 404 in one place so guessed URLs reveal nothing.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from redis.exceptions import RedisError
from werkzeug.wrappers import Response

from ..web.auth import current_account, role_required, rt
from ..web.locale import select_locale
from . import export as organizer_export
from . import mail as organizer_mail
from . import organizer
from .forms import ApplicationActionForm, ExportForm, MessageForm

bp = Blueprint("organizer", __name__, template_folder="templates")

ORGANIZERS = ("individual", "group")
PRIVATE = {"Cache-Control": "no-store"}


def _me_id() -> int:
    me = current_account()
    assert me is not None
    return me.id


@bp.route("/organizer/events")
@role_required(*ORGANIZERS)
def events() -> str:
    return render_template(
        "applications/organizer/events.html", events=organizer.events_of(rt(), _me_id())
    )


@bp.route("/organizer/events/<int:post_id>")
@role_required(*ORGANIZERS)
def event(post_id: int) -> tuple[str, int, dict[str, str]]:
    return _event_page(post_id, 200)


def _event_page(post_id: int, status: int) -> tuple[str, int, dict[str, str]]:
    """Render an event's applicants (the service audits the read)."""
    page = render_template(
        "applications/organizer/event.html",
        event=organizer.applicants(rt(), _me_id(), post_id),
        action_form=ApplicationActionForm(formdata=None),
        export_form=ExportForm(formdata=None),
    )
    return page, status, PRIVATE


@bp.route("/organizer/events/<int:post_id>/attendance", methods=["POST"])
@role_required(*ORGANIZERS)
def attendance(post_id: int) -> Response | tuple[str, int, dict[str, str]]:
    form = ApplicationActionForm()
    if not form.validate_on_submit():
        return _invalid(post_id)
    attended = form.attended.data == "yes"
    organizer.mark_attendance(rt(), _me_id(), post_id, form.application_id.data, attended)
    state = _("出席") if attended else _("未出席")
    flash(_("申込番号%(n)sを「%(state)s」にしました。", n=form.application_id.data, state=state))
    return redirect(url_for("organizer.event", post_id=post_id))


@bp.route("/organizer/events/<int:post_id>/cancel", methods=["POST"])
@role_required(*ORGANIZERS)
def cancel(post_id: int) -> Response | tuple[str, int, dict[str, str]]:
    form = ApplicationActionForm()
    if not form.validate_on_submit():
        return _invalid(post_id)
    organizer.cancel(rt(), _me_id(), post_id, form.application_id.data)
    flash(_("申込番号%(n)sをキャンセルしました。", n=form.application_id.data))
    return redirect(url_for("organizer.event", post_id=post_id))


def _invalid(post_id: int) -> tuple[str, int, dict[str, str]]:
    flash(_("申込を選んでから操作してください。"))
    return _event_page(post_id, 422)


@bp.route("/organizer/events/<int:post_id>/export", methods=["POST"])
@role_required(*ORGANIZERS)
def export(post_id: int) -> Response | tuple[str, int, dict[str, str]]:
    form = ExportForm()
    if not form.validate_on_submit():
        return _invalid(post_id)
    try:
        ticket = organizer_export.create_export(rt(), _me_id(), post_id, select_locale())
    except RedisError:
        flash(_("ファイルを用意できませんでした。少し待ってからもう一度お試しください。"))
        return _event_page(post_id, 503)
    page = render_template(
        "applications/organizer/export.html",
        ticket=ticket,
        post_id=post_id,
        minutes=organizer_export.EXPORT_SECONDS // 60,
    )
    return page, 200, PRIVATE


@bp.route("/organizer/exports/<token>")
@role_required(*ORGANIZERS)
def download(token: str) -> Response:
    found = organizer_export.take_export(rt(), _me_id(), token)
    if found is None:
        abort(404)
    name, data = found
    return Response(
        data,
        mimetype="application/zip",
        headers={**PRIVATE, "Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route("/organizer/events/<int:post_id>/message", methods=["GET", "POST"])
@role_required(*ORGANIZERS)
def message(post_id: int) -> Response | tuple[str, int]:
    form = MessageForm()
    if form.validate_on_submit():
        sent = organizer_mail.send_message(
            rt(), _me_id(), post_id, form.audience.data, form.subject.data, form.body.data.strip()
        )
        flash(_("%(n)s人の申込者にメールを送ります（送信は順に行われます）。", n=sent))
        return redirect(url_for("organizer.event", post_id=post_id))
    reach = {
        key: organizer_mail.recipients(rt(), _me_id(), post_id, key)
        for key in organizer_mail.AUDIENCES
    }
    page = render_template(
        "applications/organizer/message.html",
        form=form,
        post_id=post_id,
        event_title=organizer.event_title(rt(), _me_id(), post_id),
        reach=reach,
        labels={key: label for key, (label, _) in organizer_mail.AUDIENCES.items()},
    )
    return page, 422 if form.errors else 200
