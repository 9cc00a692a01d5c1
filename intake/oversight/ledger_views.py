"""The ledger page (個人情報管理簿) for moderators and ward staff: read, add, download."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..protection.ledger import Handover, add_handover, handover_word, ledger_csv, read_entries
from ..web.auth import current_account, role_required, rt
from .forms import HandoverForm, parse_day, parse_quantity

bp = Blueprint("ledger", __name__, template_folder="templates")


def _page(form: HandoverForm, status: int = 200) -> tuple[str, int]:
    me = current_account()
    listed = read_entries(rt(), me.id if me else None, "web")
    page = render_template(
        "oversight/ledger.html",
        form=form,
        entries=listed,
        handover_word=lambda action: handover_word(action, _),
    )
    return page, status


@bp.route("/ledger", methods=["GET", "POST"])
@role_required("moderator", "staff")
def index() -> Response | tuple[str, int]:
    form = HandoverForm()
    if form.validate_on_submit():
        me = current_account()
        number = add_handover(
            rt(),
            me.id if me else None,
            Handover(
                on=parse_day(form.on.data),  # type: ignore[arg-type]
                handler=form.handler.data.strip(),
                content=form.content.data.strip(),
                quantity=parse_quantity(form.quantity.data) or 0,
                recipient=form.recipient.data.strip(),
            ),
        )
        flash(_("管理簿に記入しました（番号 %(n)s）。", n=number))
        return redirect(url_for("ledger.index"))
    return _page(form, 422 if form.errors else 200)


@bp.route("/ledger.csv")
@role_required("moderator", "staff")
def download() -> Response:
    me = current_account()
    return Response(
        ledger_csv(rt(), me.id if me else None, "web"),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="ledger.csv"'},
    )
