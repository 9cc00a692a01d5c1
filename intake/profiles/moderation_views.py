"""Moderators review groups' public profile edits (公開プロフィールの変更) before they show."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..web.auth import current_account, role_required, rt
from ..web.forms import DecisionForm
from . import services as profiles

bp = Blueprint("moderation_profiles", __name__)

STAFF = ("moderator",)


def _me_id() -> int:
    me = current_account()
    assert me is not None
    return me.id


@bp.route("/moderation/profiles")
@role_required(*STAFF)
def index() -> str:
    return render_template(
        "moderation/profiles.html",
        pending=profiles.pending_profiles(rt()),
        labels=profiles.REVIEWED,
    )


@bp.route("/moderation/profiles/<int:account_id>", methods=["GET", "POST"])
@role_required(*STAFF)
def review(account_id: int) -> str | Response | tuple[str, int]:
    form = DecisionForm()
    if form.validate_on_submit():
        profiles.decide(
            rt(),
            _me_id(),
            account_id,
            form.action.data == "approve",
            (form.reason.data or "").strip(),
        )
        flash(_("公開プロフィールの変更について判断を記録しました。"))
        return redirect(url_for("moderation_profiles.index"))
    page = render_template(
        "moderation/profile.html",
        review=profiles.review(rt(), account_id),
        form=form,
        labels=profiles.REVIEWED,
    )
    return page, 422 if form.errors else 200
