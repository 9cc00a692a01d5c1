"""The moderators' tools for what is live: takedown, old content, and the status panel."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..models import utcnow
from ..posts.models import POST_LIVE
from ..taxonomy import AREAS, POST_KINDS, TOPICS
from ..web.auth import current_account, role_required, rt
from . import stale as stale_content
from . import status as status_panel
from . import takedown
from .forms import RemoveOverdueForm, StaleRequestForm, TakedownForm
from .models import BUILD_STATUS_LABELS

bp = Blueprint("moderation_site", __name__, template_folder="templates")

STAFF = ("moderator",)


@bp.app_template_filter("elapsed")
def elapsed(value: datetime | None, now: datetime) -> str:
    """Say how long ago value was, in days and hours (or minutes, or seconds)."""
    if value is None:
        return ""
    seconds = max(0, int((now - value).total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return _("%(days)d日%(hours)d時間", days=days, hours=hours)
    if hours:
        return _("%(hours)d時間%(minutes)d分", hours=hours, minutes=rest // 60)
    if rest >= 60:
        return _("%(minutes)d分", minutes=rest // 60)
    return _("%(seconds)d秒", seconds=rest)


def _me_id() -> int:
    me = current_account()
    assert me is not None
    return me.id


@bp.route("/moderation/status")
@role_required(*STAFF)
def status() -> str:
    panel = status_panel.status_panel(rt(), tuple(POST_KINDS))
    return render_template(
        "site/status.html",
        panel=panel,
        build_labels=BUILD_STATUS_LABELS,
        kinds=POST_KINDS,
        silence=panel.silence_seconds,
        now=utcnow(),
    )


@bp.route("/moderation/live")
@role_required(*STAFF)
def live() -> str:
    query = request.args.get("q", "")[:200]
    return render_template(
        "site/live.html",
        posts=takedown.live_posts(rt(), query),
        query=query,
        kinds=POST_KINDS,
        limit=takedown.LIST_LIMIT,
    )


def _post_page(
    post_id: int, takedown_form: TakedownForm, stale_form: StaleRequestForm
) -> tuple[str, int]:
    post = takedown.live_post(rt(), post_id)
    page = render_template(
        "site/live_post.html",
        post=post,
        is_live=post.status in POST_LIVE,
        takedown_form=takedown_form,
        stale_form=stale_form,
        kinds=POST_KINDS,
        topics=TOPICS,
        areas=AREAS,
        deadline_days=rt().settings.deployment.stale_deadline_days,
    )
    return page, 422 if takedown_form.errors or stale_form.errors else 200


@bp.route("/moderation/live/<int:post_id>")
@role_required(*STAFF)
def live_post(post_id: int) -> tuple[str, int]:
    return _post_page(post_id, TakedownForm(formdata=None), StaleRequestForm(formdata=None))


@bp.route("/moderation/live/<int:post_id>/takedown", methods=["POST"])
@role_required(*STAFF)
def take_down(post_id: int) -> Response | tuple[str, int]:
    form = TakedownForm()
    if form.validate_on_submit():
        takedown.take_down(rt(), _me_id(), post_id, form.reason.data or "")
        flash(_("投稿を非公開にしました。公開サイトからまもなく消えます。"))
        return redirect(url_for("moderation_site.live_post", post_id=post_id))
    return _post_page(post_id, form, StaleRequestForm(formdata=None))


@bp.route("/moderation/live/<int:post_id>/stale", methods=["POST"])
@role_required(*STAFF)
def request_removal(post_id: int) -> Response | tuple[str, int]:
    form = StaleRequestForm()
    if form.validate_on_submit():
        stale_content.request_removal(rt(), _me_id(), post_id, form.reason.data or "")
        flash(_("投稿者に古い情報の削除を依頼しました。"))
        return redirect(url_for("moderation_site.stale"))
    return _post_page(post_id, TakedownForm(formdata=None), form)


@bp.route("/moderation/stale", methods=["GET", "POST"])
@role_required(*STAFF)
def stale() -> Response | tuple[str, int]:
    form = RemoveOverdueForm()
    if form.validate_on_submit():
        removed = stale_content.remove_overdue(rt(), _me_id(), list(form.posts.data or []))
        flash(_("%(count)d件の投稿を削除しました。", count=len(removed)))
        return redirect(url_for("moderation_site.stale"))
    requests = stale_content.open_requests(rt())
    page = render_template(
        "site/stale.html",
        requests=requests,
        overdue=[r for r in requests if r.overdue],
        form=form,
        kinds=POST_KINDS,
    )
    return page, 422 if form.errors else 200
