"""Posting by signed-in individuals and groups, and their own list."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from ..applications.questions import ASK_CONTACT, Question, encode_questions, split_options
from ..errors import InvalidTransition, NotFound, StoreUnavailable
from ..models import Post
from ..taxonomy import POST_KINDS
from ..uploads.forms import with_attachments
from ..uploads.services import submit_post_with_files
from ..web.auth import current_account, role_required, rt
from ..web.fields import choices
from ..web.responses import Page, error_page, retry_later
from . import edits as post_edits
from . import recurrence
from .edit_files import FileEdit
from .forms import (
    ASK_CONTACT_CHOICES,
    PostForm,
    WithdrawForm,
    audience_choices,
    edit_form,
    fix_kind,
    form_data,
    prepare,
)
from .services import PostData, posts_of

bp = Blueprint("posts", __name__, template_folder="templates")

POSTERS = ("individual", "group")


@bp.route("/posts/new", methods=["GET", "POST"])
@role_required(*POSTERS)
def new() -> str | Response | tuple[str, int]:
    form = _prepare(_form_class()())
    if form.validate_on_submit():
        me = current_account()
        assert me is not None
        try:
            submit_post_with_files(rt(), me.id, _post_data(form), form.attachments)
        except StoreUnavailable:
            return retry_later("posts/form.html", form=form)
        return redirect(url_for("posts.mine", submitted=1))
    return render_template("posts/form.html", form=form), 422 if form.errors else 200


def _form_class() -> type[PostForm]:
    """Return the post form with the file slots this deployment allows (hiroba.toml)."""
    return with_attachments(PostForm, rt().settings.deployment.uploads)  # type: ignore[return-value]


def _prepare(form: PostForm) -> PostForm:
    """Set the choices that depend on the deployment."""
    allowed = rt().settings.deployment.application_contact
    # Offer only the contact fields the deployment collects (hiroba.toml [applications]).
    form.ask_contact.choices = choices(
        {k: v for k, v in ASK_CONTACT_CHOICES.items() if set(ASK_CONTACT[k]) <= set(allowed)}
    )
    if form.ask_contact.data not in {c.value for c in form.ask_contact.choices}:
        form.ask_contact.data = form.ask_contact.choices[0].value
    form.audience.choices = audience_choices(rt().settings.deployment.audiences)
    return form


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc: RequestEntityTooLarge) -> tuple[str, int] | Page:
    """Show the post form again with the limits, never a bare 413 page.

    The request was refused before it was read, so nothing the user typed can be shown.
    """
    me = current_account()
    if request.endpoint == "posts.edit" and request.view_args and me is not None:
        # Refused before the view's own checks ran: only the post's owner gets its form.
        try:
            post, form = _edit_form(me.id, int(request.view_args["post_id"]), formdata=None)
        except (NotFound, InvalidTransition):
            pass
        else:
            page = render_template("posts/form.html", form=form, editing=post, too_large=True)
            return page, 413
    if request.endpoint != "posts.new":
        return error_page(413)
    form = _prepare(_form_class()(formdata=None))
    return render_template("posts/form.html", form=form, too_large=True), 413


def _post_data(form: PostForm) -> PostData:
    rule = (
        recurrence.Rule(form.recurrence.data, form.repeat_until.data)
        if form.recurrence.data and form.repeat_until.data
        else None
    )
    return PostData(
        kind=form.kind.data,
        title=form.title.data.strip(),
        summary=form.summary.data.strip(),
        body=form.body.data or "",
        starts_at=form.starts_at.data,
        ends_at=form.ends_at.data,
        place_name=(form.place_name.data or "").strip(),
        place_address=(form.place_address.data or "").strip(),
        topic=form.topic.data or "",
        area=form.area.data or "",
        fee=form.fee.data or "",
        capacity=form.capacity.data,
        accepts_applications=bool(form.accepts_applications.data),
        contact_public=(form.contact_public.data or "").strip(),
        ask_contact=form.ask_contact.data or "both",
        waitlist=bool(form.waitlist.data),
        apply_until=form.apply_until.data,
        recurrence=rule.code if rule else "",
        occurrences=recurrence.encode(form.expanded) if rule else "[]",
        attendance=form.attendance.data or "offline",
        online_details=(form.online_details.data or "").strip()
        if form.attendance.data != "offline"
        else "",
        audience=",".join(form.audience.data or []),
        questions=encode_questions(
            [
                Question(
                    q["label"].strip(),
                    q["kind"],
                    split_options(q["options"] or "") if q["kind"] != "text" else (),
                    bool(q["required"]),
                )
                for q in form.questions.data
                if (q["label"] or "").strip()
            ]
        ),
    )


@bp.route("/my")
@role_required(*POSTERS)
def mine() -> str:
    me = current_account()
    assert me is not None
    return render_template(
        "posts/my.html",
        posts=posts_of(rt(), me.id),
        items=post_edits.poster_overview(rt(), me.id),
        kinds=POST_KINDS,
    )


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@role_required(*POSTERS)
def edit(post_id: int) -> str | Response | tuple[str, int]:
    """Edit one's own post and its files: in place while waiting, as an edit under review
    once live."""
    me = current_account()
    assert me is not None
    post, form = _edit_form(me.id, post_id)  # others' are 404
    if form.validate_on_submit():
        files = FileEdit(frozenset(form.remove_files.data or []), form.attachments)
        try:
            outcome = post_edits.edit_post(rt(), me.id, post_id, _post_data(form), files)
        except StoreUnavailable:
            return retry_later("posts/form.html", form=form, editing=post)
        flash(EDITED[outcome.outcome]())
        return redirect(url_for("posts.mine"))
    return render_template("posts/form.html", form=form, editing=post), 422 if form.errors else 200


def _edit_form(
    account_id: int, post_id: int, formdata: object = "request"
) -> tuple[Post, PostForm]:
    """Return the poster's post and its edit form, started from the stored version."""
    post, fields = post_edits.fields_for_editing(rt(), account_id, post_id)
    files, removing = post_edits.editable_files(rt(), account_id, post_id)
    settings = rt().settings.deployment
    data = {**form_data(fields), "remove_files": removing}
    form = edit_form(settings.uploads, files, data, formdata)
    prepare(form, settings.application_contact, settings.audiences)
    fix_kind(form, post.kind)
    return post, form


EDITED = {
    "updated": lambda: _("投稿を修正しました。運営者の確認をお待ちください。"),
    "resubmitted": lambda: _("修正した投稿を、もう一度審査に送りました。"),
    "revision": lambda: _(
        "変更を審査に送りました。承認されるまで、公開中のページは変更前のままです。"
    ),
}


@bp.route("/posts/<int:post_id>/withdraw", methods=["GET", "POST"])
@role_required(*POSTERS)
def withdraw(post_id: int) -> str | Response | tuple[str, int]:
    """Withdraw one's own post (取り下げ) after a confirmation."""
    me = current_account()
    assert me is not None
    post, _fields = post_edits.fields_for_editing(rt(), me.id, post_id)  # others' are 404
    form = WithdrawForm()
    if form.validate_on_submit():
        post_edits.withdraw_post(rt(), me.id, post_id)
        flash(_("「%(title)s」を取り下げました。", title=post.title))
        return redirect(url_for("posts.mine"))
    page = render_template("posts/withdraw.html", form=form, post=post, kinds=POST_KINDS)
    return page, 422 if form.errors else 200
