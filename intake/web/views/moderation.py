"""The moderators' pages: the queue, reviews and decisions, and the state of the site."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from ...errors import NotFound
from ...models import Post
from ...services import changes, moderation
from ...services.signin import disable_account
from ...taxonomy import AREAS, POST_KINDS, TOPICS
from ..auth import current_account, role_required, rt
from ..forms import DecisionForm, DisableForm

bp = Blueprint("moderation", __name__)

STAFF = ("moderator",)
DISABLEABLE = frozenset({"individual", "group"})


def _me_id() -> int:
    me = current_account()
    assert me is not None
    return me.id


@bp.route("/moderation")
@role_required(*STAFF)
def index() -> str:
    return render_template(
        "moderation/index.html",
        queue=moderation.waiting_items(rt()),
        site=moderation.site_view(rt()),
        kinds=POST_KINDS,
        change_requests=(requests := changes.pending_requests(rt())),
        requesters=changes.public_names(rt(), [r.account_id for r in requests]),
    )


@bp.route("/moderation/accounts/<int:account_id>", methods=["GET", "POST"])
@role_required(*STAFF)
def account(account_id: int) -> str | Response | tuple[str, int]:
    form = DecisionForm()
    if form.validate_on_submit():
        moderation.decide_account(
            rt(),
            _me_id(),
            account_id,
            form.action.data == "approve",
            (form.reason.data or "").strip(),
        )
        flash("登録の判断を記録しました。")
        return redirect(url_for("moderation.index"))
    return _account_page(account_id, form, DisableForm(formdata=None))


@bp.route("/moderation/accounts/<int:account_id>/disable", methods=["POST"])
@role_required(*STAFF)
def disable(account_id: int) -> str | Response | tuple[str, int]:
    form = DisableForm()
    if form.validate_on_submit():
        disable_account(rt(), _me_id(), account_id, form.reason.data.strip(), kinds=DISABLEABLE)
        flash("アカウントの利用を停止しました。ログイン中のセッションもすべて終了しました。")
        return redirect(url_for("moderation.account", account_id=account_id))
    return _account_page(account_id, DecisionForm(formdata=None), form)


def _account_page(
    account_id: int, form: DecisionForm, disable_form: DisableForm
) -> tuple[str, int]:
    """Render the account review (the read is audited by the service)."""
    record, persons = moderation.account_for_review(rt(), _me_id(), account_id)
    page = render_template(
        "moderation/account.html",
        account=record,
        persons=persons,
        form=form,
        disable_form=disable_form,
        disableable=record.kind in DISABLEABLE and record.status == "active",
        topics=TOPICS,
        areas=AREAS,
    )
    return page, 422 if form.errors or disable_form.errors else 200


@bp.route("/moderation/posts/<int:post_id>", methods=["GET", "POST"])
@role_required(*STAFF)
def post(post_id: int) -> str | Response | tuple[str, int]:
    form = DecisionForm()
    if form.validate_on_submit():
        moderation.decide_post(
            rt(), _me_id(), post_id, form.action.data == "approve", (form.reason.data or "").strip()
        )
        flash("投稿の判断を記録しました。承認した投稿はまもなく公開されます。")
        return redirect(url_for("moderation.index"))
    with rt().sessions() as session:
        record = session.get(Post, post_id)
        if record is None:
            raise NotFound(f"post {post_id}")
        organizer = record.account.public_name
    return (
        render_template(
            "moderation/post.html",
            post=record,
            organizer=organizer,
            form=form,
            kinds=POST_KINDS,
            topics=TOPICS,
            areas=AREAS,
        ),
        422 if form.errors else 200,
    )
