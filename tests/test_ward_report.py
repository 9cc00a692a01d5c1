"""The ward's report (区への報告): every figure equals a count made directly in the database.

A seeded instance (accounts of both kinds from the web and from paper, posts of several
kinds, 分野 and 地域 approved, edited, refused and taken down, applications confirmed,
waiting, cancelled and attended, inquiries, a ledger hand-over) is counted by plain SQL
here, and the page, the CSV, the XLSX and `hiroba report --format json` must say the same,
month by month and for the period.
"""

# The SQL below is built from this file's own constant fragments (table and column names),
# every value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from statistics import median

import openpyxl
import pytest
from actors import make_staff, sign_in
from organizer_support import group_event
from sqlalchemy import text

from intake.accounts.services import PersonData, Registration, register, register_on_paper
from intake.applications.organizer import mark_attendance
from intake.applications.services import cancel_application
from intake.config import REPO_ROOT
from intake.formatting.dates import JAPAN
from intake.inquiries.services import InquiryData
from intake.inquiries.services import submit as submit_inquiry
from intake.inquiries.services import update as update_inquiry
from intake.models import Account
from intake.moderation import decisions as post_decisions
from intake.moderation import services as moderation
from intake.oversight import figures
from intake.oversight.charts import bar_chart, month_chart
from intake.oversight.periods import Period, fiscal_year, fiscal_year_of
from intake.posts.services import PostData, submit_post
from intake.protection.ledger import record_handover
from intake.site.takedown import take_down

STAFF = ("report-staff", "report-staff-password")


def _member(instance, kind: str, login: str) -> int:  # type: ignore[no-untyped-def]
    roles = ("representative", "contact") if kind == "group" else ("self",)
    return register(
        instance.rt,
        Registration(
            kind=kind,
            login=login,
            password="member-password-1",
            public_name=f"報告{login}",
            persons={r: PersonData(name="報告 太郎", email=f"{login}@example.test") for r in roles},
        ),
    )


def _post(instance, group: int, kind: str, topic: str, area: str, n: int) -> int:  # type: ignore[no-untyped-def]
    return submit_post(
        instance.rt,
        group,
        PostData(
            kind=kind,
            title=f"報告テスト{n}",
            summary="報告のための架空の投稿です。",
            starts_at=datetime.now() + timedelta(days=3) if kind == "event" else None,
            place_name="会場" if kind == "event" else "",
            topic=topic,
            area=area,
        ),
    )


@pytest.fixture
def seeded(instance):  # type: ignore[no-untyped-def]
    """Seed through the services; return the moderator's id."""
    setup = group_event(instance, capacity=2, applicants=4)  # 2 confirmed, 2 waiting
    moderator = setup.moderator
    cancel_application(instance.rt, setup.applications[0])  # a waiting one moves up
    mark_attendance(instance.rt, setup.group_a, setup.post_id, setup.applications[1], True)
    people = [_member(instance, "individual", f"report-person-{n}") for n in range(3)]
    moderation.decide_account(instance.rt, moderator, people[0], approve=True)
    moderation.decide_account(instance.rt, moderator, people[1], approve=False, reason="重複")
    paper = register_on_paper(
        instance.rt,
        moderator,
        Registration(
            kind="group",
            login="report-paper-group",
            password="",
            public_name="紙の団体",
            persons={
                "representative": PersonData(name="紙 一郎", email="p1@example.test"),
                "contact": PersonData(name="紙 二郎", email="p2@example.test"),
            },
        ),
    )[0]
    moderation.decide_account(instance.rt, moderator, paper, approve=True)
    group = setup.group_a
    posts = [
        _post(instance, group, "event", "welfare", "yotsuya", 1),
        _post(instance, group, "recruitment", "culture", "okubo", 2),
        _post(instance, group, "notice", "", "", 3),
        _post(instance, group, "event", "culture", "yotsuya", 4),
        _post(instance, group, "notice", "sports", "totsuka", 5),
    ]
    for post_id in posts[:3]:
        post_decisions.approve(instance.rt, moderator, post_decisions.Subject("post", post_id))
    edited = PostData(
        kind="event",
        title="報告テスト4（運営が修正）",
        summary="報告のための架空の投稿です。",
        starts_at=datetime.now() + timedelta(days=5),
        place_name="会場",
        topic="culture",
        area="yotsuya",
    )
    post_decisions.approve(instance.rt, moderator, post_decisions.Subject("post", posts[3]), edited)
    post_decisions.reject(
        instance.rt, moderator, post_decisions.Subject("post", posts[4]), "内容が不明です"
    )
    take_down(instance.rt, moderator, posts[1], "連絡先の誤り")
    for n, category in enumerate(("account", "posting", "posting", "privacy")):
        inquiry = submit_inquiry(
            instance.rt,
            InquiryData(category, "報告のための問い合わせ", "問合 花子", f"q{n}@example.test", ""),
        )
        if n == 1:
            update_inquiry(instance.rt, inquiry, moderator, "in_progress", None)
    with instance.rt.sessions() as db, db.begin():
        record_handover(db, "報告担当", "export", "区への提出", {"accounts": 3, "persons": 5})
    return moderator


