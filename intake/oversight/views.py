"""Ward staff's pages: the ward's report and the audit report, no personal data."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..accounts.models import ACCOUNT_KIND_LABELS, account_word
from ..formatting import dates
from ..protection.access import action_word
from ..web.auth import role_required, rt
from ..web.locale import select_locale
from . import analysis, downloads, figures
from .charts import Chart, bar_chart, month_chart
from .forms import PeriodForm
from .models import notice_word
from .periods import default_period
from .report import Policy, build_report

bp = Blueprint("staff", __name__, template_folder="templates")

REPORT_DAYS = 30
MIME = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Trends drawn month by month: (chart key, title msgid, the figures added up per month).
TRENDS = (
    ("registrations", _l("登録の推移"), ("registrations.individual", "registrations.group")),
    ("posts", _l("掲載された投稿の推移"), tuple(f"posts.kind.{k}" for k in figures.POST_KINDS)),
    ("applications", _l("参加申込の推移"), ("applications.total",)),
)
# Breakdowns drawn as bars of the period's totals: (chart key, section).
BREAKDOWNS = ("posts_kind", "posts_topic", "posts_area", "inquiries_category")


def words() -> dict[str, Callable[[str], str]]:
    """The functions templates name an audit action and an anomaly with: words, never codes."""
    return {
        "action_word": lambda action: action_word(action, _),
        "anomaly_word": lambda kind: notice_word(kind, _),
    }


def who(actor_id: int | None, actor: str) -> str:
    """Name an actor by number and role only (a public name may be a person's name)."""
    if actor_id is None:
        return _("システム・未ログイン")
    parts = actor.split(" ", 2)  # the report names actors "#id kind public name"
    kind = parts[1] if len(parts) > 1 else ""
    role = account_word(ACCOUNT_KIND_LABELS, kind, _) if kind else ""
    return f"#{actor_id} {role}".strip()


@bp.route("/staff")
@role_required("staff")
def index() -> str:
    since = dates.japan_now().date() - timedelta(days=REPORT_DAYS)
    with rt().sessions() as session:
        report = build_report(session, since, Policy.from_settings(rt().settings))
        months = [n.key.split(":", 1)[1] for n in analysis.monthly_reports(session)]
    return render_template(
        "oversight/index.html",
        months=months,
        report=report,
        report_days=REPORT_DAYS,
        who=who,
        **words(),
    )


def _charts(report: figures.WardReport) -> list[Chart]:
    english = select_locale() == "en"
    short = len(report.months) <= 12
    months = [
        dates.month_name(m.start.month, "en" if english else "ja")
        if short
        else dates.format_month(m.start.year, m.start.month, "en" if english else "ja")
        for m in report.months
    ]
    values = {f.line.key: f for f in report.figures}
    charts = []
    for key, title, keys in TRENDS:
        per_month = [sum(values[k].months[i] or 0 for k in keys) for i in range(len(months))]
        charts.append(month_chart(key, str(title), list(zip(months, per_month, strict=True))))
    for section in BREAKDOWNS:
        rows = [(_(f.line.label), f.total or 0) for f in report.section(section)]
        charts.append(bar_chart(section, _(figures.SECTIONS[section]), rows))
    return charts


@bp.route("/staff/report")
@role_required("staff")
def ward_report() -> Response | tuple[str, int] | str:
    """The ward's report for a period: charts and tables, or the same as CSV or XLSX."""
    form = PeriodForm(formdata=request.args)
    asked = any(request.args.get(name) for name in ("year", "start", "end"))
    period = default_period() if not asked else (form.period() if form.validate() else None)
    if period is None:
        return render_template("oversight/ward_report.html", form=form, report=None), 422
    with rt().sessions() as session:
        report = figures.build(session, period)
    kind = request.args.get("format", "html")
    if kind in MIME:
        maker = downloads.csv_bytes if kind == "csv" else downloads.xlsx_bytes
        name = f"ward-report-{period.start.isoformat()}-{period.end.isoformat()}.{kind}"
        return Response(
            maker(report, _),
            mimetype=MIME[kind],
            headers={
                "Cache-Control": "no-store",
                "Content-Disposition": f'attachment; filename="{name}"',
            },
        )
    return render_template(
        "oversight/ward_report.html",
        form=form,
        report=report,
        charts=_charts(report),
        sections=figures.SECTIONS,
        month_label=lambda key: downloads.month_label(key, _),
        shown=[datetime.combine(day, datetime.min.time()) for day in (period.start, period.end)],
    )


@bp.route("/staff/audit/<month>")
@role_required("staff")
def audit_month(month: str) -> str:
    """A stored monthly audit report: entries per action and anomalies per kind."""
    if not re.fullmatch(r"\d{4}-\d{2}", month):
        abort(404)
    with rt().sessions() as session:
        notice = analysis.monthly_report(session, month)
    if notice is None:
        abort(404)
    year, number = (int(part) for part in month.split("-"))
    return render_template(
        "oversight/audit_month.html",
        year=year,
        month=number,
        summary=json.loads(notice.summary or "{}"),
        **words(),
    )
