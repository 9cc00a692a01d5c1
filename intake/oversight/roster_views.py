"""Ward staff's roster of handlers (取扱者名簿) and its download for the report to the ward."""

from __future__ import annotations

from flask import Blueprint, Response, render_template
from flask_babel import gettext as _

from ..accounts.models import ACCOUNT_KIND_LABELS, account_word
from ..web.auth import current_account, role_required, rt
from .roster import handlers, roster_csv

bp = Blueprint("roster", __name__, template_folder="templates")


@bp.route("/staff/roster")
@role_required("staff")
def index() -> str:
    me = current_account()
    return render_template(
        "oversight/roster.html",
        handlers=handlers(rt(), me.id if me else None, "web"),
        role_word=lambda kind: account_word(ACCOUNT_KIND_LABELS, kind, _),
    )


@bp.route("/staff/roster.csv")
@role_required("staff")
def download() -> Response:
    me = current_account()
    data = roster_csv(rt(), me.id if me else None, "web")
    return Response(
        data,
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="roster.csv"'},
    )
