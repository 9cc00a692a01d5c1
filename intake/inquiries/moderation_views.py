"""The moderators' inbox of inquiries: the list by status, one inquiry's thread, and what a
moderator does with it (status and assignee, an internal note, a reply by mail).

The list shows nothing personal; opening an inquiry is audited (services.view), and so is
every change and reply. Each action posts to its own address and comes back to the thread.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..web.auth import current_account, role_required, rt
from . import services as inquiries
from .forms import HandlingForm, NoteForm, ReplyForm
from .models import CATEGORIES, STATUS_LABELS, InquiryStatus

bp = Blueprint("moderation_inquiries", __name__, template_folder="templates")

STAFF = ("moderator",)


def _me() -> int:
    me = current_account()
    assert me is not None  # role_required let only a signed-in moderator through
    return me.id


@bp.route("/moderation/inquiries")
@role_required(*STAFF)
def index() -> str:
    """List inquiries, newest activity first, optionally of one status."""
    status = request.args.get("status", "")
    if status not in {"", *InquiryStatus}:
        status = ""
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    rows = inquiries.inbox(rt(), status or None, page)
    return render_template(
        "inquiries/inbox.html",
        rows=rows,
        status=status,
        page=page,
        page_size=inquiries.PAGE_SIZE,
        counts=inquiries.counts(rt()),
        categories=CATEGORIES,
        statuses=STATUS_LABELS,
    )


def _thread_page(inquiry_id: int, status: int = 200, **forms: Any) -> tuple[str, int]:
    thread = inquiries.view(rt(), inquiry_id, _me())
    moderators = inquiries.moderators(rt())
    handling = forms.get("handling") or HandlingForm(
        formdata=None,
        status=thread.status,
        assignee=str(thread.assignee_id or ""),
    )
    handling.set_moderators(moderators)
    page = render_template(
        "inquiries/thread.html",
        thread=thread,
        handling=handling,
        note=forms.get("note") or NoteForm(formdata=None, prefix="note"),
        reply=forms.get("reply") or ReplyForm(formdata=None, prefix="reply"),
        categories=CATEGORIES,
        statuses=STATUS_LABELS,
        assignee=moderators.get(thread.assignee_id or 0, ""),
    )
    return page, status


@bp.route("/moderation/inquiries/<int:inquiry_id>")
@role_required(*STAFF)
def thread(inquiry_id: int) -> tuple[str, int]:
    """Show one inquiry with who asked, how to answer, and its notes and replies."""
    return _thread_page(inquiry_id)


@bp.route("/moderation/inquiries/<int:inquiry_id>/handling", methods=["POST"])
@role_required(*STAFF)
def handling(inquiry_id: int) -> Response | tuple[str, int]:
    form = HandlingForm()
    form.set_moderators(inquiries.moderators(rt()))
    if not form.validate_on_submit():
        return _thread_page(inquiry_id, 422, handling=form)
    assignee = int(form.assignee.data) if form.assignee.data else None
    try:
        inquiries.update(rt(), inquiry_id, _me(), form.status.data, assignee)
    except inquiries.NotAModerator as refused:
        form.assignee.errors = [_(refused.message)]
        return _thread_page(inquiry_id, 422, handling=form)
    flash(_("状況と担当者を保存しました。"))
    return redirect(url_for("moderation_inquiries.thread", inquiry_id=inquiry_id))


@bp.route("/moderation/inquiries/<int:inquiry_id>/note", methods=["POST"])
@role_required(*STAFF)
def note(inquiry_id: int) -> Response | tuple[str, int]:
    form = NoteForm(prefix="note")
    if not form.validate_on_submit():
        return _thread_page(inquiry_id, 422, note=form)
    inquiries.add_note(rt(), inquiry_id, _me(), form.body.data.strip())
    flash(_("内部メモを追加しました。"))
    return redirect(url_for("moderation_inquiries.thread", inquiry_id=inquiry_id))


@bp.route("/moderation/inquiries/<int:inquiry_id>/reply", methods=["POST"])
@role_required(*STAFF)
def reply(inquiry_id: int) -> Response | tuple[str, int]:
    form = ReplyForm(prefix="reply")
    if not form.validate_on_submit():
        return _thread_page(inquiry_id, 422, reply=form)
    try:
        inquiries.reply(rt(), inquiry_id, _me(), form.body.data.strip())
    except inquiries.NoReplyAddress as refused:
        form.body.errors = [_(refused.message)]
        return _thread_page(inquiry_id, 422, reply=form)
    flash(_("回答を保存しました。メールで送信します。"))
    return redirect(url_for("moderation_inquiries.thread", inquiry_id=inquiry_id))
