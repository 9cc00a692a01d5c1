"""Moderators review groups' public profile edits (公開プロフィールの変更) before they show."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..moderation.forms import DecisionForm
from ..moderation.views import decided
from ..web.auth import role_required, rt
from . import services as profiles

bp = Blueprint("moderation_profiles", __name__, template_folder="templates")

STAFF = ("moderator",)


@bp.route("/moderation/profiles")
@role_required(*STAFF)
def index() -> str:
    return render_template(
        "profiles/moderation/profiles.html",
        pending=profiles.pending_profiles(rt()),
        labels=profiles.REVIEWED,
    )


@bp.route("/moderation/profiles/<int:account_id>", methods=["GET", "POST"])
@role_required(*STAFF)
def review(account_id: int) -> str | Response | tuple[str, int]:
    form = DecisionForm()
    message = _("公開プロフィールの変更について判断を記録しました。")
    if done := decided(form, profiles.decide, account_id, message, "moderation_profiles.index"):
        return done
    page = render_template(
        "profiles/moderation/profile.html",
        review=profiles.review(rt(), account_id),
        form=form,
        labels=profiles.REVIEWED,
    )
    return page, 422 if form.errors else 200
