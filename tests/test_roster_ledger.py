"""The roster of handlers (取扱者名簿) and the hand-over ledger (管理簿): pages and commands."""

from __future__ import annotations

import csv
import io

from actors import MODERATOR, make_moderator, make_staff, sign_in
from conftest import submit
from personal_data import failed, hiroba, ok
from sqlalchemy import select

from intake.models import AuditEntry
from intake.office.records import LedgerEntry
from intake.protection.audit import verify

STAFF = ("ward-clerk", "ward-clerk-password-1")


def _staff_and_moderator(instance) -> None:  # type: ignore[no-untyped-def]
    make_moderator(instance)
    make_staff(instance, "staff", *STAFF, "区の担当 一郎")


def _csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())  # Excel opens the Japanese text
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _actions(instance) -> list[str]:  # type: ignore[no-untyped-def]
    with instance.rt.sessions() as db:
        return list(db.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


def test_staff_read_and_download_the_roster(instance, app):
    _staff_and_moderator(instance)
    staff = app.test_client()
    sign_in(staff, *STAFF)
    page = staff.get("/app/staff/roster")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "mod-tester" in html and "ward-clerk" in html and "区の担当 一郎" in html
    assert html.count("設定済み") == 2  # both enrolled a second factor
    assert "2 名" in html or "取扱者 2" in html

    download = staff.get("/app/staff/roster.csv")
    assert download.status_code == 200
    assert download.headers["Content-Type"].startswith("text/csv")
    rows = _csv_rows(download.get_data())
    assert rows[0][:4] == ["番号", "ログインID", "表示名", "役割"]
    by_login = {row[1]: row for row in rows[1:]}
    assert set(by_login) == {"mod-tester", "ward-clerk"}
    assert by_login["ward-clerk"][3] == "区職員" and by_login["ward-clerk"][5] == "あり"
    assert by_login["ward-clerk"][6]  # signed in just now
    assert by_login["mod-tester"][6] == ""  # never signed in
    with instance.rt.sessions() as db:
        exported = db.scalars(
            select(AuditEntry).where(AuditEntry.action == "roster_exported")
        ).one()
        assert exported.count == 2 and exported.detail == "web"
        assert exported.address_enc is not None
        assert verify(db).ok


def test_only_staff_see_the_roster(instance, app):
    _staff_and_moderator(instance)
    moderator = app.test_client()
    sign_in(moderator, *MODERATOR)
    assert moderator.get("/app/staff/roster").status_code == 403
    assert moderator.get("/app/staff/roster.csv").status_code == 403
    anonymous = app.test_client()
    assert anonymous.get("/app/staff/roster.csv").status_code == 302
    assert "roster_exported" not in _actions(instance)
    assert "roster_viewed" not in _actions(instance)


def test_users_list_command_shows_disabled_accounts_and_exports_csv(instance):
    _staff_and_moderator(instance)
    ok(hiroba(instance.env, "disable-user", "--login", "mod-tester", "--reason", "退職"))
    listing = ok(hiroba(instance.env, "users", "list")).stdout.splitlines()
    assert listing[0].split("\t")[:2] == ["番号", "ログインID"]
    lines = {line.split("\t")[1]: line.split("\t") for line in listing[1:]}
    # Roles, the second factor and statuses are words, never the stored codes.
    assert lines["mod-tester"][3] == "運営" and lines["mod-tester"][7] == "利用停止"
    assert lines["ward-clerk"][3] == "区職員" and lines["ward-clerk"][7] == "利用中"
    assert lines["ward-clerk"][5] == "あり"
    exported = hiroba(instance.env, "users", "list", "--format", "csv")
    ok(exported)
    rows = _csv_rows(exported.stdout.encode())
    assert {row[1]: row[7] for row in rows[1:]} == {"mod-tester": "停止", "ward-clerk": ""}
    assert _actions(instance).count("roster_exported") == 1  # the CSV
    assert _actions(instance).count("roster_viewed") == 1  # the listing


def test_a_hand_over_is_added_on_the_ledger_page_audited(instance, app):
    _staff_and_moderator(instance)
    moderator = app.test_client()
    sign_in(moderator, *MODERATOR)
    assert moderator.get("/app/ledger").status_code == 200
    typed = {
        "on": "2026-12-01",
        "handler": "テスト運営",
        "content": "紙の参加申込書（12月の講座）",
        "quantity": "十",
        "recipient": "",
    }
    refused = submit(moderator, "/app/ledger", typed)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "数量は0以上の整数で入力してください" in html and "この項目は必須です" in html
    assert "紙の参加申込書（12月の講座）" in html  # what was typed stays
    assert submit(moderator, "/app/ledger", {**typed, "on": "12/1"}).status_code == 422

    done = submit(moderator, "/app/ledger", {**typed, "quantity": "12", "recipient": "区民活動課"})
    assert done.status_code == 302
    with instance.rt.sessions() as db:
        entry = db.scalars(select(LedgerEntry)).one()
        assert (entry.handler, entry.total, entry.recipient) == ("テスト運営", 12, "区民活動課")
        assert entry.action == "manual"
        added = db.scalars(select(AuditEntry).where(AuditEntry.action == "ledger_added")).one()
        assert added.target_id == entry.id and added.address_enc is not None
        assert verify(db).ok
    page = moderator.get("/app/ledger").get_data(as_text=True)
    assert "2026年12月1日" in page and "区民活動課" in page

    staff = app.test_client()
    sign_in(staff, *STAFF)
    rows = _csv_rows(staff.get("/app/ledger.csv").get_data())
    assert rows[0][3:5] == ["種類", "種類コード"]  # the word, and the code for machines
    assert rows[1][3:5] == ["サイトの外での受け渡し", "manual"]
    assert rows[1][1] == "2026-12-01 00:00" and rows[1][5] == "紙の参加申込書（12月の講座）"
    assert rows[1][6] == "12"
    assert "ledger_exported" in _actions(instance)


def test_residents_cannot_open_the_ledger(instance, app):
    from actors import open_group  # noqa: PLC0415

    open_group(instance)
    member = app.test_client()
    sign_in(member, "durable-group", "durable-password-1")
    assert member.get("/app/ledger").status_code == 403
    assert member.get("/app/ledger.csv").status_code == 403


def test_ledger_commands_add_and_list(instance):
    added = ok(
        hiroba(
            instance.env,
            "ledger",
            "add",
            "--date",
            "2026-11-30",
            "--handler",
            "事務局 山田",
            "--content",
            "返却用DVD（全データ）",
            "--quantity",
            "1",
            "--recipient",
            "区 地域振興課",
        )
    )
    assert "added ledger entry" in added.stdout
    bad = hiroba(
        instance.env, "ledger", "add", "--date", "30/11", "--handler", "x", "--content", "y",
        "--quantity", "1", "--recipient", "z",
    )  # fmt: skip
    assert "--date" in failed(bad, 2)
    bad = hiroba(
        instance.env, "ledger", "add", "--date", "2026-11-30", "--handler", " ", "--content",
        "y", "--quantity", "1", "--recipient", "z",
    )  # fmt: skip
    assert "--handler" in failed(bad, 2)
    listing = ok(hiroba(instance.env, "ledger", "list")).stdout.splitlines()
    assert len(listing) == 2
    line = listing[1].split("\t")
    assert listing[0].split("\t")[3] == "種類" and "種類コード" not in listing[0]
    assert line[2:7] == [
        "事務局 山田",
        "サイトの外での受け渡し",
        "返却用DVD（全データ）",
        "1",
        "区 地域振興課",
    ]
    assert line[1] == "2026-11-30 00:00"  # Japan time, as the CSV and the header say
    rows = _csv_rows(ok(hiroba(instance.env, "ledger", "list", "--format", "csv")).stdout.encode())
    assert rows[1][1] == "2026-11-30 00:00"
    assert _actions(instance).count("ledger_added") == 1
    assert _actions(instance).count("ledger_exported") == 1
    assert _actions(instance).count("ledger_viewed") == 1  # the listing
    ok(hiroba(instance.env, "audit", "verify"))
