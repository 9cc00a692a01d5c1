"""The moderators' pages of operator notices (/app/moderation/notices: the list, a new one,
an edit, the withdrawal) and of the site-wide banner (/app/moderation/banner: set, clear).

Views are thin: the form, one service call, a redirect (post/redirect/get); bad input
comes back with the fields' messages and what was typed (422).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..posts.models import POST_LIVE
from ..web.auth import current_account, role_required, rt
from . import banner as banners
from . import services as notices
from .forms import BannerForm, ClearBannerForm, NoticeForm, WithdrawForm
from .models import LEVEL_LABELS, BannerLevel

bp = Blueprint("moderation_notices", __name__, template_folder="templates")

STAFF = ("moderator",)


def _me() -> int:
    me = current_account()
    assert me is not None  # role_required let only a signed-in moderator through
    return me.id


def _text(form: NoticeForm) -> notices.NoticeText:
    return notices.NoticeText(
        title=form.title.data.strip(),
        summary=form.summary.data.strip(),
        body=(form.body.data or "").strip(),
    )


@bp.route("/moderation/notices")
@role_required(*STAFF)
def index() -> str:
    """List the operator notices, newest first, with what each one's state is."""
    rows = notices.notices(rt())
    return render_template(
        "notices/index.html",
        rows=rows,
        live={row.id for row in rows if row.status in POST_LIVE},
        withdraw=WithdrawForm(formdata=None),
        banner=banners.current(rt()),
        levels=LEVEL_LABELS,
    )


@bp.route("/moderation/notices/new", methods=["GET", "POST"])
@role_required(*STAFF)
def new() -> Response | tuple[str, int]:
    """Write an operator notice; saving it publishes it."""
    form = NoticeForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("notices/edit.html", form=form, post=None), status
    notices.write(rt(), _me(), _text(form))
    flash(_("お知らせを保存しました。まもなくサイトに掲載されます。"))
    return redirect(url_for("moderation_notices.index"))


@bp.route("/moderation/notices/<int:post_id>/edit", methods=["GET", "POST"])
@role_required(*STAFF)
def edit(post_id: int) -> Response | tuple[str, int]:
    """Change a live operator notice; saving it republishes it."""
    post = notices.notice(rt(), post_id)
    form = NoticeForm() if request.method == "POST" else NoticeForm(obj=post)
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("notices/edit.html", form=form, post=post), status
    notices.edit(rt(), _me(), post_id, _text(form))
    flash(_("お知らせを更新しました。まもなくサイトに反映されます。"))
    return redirect(url_for("moderation_notices.index"))


@bp.route("/moderation/notices/<int:post_id>/withdraw", methods=["POST"])
@role_required(*STAFF)
def withdraw(post_id: int) -> Response:
    """Take an operator notice off the site."""
    form = WithdrawForm()
    if form.validate_on_submit():
        notices.withdraw(rt(), _me(), post_id)
        flash(_("お知らせを取り下げました。まもなくサイトから消えます。"))
    return redirect(url_for("moderation_notices.index"))


def _banner_page(form: BannerForm, status: int = 200) -> tuple[str, int]:
    page = render_template(
        "notices/banner.html",
        form=form,
        clear=ClearBannerForm(formdata=None),
        banner=banners.current(rt()),
        levels=LEVEL_LABELS,
    )
    return page, status


@bp.route("/moderation/banner", methods=["GET", "POST"])
@role_required(*STAFF)
def banner() -> Response | tuple[str, int]:
    """Show the site-wide banner now showing, and set a new one (it replaces the old)."""
    form = BannerForm()
    if not form.validate_on_submit():
        return _banner_page(form, 422 if form.is_submitted() else 200)
    banners.set_banner(
        rt(),
        _me(),
        BannerLevel(form.level.data),
        " ".join(form.text_ja.data.split()),
        " ".join((form.text_en.data or "").split()),
        form.ends_utc(),
    )
    flash(_("バナーを表示しました。公開サイトには1分以内に表示されます。"))
    return redirect(url_for("moderation_notices.banner"))


@bp.route("/moderation/banner/clear", methods=["POST"])
@role_required(*STAFF)
def clear() -> Response:
    """Take the site-wide banner down now."""
    form = ClearBannerForm()
    if form.validate_on_submit() and banners.clear(rt(), _me()):
        flash(_("バナーを消しました。公開サイトからも1分以内に消えます。"))
    return redirect(url_for("moderation_notices.banner"))
