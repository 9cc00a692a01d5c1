"""The audit log: hash chain, tamper evidence, safe concurrent appends, the anomaly report."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

import pytest
from conftest import Instance
from personal_data import failed, hiroba, ok
from sqlalchemy import delete, select, text, update

from intake.accounts.services import create_staff
from intake.models import AuditEntry
from intake.oversight.report import Policy, build_report
from intake.protection import audit
from intake.store import transaction


def append(
    instance: Instance, n: int, actor: int | None = 7, action: str = "view_personal_data"
) -> None:
    for i in range(n):
        with transaction(instance.rt.sessions) as session:
            audit.record(session, actor, action, "account", i, count=1, detail=f"test {i}")


def verdict(instance: Instance) -> audit.Verdict:
    with instance.rt.sessions() as session:
        return audit.verify(session)


def test_an_intact_chain_verifies(instance: Instance) -> None:
    append(instance, 5)
    result = ok(hiroba(instance.env, "audit", "verify"))
    assert "監査ログは改ざんされていません: 5 件" in result.stdout
    with instance.rt.sessions() as db:
        entries = list(db.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == ""
    assert all(b.prev_hash == a.hash for a, b in zip(entries, entries[1:], strict=False))


def test_an_edited_entry_is_found(instance: Instance) -> None:
    append(instance, 5)
    with transaction(instance.rt.sessions) as db:
        db.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(count=999))
    message = failed(hiroba(instance.env, "audit", "verify"))
    assert "監査ログが改ざんされています" in message and "entry 3 was edited" in message
    assert verdict(instance).seq == 3


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(instance: Instance) -> None:
    append(instance, 5)
    with transaction(instance.rt.sessions) as db:
        entry = db.scalars(select(AuditEntry).where(AuditEntry.seq == 3)).one()
        entry.detail = "nothing to see"
        entry.hash = audit.entry_digest(entry)
    message = failed(hiroba(instance.env, "audit", "verify"))
    assert "entry 4 does not link" in message


def test_a_deleted_middle_entry_is_found(instance: Instance) -> None:
    append(instance, 5)
    with transaction(instance.rt.sessions) as db:
        db.execute(delete(AuditEntry).where(AuditEntry.seq == 3))
    message = failed(hiroba(instance.env, "audit", "verify"))
    assert "entry 3 is missing" in message


def test_deleted_last_entries_are_found(instance: Instance) -> None:
    append(instance, 5)
    with transaction(instance.rt.sessions) as db:
        db.execute(delete(AuditEntry).where(AuditEntry.seq >= 4))
    message = failed(hiroba(instance.env, "audit", "verify"))
    assert "entries 4–5 at the end are missing" in message


def test_concurrent_writers_never_fork_the_chain(instance: Instance) -> None:
    writers, each = 4, 8
    start = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(actor: int) -> None:
        try:
            start.wait()
            append(instance, each, actor=actor)
        except BaseException as exc:  # noqa: BLE001 - reported to the test below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    result = verdict(instance)
    assert result.ok, result.problem
    assert result.entries == writers * each
    with instance.rt.sessions() as db:
        hashes = db.scalars(select(AuditEntry.prev_hash)).all()
    assert len(set(hashes)) == len(hashes), "two entries follow the same predecessor"


MONDAY = date(2026, 11, 16)  # a Monday


def at_jst(day: date, hour: int, minute: int = 0) -> datetime:
    """Return the stored (UTC, naive) time of a JST wall-clock time."""
    return datetime(day.year, day.month, day.day, hour, minute) - timedelta(hours=9)


def add(instance: Instance, when: datetime, actor: int | None, action: str, count: int = 1):
    """Append an entry, then move it in time (the report does not check the chain)."""
    with transaction(instance.rt.sessions) as db:
        entry = audit.record(db, actor, action, "account", 1, count=count)
        db.flush()
        db.execute(update(AuditEntry).where(AuditEntry.id == entry.id).values(at=when))


@pytest.fixture
def busy_log(instance: Instance) -> tuple[Instance, int, int]:
    staff = create_staff(instance.rt, "staff", "ward-staff-1", "staff-password-1", "区職員A")
    moderator = create_staff(instance.rt, "moderator", "mod-report", "mod-password-11", "運営B")
    for minute in range(55):  # 55 single views in one hour: above the threshold of 50
        add(instance, at_jst(MONDAY, 10, minute), moderator, "view_personal_data")
    for minute in range(5):  # 5 views in the next hour: normal
        add(instance, at_jst(MONDAY, 11, minute), moderator, "view_personal_data")
    add(instance, at_jst(MONDAY, 14), staff, "export_personal_data", count=120)  # a bulk export
    add(instance, at_jst(MONDAY, 23, 30), staff, "view_personal_data")  # late at night
    add(instance, at_jst(MONDAY + timedelta(days=5), 10), staff, "view_personal_data")  # Saturday
    add(instance, at_jst(MONDAY, 2), moderator, "signin")  # signing in and out late at night
    add(instance, at_jst(MONDAY, 2, 5), moderator, "signout")  # reads nothing: no anomaly
    for minute in range(12):  # a burst of failed sign-ins
        add(instance, at_jst(MONDAY, 3, minute), None, "signin_failed")
    for minute in range(3):
        add(instance, at_jst(MONDAY, 15, minute), None, "signin_failed")
    add(instance, at_jst(MONDAY - timedelta(days=30), 10), staff, "view_personal_data")  # old
    return instance, staff, moderator


def test_report_summarises_and_flags_anomalies(busy_log: tuple[Instance, int, int]) -> None:
    instance, staff, moderator = busy_log
    with instance.rt.sessions() as db:
        report = build_report(db, MONDAY, Policy.from_settings(instance.settings))
    assert report.entries == 55 + 5 + 3 + 2 + 12 + 3 + 2  # and the two accounts' staff_created
    lines = {(line.actor_id, line.action): line for line in report.lines}
    assert lines[(moderator, "view_personal_data")].entries == 60
    assert lines[(staff, "export_personal_data")].records == 120
    assert lines[(None, "signin_failed")].entries == 15
    flagged = {(a.kind, a.actor_id, a.at.strftime("%a %H:%M"), a.count) for a in report.anomalies}
    assert flagged == {
        ("bulk", moderator, "Mon 10:00", 55),
        ("bulk", staff, "Mon 14:00", 120),
        ("off_hours", staff, "Mon 23:30", 1),
        ("off_hours", staff, "Sat 10:00", 1),
        ("signin_failures", None, "Mon 03:00", 12),
    }

    result = ok(hiroba(instance.env, "audit", "report", "--since", MONDAY.isoformat()))
    assert "anomalies: 5" in result.stdout
    assert "[大量の閲覧・出力] 2026-11-16 10:00 JST #" in result.stdout
    assert "運営 運営B" in result.stdout and " moderator " not in result.stdout
    assert "[ログイン失敗の集中] 2026-11-16 03:00 JST" in result.stdout
    assert "個人情報の閲覧" in result.stdout and "view_personal_data" not in result.stdout

    relaxed = ok(
        hiroba(
            instance.env,
            "audit",
            "report",
            "--since",
            MONDAY.isoformat(),
            HIROBA_OFFICE_HOURS="00:00-24:00",
            HIROBA_OFFICE_DAYS="mon-sun",
            HIROBA_AUDIT_BULK_THRESHOLD="500",
            HIROBA_AUDIT_SIGNIN_FAILURES="50",
        )
    )
    assert "anomalies: 0" in relaxed.stdout
    bad = hiroba(instance.env, "audit", "report", "--since", "16/11/2026")
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr
    wrong_hours = failed(
        hiroba(instance.env, "audit", "verify", HIROBA_OFFICE_HOURS="8-20"), code=2
    )
    assert "HIROBA_OFFICE_HOURS" in wrong_hours


def test_raw_sql_cannot_append_silently(instance: Instance) -> None:
    """An entry inserted behind the chain's back, with a plausible hash, is still found."""
    append(instance, 2)
    with transaction(instance.rt.sessions) as db:
        db.execute(
            text(
                "INSERT INTO audit_log (seq, at, actor_id, action, target_kind, count, detail,"
                " prev_hash, hash) VALUES (3, '2026-01-01 00:00:00', 1, 'view', '', 1, '', '', '')"
            )
        )
    assert not verdict(instance).ok