def _today_fiscal_year() -> Period:
    return fiscal_year(fiscal_year_of(datetime.now(JAPAN).date()))


def _utc(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=JAPAN).astimezone(UTC).replace(tzinfo=None)


def direct(db, period: Period) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Count every figure with plain SQL, independently of intake.oversight.figures."""
    start, end = _utc(period.start), _utc(period.end + timedelta(days=1))
    local = (
        datetime.combine(period.start, datetime.min.time()),
        datetime.combine(period.end + timedelta(days=1), datetime.min.time()),
    )
    b = {"s": start, "e": end}

    def n(sql: str, **extra: object) -> int:
        return int(db.execute(text(sql), {**b, **extra}).scalar_one())

    members = "kind IN ('individual', 'group') AND created_at >= :s AND created_at < :e"
    out: dict[str, object] = {
        "registrations.individual": n(
            "SELECT count(*) FROM accounts WHERE kind = 'individual' AND created_at >= :s "
            "AND created_at < :e"
        ),
        "registrations.group": n(
            "SELECT count(*) FROM accounts WHERE kind = 'group' AND created_at >= :s "
            "AND created_at < :e"
        ),
        "registrations.web": n(f"SELECT count(*) FROM accounts WHERE {members} AND source = 'web'"),
        "registrations.paper": n(
            f"SELECT count(*) FROM accounts WHERE {members} AND source = 'paper'"
        ),
        "accounts.active": n(
            "SELECT count(*) FROM accounts a WHERE a.kind IN ('individual', 'group') "
            "AND a.status = 'active' AND EXISTS (SELECT 1 FROM decisions d WHERE "
            "d.subject_kind = 'account' AND d.subject_id = a.id AND d.action = 'approve' "
            "AND d.created_at < :e)"
        ),
    }
    published = "approved_at >= :s AND approved_at < :e"
    for name, column, keys in (
        ("kind", "kind", figures.POST_KINDS),
        ("topic", "topic", figures.TOPICS),
        ("area", "area", figures.AREAS),
    ):
        for key in keys:
            out[f"posts.{name}.{key}"] = n(
                f"SELECT count(*) FROM posts WHERE {published} AND {column} = :k", k=key
            )
        if name != "kind":
            out[f"posts.{name}.unset"] = n(
                f"SELECT count(*) FROM posts WHERE {published} AND {column} = ''"
            )
    decided = "created_at >= :s AND created_at < :e"
    out["moderation.approved"] = n(
        f"SELECT count(*) FROM decisions WHERE {decided} AND action = 'approve' "
        "AND (edits IS NULL OR edits = '')"
    )
    out["moderation.edited"] = n(
        f"SELECT count(*) FROM decisions WHERE {decided} AND action = 'approve' AND edits <> ''"
    )
    out["moderation.refused"] = n(
        f"SELECT count(*) FROM decisions WHERE {decided} AND action = 'reject'"
    )
    waits = []
    for kind, table in (("account", "accounts"), ("post", "posts"), ("revision", "post_revisions")):
        rows = db.execute(
            text(
                f"SELECT d.created_at, t.created_at FROM decisions d JOIN {table} t "
                f"ON t.id = d.subject_id WHERE d.subject_kind = :kind "
                "AND d.action IN ('approve', 'reject') AND d.created_at >= :s AND d.created_at < :e"
            ),
            {**b, "kind": kind},
        ).all()
        waits += [(_dt(at) - _dt(since)).total_seconds() / 3600 for at, since in rows]
    out["moderation.median_hours"] = round(median(waits), 1) if waits else None
    out["events.takedowns"] = n(
        f"SELECT count(*) FROM decisions WHERE {decided} AND action = 'takedown'"
    )
    out["events.held"] = int(
        db.execute(
            text(
                "SELECT count(*) FROM posts WHERE kind = 'event' AND status IN "
                "('approved', 'archived') AND starts_at >= :a AND starts_at < :z"
            ),
            {"a": local[0], "z": local[1]},
        ).scalar_one()
    )
    made = "created_at >= :s AND created_at < :e"
    out["applications.total"] = n(f"SELECT count(*) FROM applications WHERE {made}")
    for status in ("confirmed", "waitlisted", "cancelled"):
        out[f"applications.{status}"] = n(
            f"SELECT count(*) FROM applications WHERE {made} AND status = :st", st=status
        )
    out["applications.attended"] = n(
        f"SELECT count(*) FROM applications WHERE {made} AND attended = :yes", yes=True
    )
    for key in figures.CATEGORIES:
        out[f"inquiries.category.{key}"] = n(
            f"SELECT count(*) FROM inquiries WHERE {made} AND category = :c", c=key
        )
    for key in ("received", "in_progress", "done"):
        out[f"inquiries.status.{key}"] = n(
            f"SELECT count(*) FROM inquiries WHERE {made} AND status = :st", st=key
        )
    out["ledger.handovers"] = n("SELECT count(*) FROM ledger WHERE at >= :s AND at < :e")
    out["ledger.records"] = n(
        "SELECT coalesce(sum(total), 0) FROM ledger WHERE at >= :s AND at < :e"
    )
    return out


def _dt(value: object) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _expected(instance, period: Period) -> tuple[dict[str, object], list[dict[str, object]]]:  # type: ignore[no-untyped-def]
    with instance.rt.sessions() as db:
        return direct(db, period), [direct(db, month) for month in period.months()]


def _staff(instance, app):  # type: ignore[no-untyped-def]
    make_staff(instance, "staff", *STAFF, "報告 職員")
    client = app.test_client()
    sign_in(client, *STAFF)
    return client


def _cell(value: object) -> str:
    return "—" if value is None else str(value)


def test_the_page_shows_what_the_database_holds(instance, app, seeded):  # type: ignore[no-untyped-def]
    period = _today_fiscal_year()
    totals, months = _expected(instance, period)
    assert set(totals) == {line.key for line in figures.LINES}
    # The seed is in the numbers, so a report of zeros could not pass.
    assert totals["registrations.paper"] == 1 and totals["moderation.edited"] == 1
    assert totals["moderation.refused"] == 2 and totals["events.takedowns"] == 1
    assert totals["applications.cancelled"] == 1 and totals["applications.attended"] == 1
    assert totals["inquiries.category.posting"] == 2 and totals["ledger.records"] == 8
    assert totals["posts.topic.unset"] == 2 and totals["events.held"] >= 1

    client = _staff(instance, app)
    page = client.get(f"/app/staff/report?year={period.start.year}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for key, total in totals.items():
        row = re.search(rf'<tr id="figure-{key.replace(".", "-")}">(.*?)</tr>', html, re.S)
        assert row, key
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))
        assert cells == [_cell(m[key]) for m in months] + [_cell(total)], key
    assert html.count('role="img"') == 7 and "<script" not in html
    for personal in ("報告 太郎", "example.test", "問合 花子", "紙 一郎", "report-person"):
        assert personal not in html, personal
    assert "2026年4月" in html or f"{period.start.year}年4月" in html


def test_csv_and_xlsx_downloads_hold_the_same_numbers(instance, app, seeded):  # type: ignore[no-untyped-def]
    period = _today_fiscal_year()
    totals, months = _expected(instance, period)
    client = _staff(instance, app)
    query = f"start={period.start.isoformat()}&end={period.end.isoformat()}"
    sheet_csv = client.get(f"/app/staff/report?{query}&format=csv")
    assert sheet_csv.status_code == 200
    assert sheet_csv.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in sheet_csv.headers["Content-Disposition"]
    body = sheet_csv.get_data()
    assert body.startswith("\ufeff".encode())  # Excel opens the Japanese text
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:2] == ["区分", "項目"] and rows[0][-1] == "期間の合計"
    assert len(rows[0]) == 3 + len(months)
    by_label = {(r[0], r[1]): r[2:] for r in rows[1:]}

    book = client.get(f"/app/staff/report?{query}&format=xlsx")
    assert book.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(book.get_data())).active
    cells = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert cells[1] == rows[0]
    by_label_xlsx = {(r[0], r[1]): r[2:] for r in cells[2:]}
    for line in figures.LINES:
        label = (figures.SECTIONS[line.section], line.label)
        wanted = [m[line.key] for m in months] + [totals[line.key]]
        assert by_label[label] == ["" if v is None else str(v) for v in wanted], line.key
        assert by_label_xlsx[label] == wanted, line.key
    assert not any(
        isinstance(v, str) and v.startswith("=") for row in cells for v in row
    )  # values, never formulas


def test_the_command_writes_json_csv_and_xlsx(instance, seeded, tmp_path):  # type: ignore[no-untyped-def]
    period = _today_fiscal_year()
    totals, months = _expected(instance, period)

    def hiroba(*argv: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "intake.cli", "report", *argv],
            env=instance.env,
            capture_output=True,
            cwd=REPO_ROOT,
            timeout=120,
        )

    bounds = ("--from", period.start.isoformat(), "--to", period.end.isoformat())
    result = hiroba(*bounds, "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["from"] == period.start.isoformat() and data["to"] == period.end.isoformat()
    assert data["months"] == [m.key for m in period.months()]
    for item in data["figures"]:
        assert item["total"] == totals[item["key"]], item["key"]
        assert item["months"] == [m[item["key"]] for m in months], item["key"]
    assert {item["key"] for item in data["figures"]} == set(totals)

    out = tmp_path / "report.xlsx"
    assert hiroba(*bounds, "--format", "xlsx", "--output", str(out)).returncode == 0
    sheet = openpyxl.load_workbook(out).active
    totals_xlsx = {(r[0], r[1]): r[-1] for r in sheet.iter_rows(min_row=3, values_only=True)}
    assert totals_xlsx[("登録", "紙の申請からの登録")] == totals["registrations.paper"]
    rows = list(
        csv.reader(io.StringIO(hiroba(*bounds, "--format", "csv").stdout.decode("utf-8-sig")))
    )
    assert {(r[0], r[1]): r[-1] for r in rows[1:]}[("参加申込", "申込")] == str(
        totals["applications.total"]
    )
    year = hiroba("--year", str(period.start.year))
    assert year.returncode == 0 and json.loads(year.stdout)["to"] == period.end.isoformat()
    bad = hiroba("--from", "2027-13-01", "--to", "2027-03-31")
    assert bad.returncode == 2 and b"YYYY-MM-DD" in bad.stderr
    backwards = hiroba("--from", "2027-03-31", "--to", "2026-04-01")
    assert backwards.returncode == 2
    assert hiroba("--year", "99999").returncode == 2


def test_the_fiscal_year_turns_on_the_first_of_april_in_japan(instance, app):  # type: ignore[no-untyped-def]
    assert fiscal_year_of(date(2027, 3, 31)) == 2026 and fiscal_year_of(date(2027, 4, 1)) == 2027
    assert fiscal_year(2026) == Period(date(2026, 4, 1), date(2027, 3, 31))
    last_day = _member(instance, "individual", "report-march")
    first_day = _member(instance, "individual", "report-april")
    with instance.rt.sessions() as db, db.begin():
        # 23:59:59 on 31 March JST is 14:59:59 UTC; midnight on 1 April JST is 15:00 UTC.
        for account, at in ((last_day, "2027-03-31 14:59:59"), (first_day, "2027-03-31 15:00:00")):
            row = db.get(Account, account)
            assert row is not None
            row.created_at = datetime.fromisoformat(at)
    with instance.rt.sessions() as db:
        fy2026 = figures.build(db, fiscal_year(2026))
        fy2027 = figures.build(db, fiscal_year(2027))
        march = figures.build(db, Period(date(2027, 3, 1), date(2027, 3, 31)))
    assert march.value("registrations.individual") == 1
    assert fy2026.figures[0].months[-1] == 1  # March 2027, the fiscal year's last month
    assert fy2027.value("registrations.individual") == 1
    assert [m.key for m in fy2026.months][0] == "2026-04" and len(fy2026.months) == 12
    client = _staff(instance, app)
    html = client.get("/app/staff/report?year=2027").get_data(as_text=True)
    assert re.search(
        r'<tr id="figure-registrations-individual">.*?<td class="total">1</td>', html, re.S
    )


def test_bad_periods_are_told_at_their_fields(instance, app):  # type: ignore[no-untyped-def]
    client = _staff(instance, app)
    for query, field in (
        ("start=2027-02-30&end=2027-03-31", "report-start"),
        ("start=2027-04-01&end=2027-03-31", "report-end"),
        ("start=2027-04-01", "report-end"),
        ("year=1999", "report-year"),
        ("year=abc", "report-year"),
    ):
        page = client.get(f"/app/staff/report?{query}")
        html = page.get_data(as_text=True)
        assert page.status_code == 422, query
        assert f'id="{field}-error"' in html and f'aria-describedby="{field}-error' in html, query
        assert 'role="img"' not in html
    kept = client.get("/app/staff/report?start=2027-02-30&end=2027-03-31").get_data(as_text=True)
    assert 'value="2027-02-30"' in kept
    # A month, and the default (this fiscal year to date), both answer.
    month = client.get("/app/staff/report?start=2026-04-01&end=2026-04-30").get_data(as_text=True)
    assert "2026年4月" in month and "2026年5月" not in month
    assert client.get("/app/staff/report").status_code == 200


def test_only_ward_staff_read_the_report(instance, app):  # type: ignore[no-untyped-def]
    make_staff(instance, "moderator", "report-mod", "report-mod-password", "報告 運営")
    moderator = app.test_client()
    sign_in(moderator, "report-mod", "report-mod-password")
    assert moderator.get("/app/staff/report").status_code == 403
    assert moderator.get("/app/staff/report?format=csv").status_code == 403
    anonymous = app.test_client().get("/app/staff/report")
    assert anonymous.status_code == 302


def test_chart_labels_are_escaped():
    hostile = '<script>alert("x")</script>&'
    for chart in (
        bar_chart("t", hostile, [(hostile, 3)]),
        month_chart("m", hostile, [(hostile, 2)]),
    ):
        svg = str(chart.svg)
        assert "<script" not in svg and "&lt;script&gt;" in svg
        assert svg.startswith("<svg") and 'role="img"' in svg and "aria-label=" in svg
