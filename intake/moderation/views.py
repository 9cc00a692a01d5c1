"""The moderators' pages: the queue, reviews and decisions, and the state of the site."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..accounts import changes
from ..accounts.signin import disable_account
from ..profiles import services as profiles
from ..taxonomy import AREAS, POST_KINDS, TOPICS
from ..web.auth import current_account, role_required, rt
from ..web.forms import DecisionForm, DisableForm
from . import posts_views as moderation_posts
from . import services as moderation
from .forms import BulkDecisionForm

bp = Blueprint("moderation", __name__)

STAFF = ("moderator",)
DISABLEABLE = frozenset({"individual", "group"})


def _me_id() -> int:
    me = current_account()
    assert me is not None
    return me.id


@bp.route("/moderation")
@role_required(*STAFF)
def index() -> tuple[str, int]:
    return index_page()


def index_page(
    bulk_form: BulkDecisionForm | None = None, selected: tuple[str, ...] = ()
) -> tuple[str, int]:
    """Render the moderation page; a bulk decision with errors comes back here (422)."""
    queue_context, has_errors = moderation_posts.queue_context(bulk_form, selected)
    page = render_template(
        "moderation/index.html",
        **queue_context,
        queue=moderation.waiting_items(rt()),
        site=moderation.site_view(rt()),
        kinds=POST_KINDS,
        change_requests=(requests := changes.pending_requests(rt())),
        requesters=changes.public_names(rt(), [r.account_id for r in requests]),
        profile_edits=profiles.pending_profiles(rt()),
    )
    return page, 422 if has_errors else 200


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
        flash(_("登録の判断を記録しました。"))
        return redirect(url_for("moderation.index"))
    return _account_page(account_id, form, DisableForm(formdata=None))


@bp.route("/moderation/accounts/<int:account_id>/disable", methods=["POST"])
@role_required(*STAFF)
def disable(account_id: int) -> str | Response | tuple[str, int]:
    form = DisableForm()
    if form.validate_on_submit():
        disable_account(rt(), _me_id(), account_id, form.reason.data.strip(), kinds=DISABLEABLE)
        flash(_("アカウントの利用を停止しました。ログイン中のセッションもすべて終了しました。"))
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
