"""A group's own public profile (公開プロフィール): what it chooses to publish about itself."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..errors import StoreUnavailable
from ..web.auth import current_account, role_required, rt
from ..web.responses import retry_later
from . import services as profiles
from .forms import ProfileForm

bp = Blueprint("profile", __name__, template_folder="templates")

TEMPLATE = "profiles/edit.html"


def _me_id() -> int:
    me = current_account()
    assert me is not None
    return me.id


def _form_for(state: profiles.ProfileState) -> ProfileForm:
    """Return the form filled with the pending edit where there is one, else the live values."""
    account, pending = state.account, state.pending
    return ProfileForm(
        data={
            "publish": account.profile_public,
            "profile": pending.get("profile", account.profile),
            "website": pending.get("website", account.website),
            "public_contact": pending.get("public_contact", account.public_contact),
            "topics": [k for k in account.topics.split(",") if k],
            "areas": [k for k in account.areas.split(",") if k],
        }
    )


@bp.route("/account/profile", methods=["GET", "POST"])
@role_required("group")
def edit() -> str | Response | tuple[str, int]:
    state = profiles.own_profile(rt(), _me_id())
    form = _form_for(state)
    context = {"form": form, "state": state, "labels": profiles.REVIEWED}
    if form.validate_on_submit():
        edit = profiles.ProfileEdit(
            publish=bool(form.publish.data),
            profile=form.profile.data or "",
            website=form.website.data or "",
            public_contact=form.public_contact.data or "",
            topics=list(form.topics.data or []),
            areas=list(form.areas.data or []),
        )
        try:
            waiting = profiles.update_profile(rt(), _me_id(), edit)
        except profiles.NoProfileChanges:
            form.form_errors.append(_("変更された項目がありません。"))
        except StoreUnavailable:
            return retry_later(TEMPLATE, **context)
        else:
            if waiting:
                flash(_("公開設定を保存しました。文章の変更は運営者が確認してから公開されます。"))
            else:
                flash(_("公開設定を保存しました。まもなくサイトに反映されます。"))
            return redirect(url_for("profile.edit"))
    status = 422 if form.errors or form.form_errors else 200
    return render_template(TEMPLATE, **context), status
