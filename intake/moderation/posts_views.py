"""Moderating posts: the filtered queue, the review of a post or of an edit of a live post
(approve, approve with edits, reject with a reason), and bulk decisions."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..errors import NotFound
from ..formatting import dates
from ..models import Post, PostRevision, utcnow
from ..posts import appearance
from ..posts import diff as post_diff
from ..posts import edit_files as post_edit_files
from ..posts import fields as post_fields
from ..posts import forms as post_forms
from ..posts.models import POST_WAITING, PostStatus, RevisionStatus
from ..posts.views import _post_data as post_data_of
from ..site.theme_views import post_parts
from ..taxonomy import POST_KINDS
from ..web.auth import current_account, role_required, rt
from ..web.locale import select_locale
from . import decisions as post_decisions
from . import queue as moderation_queue
from .decisions import Subject
from .forms import BulkDecisionForm, ReviewDecisionForm
from .models import DecisionAction, ReviewChoice
from .views import index_page, reason_choices, reason_text

bp = Blueprint("moderation_posts", __name__, template_folder="templates")

STAFF = ("moderator",)


def _me_id() -> int:
    me = current_account()
    assert me is not None
    return me.id


@bp.route("/moderation/posts/<int:post_id>", methods=["GET", "POST"])
@role_required(*STAFF)
def post(post_id: int) -> str | Response | tuple[str, int]:
    """Review a waiting post; its fields can be edited before approving."""
    with rt().sessions() as session:
        record = session.get(Post, post_id)
        if record is None:
            raise NotFound(f"post {post_id}")
        organizer = record.account.public_name
    proposed = post_fields.from_post(record)
    waiting = record.status in POST_WAITING
    return _review(Subject("post", post_id), record, organizer, proposed, None, waiting)


@bp.route("/moderation/revisions/<int:revision_id>", methods=["GET", "POST"])
@role_required(*STAFF)
def revision(revision_id: int) -> str | Response | tuple[str, int]:
    """Review an edit of a live post: what changed since the approved version, and decide."""
    with rt().sessions() as session:
        found = session.get(PostRevision, revision_id)
        record = session.get(Post, found.post_id) if found is not None else None
        if found is None or record is None:
            raise NotFound(f"revision {revision_id}")
        organizer = record.account.public_name
    live = post_fields.from_post(record)
    proposed = live | post_fields.decode(found.data)
    waiting = found.status == RevisionStatus.PENDING and record.status == PostStatus.APPROVED
    changes = post_diff.changes(live, proposed, select_locale())
    files = post_edit_files.revision_changes(rt(), revision_id)
    subject = Subject("revision", revision_id)
    return _review(subject, record, organizer, proposed, changes, waiting, files)


def _review(
    subject: Subject,
    record: Post,
    organizer: str,
    proposed: dict[str, Any],
    changes: list[post_diff.FieldChange] | None,
    waiting: bool,
    file_changes: post_edit_files.FileChanges | None = None,
) -> str | Response | tuple[str, int]:
    decision = ReviewDecisionForm()
    reason_choices(decision)
    form = post_forms.PostForm(data=post_forms.form_data(proposed), meta={"csrf": False})
    settings = rt().settings.deployment
    post_forms.prepare(form, settings.application_contact, settings.audiences)
    if subject.kind == "revision":
        post_forms.fix_kind(form, record.kind)
    if waiting and decision.validate_on_submit():
        choice = decision.action.data
        if choice == ReviewChoice.REJECT:
            try:
                post_decisions.reject(
                    rt(), _me_id(), subject, reason_text(decision), request.form.get("seen")
                )
            except post_decisions.ChangedMeanwhile:
                flash(_("投稿者がこの間に内容を修正しました。最新の内容を確認してください。"))
                return redirect(request.path)
            flash(
                _("「%(title)s」を差し戻しました。投稿者にメールで伝えます。", title=record.title)
            )
            return redirect(url_for("moderation.index"))
        # 承認する approves the post as submitted, whatever the (closed) fields hold;
        # 修正して承認する approves it with the fields as the moderator edited them.
        if choice == ReviewChoice.APPROVE or form.validate():
            edited = post_data_of(form) if choice == ReviewChoice.EDIT else None
            try:
                post_decisions.approve(rt(), _me_id(), subject, edited, request.form.get("seen"))
            except post_decisions.ChangedMeanwhile:
                flash(_("投稿者がこの間に内容を修正しました。最新の内容を確認してください。"))
                return redirect(request.path)
            flash(_("「%(title)s」を承認しました。まもなく公開されます。", title=record.title))
            return redirect(url_for("moderation.index"))
    # After a failed 修正して承認する the preview shows the version the moderator sent.
    edited_back = request.method == "POST" and decision.action.data == ReviewChoice.EDIT
    as_data = post_data_of(form) if edited_back else post_fields.to_data(proposed)
    approved = dates.japan_time(record.approved_at or utcnow())  # the day it goes live
    page_facts = appearance.page_facts(
        as_data, organizer, record.account_id, record.from_operator, approved
    )
    page = render_template(
        "moderation/review.html",
        subject=subject,
        post=record,
        organizer=organizer,
        changes=changes,
        file_changes=file_changes,
        waiting=waiting,
        decision=decision,
        form=form,
        kinds=POST_KINDS,
        shown=as_data,
        parts=post_parts(
            page_facts,
            untitled=_("（題名なし）"),
            # A waiting post's 掲載日 is the day a moderator approves it: today if now.
            date_note="" if record.approved_at else _("（承認した日の日付になります）"),
            apply_note=_("（公開後に申込を受け付けます）") if as_data.accepts_applications else "",
        ),
        body_html=appearance.body_html(rt().settings.pelicanconf, as_data.body),
        # The fields open again for an edit, and for a form sent without a choice (the
        # moderator may have edited them): what was typed stays in view.
        editing=decision.action.data in (ReviewChoice.EDIT, None) and request.method == "POST",
    )
    return page, 422 if decision.errors or form.errors else 200


@bp.route("/moderation/posts/bulk", methods=["POST"])
@role_required(*STAFF)
def bulk() -> str | Response | tuple[str, int]:
    """Approve or reject, with one reason, the ticked queue items, each on its own."""
    form = BulkDecisionForm()
    reason_choices(form)
    keys = tuple(request.form.getlist("items"))
    subjects = form.subjects(list(keys))
    valid = form.validate_on_submit()
    if not subjects:
        form.form_errors.append(
            _("まとめて判断する投稿を、一覧のチェックボックスで選んでください。")
        )
        form._errors = None  # the errors property is cached; recompute with the form error
        valid = False
    if not valid:
        return index_page(bulk_form=form, selected=keys)
    approving = form.action.data == DecisionAction.APPROVE
    reason = "" if approving else reason_text(form)
    # Each row carries the version it showed; a post changed since is refused, not decided.
    seen = {s: request.form.get(f"seen-{s.key}", "") for s in subjects}
    result = post_decisions.decide_many(rt(), _me_id(), subjects, seen, approving, reason)
    if result.done:
        done = len(result.done)
        flash(
            _("%(n)s件を承認しました。", n=done)
            if approving
            else _("%(n)s件を差し戻しました。", n=done)
        )
    if result.failed:
        names = moderation_queue.titles(rt(), [s for s, _code in result.failed])
        why = {
            "changed": _(
                "一覧を表示した後に投稿者が内容を修正しました。新しい内容を確認してください"
            ),
            "decided": _("すでに判断済みです"),
            "missing": _("見つかりません"),
            "unavailable": _("保存できませんでした。もう一度お試しください"),
        }
        for subject, code in result.failed:
            title = names.get(subject, subject.key)
            flash(_("処理できなかった項目: 「%(title)s」（%(why)s）", title=title, why=why[code]))
    query = urlencode(request.args.to_dict())  # the queue as it was filtered
    return redirect(url_for("moderation.index") + (f"?{query}" if query else ""))
