"""Ward staff's pages: oversight figures and the audit report, no personal data."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..web.auth import role_required, rt
from .report import JST, Policy, build_report
from .statistics import status_counts

bp = Blueprint("staff", __name__, template_folder="templates")

TABLE_LABELS = {"accounts": _l("アカウント"), "posts": _l("投稿"), "applications": _l("参加申込")}
ANOMALY_LABELS = {
    "bulk": _l("大量の閲覧・出力"),
    "off_hours": _l("業務時間外のアクセス"),
    "signin_failures": _l("ログイン失敗の集中"),
}
REPORT_DAYS = 30
ROLE_LABELS = {
    "individual": _l("個人"),
    "group": _l("団体"),
    "moderator": _l("運営"),
    "staff": _l("区職員"),
}


def who(actor_id: int | None, actor: str) -> str:
    """Name an actor by number and role only (a public name may be a person's name)."""
    if actor_id is None:
        return _("システム・未ログイン")
    parts = actor.split(" ", 2)  # the report names actors "#id kind public name"
    kind = parts[1] if len(parts) > 1 else ""
    return f"#{actor_id} {ROLE_LABELS.get(kind, '')}".strip()


@bp.route("/staff")
@role_required("staff")
def index() -> str:
    since = datetime.now(JST).date() - timedelta(days=REPORT_DAYS)
    with rt().sessions() as session:
        report = build_report(session, since, Policy.from_settings(rt().settings))
    return render_template(
        "oversight/index.html",
        counts=status_counts(rt()),
        labels=TABLE_LABELS,
        report=report,
        report_days=REPORT_DAYS,
        anomaly_labels=ANOMALY_LABELS,
        who=who,
    )
