"""Moderators helping people: find an account, switch it on again, reset a staff member's
second factor (two moderators), correct a live post, restore a taken-down one."""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from ..accounts.models import ACCOUNT_KIND_LABELS, AccountStatus, account_word
from ..errors import InvalidTransition, NotFound
from ..models import Account, Post
from ..posts import fields as post_fields
from ..posts import forms as post_forms
from ..posts.models import POST_LIVE, PostStatus
from ..posts.views import _post_data as post_data_of
from ..site import takedown
from ..taxonomy import POST_KINDS
from ..web.auth import current_account, role_required, rt
from . import factor, search, services
from .forms import (
    ConfirmForm,
    CorrectionNoteForm,
    FactorRequestForm,
    ReenableForm,
    RestoreForm,
    SearchForm,
)

bp = Blueprint("helping", __name__, template_folder="templates")

STAFF = ("moderator",)
TAKEN_DOWN_LIMIT = 100


def _me_id() -> int:
    me = current_account()
    assert me is not None
    return me.id


def _taken_down() -> list[Post]:
    with rt().sessions() as session:
        posts = list(
            session.scalars(
                select(Post)
                .where(Post.status == PostStatus.TAKEN_DOWN)
                .order_by(Post.id.desc())
                .limit(TAKEN_DOWN_LIMIT)
            )
        )
        for post in posts:
            _ = post.account.public_name
        return posts


@bp.route("/moderation/accounts", methods=["GET", "POST"])
@role_required(*STAFF)
def accounts() -> Response | tuple[str, int]:
    """Search accounts by POST: the words searched for never appear in a URL or a log."""
    form = SearchForm()
    hits = None
    if form.validate_on_submit():
        hits = search.search_accounts(rt(), _me_id(), form.query.data.strip())
    page = render_template(
        "helping/accounts.html",
        form=form,
        hits=hits,
        limit=search.RESULT_LIMIT,
        taken_down=_taken_down(),
    )
    response = make_response(page, 422 if form.errors else 200)
    response.headers["Cache-Control"] = "no-store"  # the results name people
    return response


def _account(account_id: int) -> Account:
    with rt().sessions() as session:
        account = session.get(Account, account_id)
        if account is None or account.kind not in services.REENABLEABLE:
            raise NotFound(f"account {account_id}")
        return account


@bp.route("/moderation/accounts/<int:account_id>/enable", methods=["GET", "POST"])
@role_required(*STAFF)
def reenable(account_id: int) -> Response | tuple[str, int]:
    account = _account(account_id)
    form = ReenableForm()
    disabled = account.status == AccountStatus.DISABLED
    if disabled and form.validate_on_submit():
        services.reenable_account(rt(), _me_id(), account_id, form.reason.data.strip())
        flash(_("アカウントの利用を再開しました。登録のメールアドレスに知らせます。"))
        return redirect(url_for("moderation.account", account_id=account_id))
    page = render_template("helping/reenable.html", account=account, form=form, disabled=disabled)
    return page, 422 if form.errors else 200


@bp.route("/moderation/staff")
@role_required(*STAFF)
def staff() -> tuple[str, int]:
    return _staff_page()


def _staff_page(
    form: FactorRequestForm | None = None, about: int | None = None, refusal: str = ""
) -> tuple[str, int]:
    page = render_template(
        "helping/staff.html",
        rows=factor.staff_accounts(rt()),
        kind_word=lambda kind: account_word(ACCOUNT_KIND_LABELS, kind, _),
        form=form or FactorRequestForm(formdata=None),
        about=about,
        confirm=ConfirmForm(formdata=None),
        my_id=_me_id(),
        refusal=refusal,
    )
    status = 403 if refusal else 422 if form is not None and form.errors else 200
    return page, status


@bp.route("/moderation/staff/<int:account_id>/factor-reset", methods=["POST"])
@role_required(*STAFF)
def request_reset(account_id: int) -> Response | tuple[str, int]:
    form = FactorRequestForm()
    if account_id == _me_id():
        return _staff_page(
            refusal=_("自分の二段階認証はリセットできません。ほかの運営者に依頼してください。")
        )
    if not form.validate_on_submit():
        return _staff_page(form, account_id)
    factor.request_reset(rt(), _me_id(), account_id, form.reason.data.strip())
    flash(_("二段階認証のリセットを依頼しました。ほかの運営者が確認するとリセットされます。"))
    return redirect(url_for("helping.staff"))


@bp.route("/moderation/factor-resets/<int:reset_id>/confirm", methods=["POST"])
@role_required(*STAFF)
def confirm_reset(reset_id: int) -> Response | tuple[str, int]:
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _staff_page(refusal=_("確認できませんでした。もう一度お試しください。"))
    try:
        factor.confirm_reset(rt(), _me_id(), reset_id)
    except factor.OwnFactor:
        return _staff_page(
            refusal=_(
                "依頼した本人と、リセットされる本人は確認できません。ほかの運営者が確認します。"
            )
        )
    flash(
        _(
            "二段階認証をリセットしました。ログイン中のセッションは終了しました。"
            "次回のログインで新しく設定します。"
        )
    )
    return redirect(url_for("helping.staff"))


@bp.route("/moderation/live/<int:post_id>/correct", methods=["GET", "POST"])
@role_required(*STAFF)
def correct(post_id: int) -> Response | tuple[str, int]:
    """Edit a live post's public fields directly; the poster is mailed what changed."""
    record = takedown.live_post(rt(), post_id)
    if record.status not in POST_LIVE:
        raise InvalidTransition(f"post {post_id} is {record.status}")
    live = post_fields.from_post(record)
    note = CorrectionNoteForm()
    form = post_forms.PostForm(data=post_forms.form_data(live), meta={"csrf": False})
    settings = rt().settings.deployment
    post_forms.prepare(form, settings.application_contact, settings.audiences)
    post_forms.fix_kind(form, record.kind)
    if note.validate_on_submit() and form.validate():
        edited = post_data_of(form)
        try:
            services.correct_post(rt(), _me_id(), post_id, edited, (note.note.data or "").strip())
        except services.NothingChanged:
            note.note.errors = [_("変更された項目がありません。修正する項目を書き換えてください。")]
        else:
            flash(_("投稿を修正しました。まもなく公開サイトに反映し、投稿者にメールで知らせます。"))
            return redirect(url_for("moderation_site.live_post", post_id=post_id))
    page = render_template(
        "helping/correct.html", post=record, form=form, note=note, kinds=POST_KINDS
    )
    return make_response(page, 422 if form.errors or note.errors else 200)


@bp.route("/moderation/live/<int:post_id>/restore", methods=["GET", "POST"])
@role_required(*STAFF)
def restore(post_id: int) -> Response | tuple[str, int]:
    record = takedown.live_post(rt(), post_id)
    form = RestoreForm()
    restorable = record.status == PostStatus.TAKEN_DOWN
    past = restorable and services.is_past(rt(), record)
    if restorable and not past and form.validate_on_submit():
        services.restore_post(rt(), _me_id(), post_id, form.reason.data.strip())
        flash(_("投稿を再び公開しました。まもなく公開サイトに戻り、投稿者にメールで知らせます。"))
        return redirect(url_for("moderation_site.live_post", post_id=post_id))
    page = render_template(
        "helping/restore.html", post=record, form=form, restorable=restorable, past=past
    )
    return page, 422 if form.errors else 200
