"""The moderators' pages: the queue, reviews and decisions, and the state of the site."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from ..accounts import changes
from ..accounts.models import ACCOUNT_STATUS_LABELS, AccountStatus
from ..accounts.signin import disable_account
from ..profiles import services as profiles
from ..runtime import Runtime
from ..site.models import BUILD_STATUS_LABELS
from ..taxonomy import AREAS, POST_KINDS, TOPICS
from ..web.auth import current_account, role_required, rt
from . import queue as moderation_queue
from . import reasons as reason_templates
from . import services as moderation
from .forms import (
    BulkDecisionForm,
    DecisionForm,
    DisableForm,
    QueueFilterForm,
    ReviewDecisionForm,
)
from .models import DecisionAction
from .queue import QueueFilter

bp = Blueprint("moderation", __name__, template_folder="templates")

STAFF = ("moderator",)
DISABLEABLE = frozenset({"individual", "group"})


def _me_id() -> int:
    me = current_account()
    assert me is not None
    return me.id


def state_labels() -> dict[str, str]:
    """Return the queue states as moderators read them."""
    return {
        "new": _("新規"),
        "resubmitted": _("差し戻し後の再申請"),
        "edit": _("公開中の投稿の変更"),
    }


def reason_choices(form: ReviewDecisionForm | BulkDecisionForm) -> None:
    templates = reason_templates.all_templates(rt(), active_only=True)
    form.reason_template.choices = [SelectChoice(0, _("使わない"))] + [
        SelectChoice(t.id, t.title) for t in templates
    ]


def reason_text(form: ReviewDecisionForm | BulkDecisionForm) -> str:
    body = reason_templates.body_of(rt(), form.reason_template.data)
    return reason_templates.compose(body, form.reason.data or "")


def queue_context(
    bulk_form: BulkDecisionForm | None = None, selected: tuple[str, ...] = ()
) -> tuple[dict[str, Any], bool]:
    """Return what the index's post queue shows, and whether any form there has errors."""
    filters = QueueFilterForm(formdata=request.args)
    everything = [SelectChoice("", _("すべて"))]
    filters.kind.choices = everything + [SelectChoice(k, _(v)) for k, v in POST_KINDS.items()]
    filters.state.choices = everything + [SelectChoice(k, v) for k, v in state_labels().items()]
    filters_ok = filters.validate() if request.args else True
    wanted = QueueFilter(
        kind=filters.kind.data if filters.kind.data in POST_KINDS else "",
        state=filters.state.data if filters.state.data in moderation_queue.STATES else "",
        older_than_days=filters.older_than.data if not filters.older_than.errors else None,
        poster=(filters.poster.data or "") if not filters.poster.errors else "",
        page=request.args.get("page", 1, type=int) or 1,
    )
    bulk = bulk_form or BulkDecisionForm(formdata=None)
    reason_choices(bulk)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    context = {
        "post_queue": moderation_queue.post_queue(rt(), wanted),
        "queue_filters": filters,
        "queue_args": args,
        "bulk_form": bulk,
        "selected": set(selected),
        "state_labels": state_labels(),
    }
    return context, not filters_ok or bool(bulk.errors)


def decided(
    form: DecisionForm,
    decide: Callable[[Runtime, int, int, bool, str], object],
    subject_id: int,
    message: str,
    endpoint: str,
) -> Response | None:
    """Record a submitted approve/reject through decide and redirect; None shows the page."""
    if not form.validate_on_submit():
        return None
    approve = form.action.data == DecisionAction.APPROVE
    decide(rt(), _me_id(), subject_id, approve, (form.reason.data or "").strip())
    flash(message)
    return redirect(url_for(endpoint))


@bp.route("/moderation")
@role_required(*STAFF)
def index() -> tuple[str, int]:
    return index_page()


def index_page(
    bulk_form: BulkDecisionForm | None = None, selected: tuple[str, ...] = ()
) -> tuple[str, int]:
    """Render the moderation page; a bulk decision with errors comes back here (422)."""
    context, has_errors = queue_context(bulk_form, selected)
    page = render_template(
        "moderation/index.html",
        **context,
        queue=moderation.waiting_items(rt()),
        site=moderation.site_view(rt()),
        build_labels=BUILD_STATUS_LABELS,
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
    message = _("登録の判断を記録しました。")
    if done := decided(form, moderation.decide_account, account_id, message, "moderation.index"):
        return done
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
        disableable=record.kind in DISABLEABLE and record.status == AccountStatus.ACTIVE,
        topics=TOPICS,
        areas=AREAS,
        account_statuses=ACCOUNT_STATUS_LABELS,
    )
    return page, 422 if form.errors or disable_form.errors else 200
