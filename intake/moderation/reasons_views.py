"""Moderators keep the rejection reason templates: add, edit, reorder, deactivate."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..web.auth import current_account, role_required, rt
from . import reasons as reason_templates
from .forms import MoveForm, ReasonTemplateForm

bp = Blueprint("moderation_reasons", __name__, template_folder="templates")

STAFF = ("moderator",)


def _me() -> int | None:
    me = current_account()
    return me.id if me else None


@bp.route("/moderation/reasons", methods=["GET", "POST"])
@role_required(*STAFF)
def index() -> str | Response | tuple[str, int]:
    """List the templates in order, with a form that adds one at the end."""
    form = ReasonTemplateForm()
    if form.validate_on_submit():
        title, body = form.title.data.strip(), form.body.data.strip()
        reason_templates.save(rt(), None, title, body, actor_id=_me())
        flash(_("理由のひな形を追加しました。"))
        return redirect(url_for("moderation_reasons.index"))
    page = render_template(
        "moderation/reasons.html",
        templates=reason_templates.all_templates(rt()),
        form=form,
        move_form=MoveForm(formdata=None),
    )
    return page, 422 if form.errors else 200


@bp.route("/moderation/reasons/<int:template_id>", methods=["GET", "POST"])
@role_required(*STAFF)
def edit(template_id: int) -> str | Response | tuple[str, int]:
    """Change a template's heading, text, or whether it is offered."""
    template = reason_templates.get(rt(), template_id)
    form = ReasonTemplateForm(obj=template)
    if form.validate_on_submit():
        reason_templates.save(
            rt(),
            template_id,
            form.title.data.strip(),
            form.body.data.strip(),
            form.active.data,
            actor_id=_me(),
        )
        flash(_("理由のひな形を保存しました。"))
        return redirect(url_for("moderation_reasons.index"))
    page = render_template("moderation/reason.html", template=template, form=form)
    return page, 422 if form.errors else 200


@bp.route("/moderation/reasons/<int:template_id>/move", methods=["POST"])
@role_required(*STAFF)
def move(template_id: int) -> str | Response | tuple[str, int]:
    """Move a template one place up or down."""
    form = MoveForm()
    if not form.validate_on_submit():
        reason_templates.get(rt(), template_id)  # an unknown template is 404, not 422
        page = render_template(
            "moderation/reasons.html",
            templates=reason_templates.all_templates(rt()),
            form=ReasonTemplateForm(formdata=None),
            move_form=form,
        )
        return page, 422
    reason_templates.move(rt(), template_id, form.step.data, actor_id=_me())
    return redirect(url_for("moderation_reasons.index"))
