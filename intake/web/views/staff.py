"""Ward staff's pages: oversight figures, no personal data."""

from __future__ import annotations

from flask import Blueprint, render_template

from ...services.statistics import status_counts
from ..auth import role_required, rt

bp = Blueprint("staff", __name__)

TABLE_LABELS = {"accounts": "アカウント", "posts": "投稿", "applications": "参加申込"}


@bp.route("/staff")
@role_required("staff")
def index() -> str:
    return render_template("staff/index.html", counts=status_counts(rt()), labels=TABLE_LABELS)
