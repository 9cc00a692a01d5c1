"""Moderators' pages to post on an account's behalf (代理投稿): pick the account, then the
normal post form (intake/posts/on_behalf.py)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..errors import StoreUnavailable
from ..uploads.services import submit_post_with_files
from ..web.auth import current_account, role_required, rt
from ..web.responses import retry_later
from . import on_behalf
from .views import _form_class, _post_data, _prepare

bp = Blueprint("posts_on_behalf", __name__, template_folder="templates")

STAFF = ("moderator",)


@bp.route("/moderation/on-behalf")
@role_required(*STAFF)
def pick() -> str:
    return render_template("posts/on_behalf_pick.html", posters=on_behalf.posters(rt()))


@bp.route("/moderation/on-behalf/<int:account_id>", methods=["GET", "POST"])
@role_required(*STAFF)
def new(account_id: int) -> str | Response | tuple[str, int]:
    poster = on_behalf.poster(rt(), account_id)
    form = _prepare(_form_class()())
    context = {"form": form, "on_behalf": poster}
    if form.validate_on_submit():
        me = current_account()
        assert me is not None
        try:
            post_id = submit_post_with_files(
                rt(), account_id, _post_data(form), form.attachments, entered_by=me.id
            )
        except StoreUnavailable:
            return retry_later("posts/form.html", **context)
        flash(
            _(
                "「%(name)s」に代わって投稿を入力しました（投稿番号 %(n)s）。"
                "審査して承認すると公開されます。",
                name=poster.public_name,
                n=post_id,
            )
        )
        return redirect(url_for("moderation_posts.post", post_id=post_id))
    return render_template("posts/form.html", **context), 422 if form.errors else 200
