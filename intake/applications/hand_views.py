"""Staff's pages to type in an application received by phone or on paper: an organizer's
for their own events, a moderator's for any event (intake/applications/by_hand.py)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..accounts.models import EntrySource
from ..errors import StoreUnavailable
from ..web.auth import current_account, role_required, rt
from ..web.responses import retry_later
from . import by_hand
from . import services as applications
from .forms import HandApplicationFormBase, hand_application_form
from .models import ApplicationStatus

bp = Blueprint("applications_by_hand", __name__, template_folder="templates")

TEMPLATE = "applications/by_hand.html"


def _me_id() -> int:
    me = current_account()
    assert me is not None
    return me.id


@bp.route("/organizer/events/<int:post_id>/enter", methods=["GET", "POST"])
@role_required("individual", "group")
def organizer_entry(post_id: int) -> Response | tuple[str, int]:
    return _entry(post_id, any_event=False)


@bp.route("/moderation/events/<int:post_id>/enter", methods=["GET", "POST"])
@role_required("moderator")
def moderator_entry(post_id: int) -> Response | tuple[str, int]:
    return _entry(post_id, any_event=True)


def _entry(post_id: int, any_event: bool) -> Response | tuple[str, int]:
    event = by_hand.event_for_entry(rt(), _me_id(), post_id, any_event)
    form = hand_application_form(event.post)
    context = {"form": form, "event": event.post, "availability": event.availability}
    if form.validate_on_submit():
        try:
            outcome = by_hand.enter(
                rt(), _me_id(), post_id, _data(form), EntrySource(form.source.data), any_event
            )
        except applications.ApplicationRefused as refused:
            form.form_errors.append(_(refused.message))
        except StoreUnavailable:
            return retry_later(TEMPLATE, **context)
        else:
            if outcome.status == "duplicate":
                form.form_errors.append(
                    _(
                        "この電話番号またはメールアドレスでは、すでに申込があります"
                        "（申込番号%(n)s）。新しい申込は受け付けていません。",
                        n=outcome.application_id,
                    )
                )
            else:
                flash(_told(outcome))
                if any_event:
                    return redirect(
                        url_for("applications_by_hand.moderator_entry", post_id=post_id)
                    )
                return redirect(url_for("organizer.event", post_id=post_id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template(TEMPLATE, **context), status


def _told(outcome: applications.Outcome) -> str:
    """Return what staff tell the caller: the number, the standing and whether mail follows."""
    if outcome.status == ApplicationStatus.CONFIRMED:
        standing = _("参加確定です")
    else:
        standing = _("キャンセル待ち%(n)s番目です", n=outcome.position)
    text = _(
        "申込番号%(n)sを受け付けました（%(standing)s）。",
        n=outcome.application_id,
        standing=standing,
    )
    if outcome.has_email:
        return text + _("確認メールを申込者に送ります。")
    return text + _(
        "メールアドレスがないため、確認メールは送られません。結果は電話か郵便で伝えてください。"
    )


def _data(form: HandApplicationFormBase) -> applications.ApplicationData:
    return applications.ApplicationData(
        name=form.name.data.strip(),
        address=form.address.data.strip(),
        phone=form.phone.data or "",
        email=form.email.data or "",
        party_size=form.party_size.data,
        answers=form.answers(),
    )
