"""The regular analysis of the audit log (issue 16): the monthly report is stored once and
mailed to every active staff account with an address, in its language; each new anomaly
(a bulk export, a broken chain) mails staff and the operator at once, once. Through the
reconciler's schedule function with its clock passed in, a real rq worker (burst), a real
SMTP server (aiosmtpd), on SQLite and PostgreSQL. The mails carry counts only."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from email.message import EmailMessage

import pytest
from accounts_support import client_for, reconfigure
from actors import make_staff, sign_in
from mailsink import MailSink, mailsink  # noqa: F401 - the fixture
from sqlalchemy import func, select, text

from intake.accounts.services import create_staff
from intake.accounts.signin import disable_account
from intake.models import AuditEntry, utcnow
from intake.office.records import AuditNotice
from intake.oversight.analysis import due_anomaly_alerts, due_monthly_report
from intake.oversight.models import NoticeKind
from intake.protection import audit
from intake.store import transaction
from intake.watching.checks import watch
from worker.schedule import schedule_audit

JA_ADDRESS = "audit-ja@example.test"
EN_ADDRESS = "audit-en@example.test"
OFF_ADDRESS = "audit-disabled@example.test"
MOD_ADDRESS = "audit-moderator@example.test"
OPERATOR = "office@example.test"
ALERT = "it-alerts@example.test"
SECRETS = ("監査職員", "Audit Clerk", "監査運営", "for the ward", "example.test")


@pytest.fixture(name="office")
def office_fixture(instance, mailsink: MailSink):  # type: ignore[no-untyped-def]  # noqa: F811
    """Mail to the test SMTP server; staff in Japanese and English with addresses, one
    disabled, a moderator with an address (not a staff member), and the operator."""
    reconfigure(
        instance,
        f'[operator]\nemail = "{OPERATOR}"\nalert_email = "{ALERT}"\ndigest_minutes = 0\n\n'
        "[publishing]\nnightly_build = false\n",
        HIROBA_SMTP_HOST=mailsink.host,
        HIROBA_SMTP_PORT=str(mailsink.port),
        HIROBA_MAIL_FROM="noreply@hiroba.example.jp",
        HIROBA_PUBLIC_URL="https://hiroba.example.jp",
    )
    rt = instance.rt
    create_staff(rt, "staff", "audit-ja", "audit-password-1", "監査職員", JA_ADDRESS)
    create_staff(rt, "staff", "audit-en", "audit-password-2", "Audit Clerk", EN_ADDRESS, "en")
    off = create_staff(rt, "staff", "audit-off", "audit-password-3", "停止職員", OFF_ADDRESS)
    disable_account(rt, None, off, "test")
    moderator = create_staff(
        rt, "moderator", "audit-mod", "audit-password-4", "監査運営", MOD_ADDRESS
    )
    return instance, mailsink, moderator


def _mails(sink: MailSink, *words: str) -> dict[str, list[EmailMessage]]:
    found: dict[str, list[EmailMessage]] = {}
    for message in sink.messages:
        subject = str(message["Subject"])
        if any(word in subject for word in words):
            found.setdefault(str(message["To"]), []).append(message)
    return found


def _text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def _no_personal_data(messages: list[EmailMessage]) -> None:
    for message in messages:
        body = _text(message)
        for secret in SECRETS:
            assert secret not in body, secret


def _next_month(now: datetime) -> tuple[datetime, str, int, int]:
    """Return the first moment of next month in Japan (naive UTC) and this month's key."""
    local = now + timedelta(hours=9)
    first = (local.replace(day=1) + timedelta(days=32)).replace(
        day=1, hour=0, minute=30, second=0, microsecond=0
    )
    return first - timedelta(hours=9), f"{local:%Y-%m}", local.year, local.month


def test_the_monthly_report_is_stored_once_and_mailed_to_staff_in_their_language(office) -> None:  # type: ignore[no-untyped-def]
    instance, sink, moderator = office
    # Any hour of any day is office time here: what this test records "now" is never an
    # anomaly, whenever it runs (the alerts' tests below flag late access on purpose).
    reconfigure(instance, HIROBA_OFFICE_HOURS="00:00-24:00", HIROBA_OFFICE_DAYS="mon-sun")
    with transaction(instance.rt.sessions) as db:
        audit.record(db, moderator, "export", "application", 1, count=3, detail="for the ward")
        audit.record(db, moderator, "decide_account", "account", 1, 0, "approve")
    later, month, year, number = _next_month(utcnow())
    schedule_audit(instance.rt, now=later)
    schedule_audit(instance.rt, now=later + timedelta(minutes=5))  # a second pass
    assert due_monthly_report(instance.rt, later) == []  # a second worker: nothing
    instance.worker_burst()

    ja_subject = f"【しんじゅく広場】{year}年{number}月の監査ログの報告ができました"
    en_subject = f"[しんじゅく広場] The audit report for {year}/{number} is ready"
    reports = _mails(sink, "監査ログの報告", "audit report")
    assert sorted(reports) == [EN_ADDRESS, JA_ADDRESS]  # not the disabled, not the moderator
    assert all(len(mails) == 1 for mails in reports.values())
    ja, en = reports[JA_ADDRESS][0], reports[EN_ADDRESS][0]
    assert str(ja["Subject"]) == ja_subject
    assert str(en["Subject"]) == en_subject
    assert f"https://hiroba.example.jp/app/staff/audit/{month}\n" in _text(ja)
    assert f"https://hiroba.example.jp/app/staff/audit/{month}?lang=en" in _text(en)
    with instance.rt.sessions() as db:  # the staff accounts' creation is logged too
        entries = db.scalar(select(func.count()).select_from(AuditEntry))
    assert f"記録 {entries} 件、注意が必要な記録 0 件" in _text(ja)
    assert f"{entries} entries, 0 needing attention" in _text(en)
    _no_personal_data([ja, en])
    with instance.rt.sessions() as db:
        kinds = db.scalars(select(AuditNotice.kind)).all()
        assert kinds.count(NoticeKind.REPORT) == 1

    # The staff page shows the stored counts, no names; an unknown month is a 404.
    make_staff(instance, "staff", "audit-viewer", "audit-viewer-password", "閲覧職員")
    client = client_for(instance)
    sign_in(client, "audit-viewer", "audit-viewer-password")
    page = client.get(f"/app/staff/audit/{month}").get_data(as_text=True)
    assert f"{year}年{number}月の監査ログの報告" in page
    # Actions as words: "export" is no action the code records, so it is "other".
    assert "<td>その他の操作</td><td>1</td>" in page and "<td>登録の審査</td><td>1</td>" in page
    assert "decide_account" not in page
    assert "監査運営" not in page
    assert f"/app/staff/audit/{month}" in client.get("/app/staff").get_data(as_text=True)
    assert client.get("/app/staff/audit/1999-01").status_code == 404
    assert client.get("/app/staff/audit/latest").status_code == 404


def test_a_bulk_export_mails_staff_and_the_operator_once(office) -> None:  # type: ignore[no-untyped-def]
    instance, sink, moderator = office
    with transaction(instance.rt.sessions) as db:
        audit.record(db, moderator, "export", "application", 1, count=80, detail="for the ward")
    schedule_audit(instance.rt, every=True)
    schedule_audit(instance.rt, every=True)  # the next pass: already told
    assert due_anomaly_alerts(instance.rt) == []  # another worker: nothing
    instance.worker_burst()

    alerts = _mails(sink, "大量の閲覧・出力", "Bulk")
    assert sorted(alerts) == sorted([EN_ADDRESS, OPERATOR, JA_ADDRESS])
    assert all(len(mails) == 1 for mails in alerts.values())
    ja = _text(alerts[JA_ADDRESS][0])
    assert f"利用者: #{moderator} 運営" in ja and "件数: 80" in ja
    assert "https://hiroba.example.jp/app/staff\n" in ja
    assert str(alerts[OPERATOR][0]["Subject"]) == "【しんじゅく広場 注意】大量の閲覧・出力"
    assert "Count: 80" in _text(alerts[EN_ADDRESS][0])
    _no_personal_data([m for mails in alerts.values() for m in mails])
    with instance.rt.sessions() as db:
        assert (
            db.scalar(
                select(func.count())
                .select_from(AuditNotice)
                .where(AuditNotice.kind == NoticeKind.BULK)
            )
            == 1
        )


def test_a_broken_chain_mails_staff_and_the_operator_once_per_incident(office) -> None:  # type: ignore[no-untyped-def]
    instance, sink, moderator = office
    with transaction(instance.rt.sessions) as db:
        entry = audit.record(db, moderator, "decide_account", "account", 1, 0, "approve")
    with transaction(instance.rt.sessions) as db:  # someone edits the audit trail
        db.execute(text("UPDATE audit_log SET count = 5 WHERE seq = :seq"), {"seq": entry.seq})
    schedule_audit(instance.rt, every=True)  # no incident yet: the watch finds it
    assert _mails(sink, "改ざん", "tampered") == {}
    watch(instance.rt)  # `hiroba watch` opens the incident and alerts [operator] alert_email
    schedule_audit(instance.rt, every=True)
    schedule_audit(instance.rt, every=True)
    watch(instance.rt)
    instance.worker_burst()

    chain = _mails(sink, "改ざん", "tampered")
    # The watch's own alert to alert_email, and one mail to each staff member and the
    # operator: once, however many passes.
    assert sorted(chain) == sorted([ALERT, EN_ADDRESS, JA_ADDRESS, OPERATOR])
    assert all(len(mails) == 1 for mails in chain.values())
    assert "hiroba audit verify" in _text(chain[JA_ADDRESS][0])
    assert "hiroba audit verify" in _text(chain[EN_ADDRESS][0])
    _no_personal_data(chain[JA_ADDRESS] + chain[EN_ADDRESS] + chain[OPERATOR])


def test_no_second_chain_mail_to_the_watchs_address(instance, mailsink: MailSink) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    reconfigure(
        instance,
        f'[operator]\nemail = "{OPERATOR}"\nalert_email = "{OPERATOR}"\ndigest_minutes = 0\n',
        HIROBA_SMTP_HOST=mailsink.host,
        HIROBA_SMTP_PORT=str(mailsink.port),
    )
    create_staff(instance.rt, "staff", "audit-ja", "audit-password-1", "監査職員", JA_ADDRESS)
    with transaction(instance.rt.sessions) as db:
        entry = audit.record(db, None, "export", "post", 1, count=2)
    with transaction(instance.rt.sessions) as db:
        db.execute(text("UPDATE audit_log SET count = 1 WHERE seq = :seq"), {"seq": entry.seq})
    watch(instance.rt)
    schedule_audit(instance.rt, every=True)
    instance.worker_burst()
    chain = _mails(mailsink, "改ざん")
    assert sorted(chain) == sorted([JA_ADDRESS, OPERATOR])
    assert all(len(mails) == 1 for mails in chain.values())  # the watch's alert only


def test_two_running_workers_mail_the_report_and_an_anomaly_once(office) -> None:  # type: ignore[no-untyped-def]
    """Two long-running workers (two hosts), each with its reconciler and the real clock."""
    instance, sink, moderator = office
    with transaction(instance.rt.sessions) as db:
        audit.record(db, moderator, "export", "application", 1, count=90, detail="for the ward")
    instance.env["HIROBA_TASK_LEASE_SECONDS"] = "120"  # see test_moderator_digest
    workers = [instance.start_worker(), instance.start_worker()]
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (
            len(_mails(sink, "監査ログの報告", "audit report")) < 2
            or len(_mails(sink, "大量の閲覧・出力", "Bulk")) < 3
        ):
            time.sleep(0.2)
        instance.wait_for_reconciler_passes(processes=2, more=3)  # both workers' reconcilers
    finally:
        for worker in workers:
            instance.kill_group(worker)
    reports = _mails(sink, "監査ログの報告", "audit report")
    assert sorted(reports) == [EN_ADDRESS, JA_ADDRESS]
    alerts = _mails(sink, "大量の閲覧・出力", "Bulk")
    assert sorted(alerts) == sorted([EN_ADDRESS, JA_ADDRESS, OPERATOR])
    assert all(len(mails) == 1 for mails in [*reports.values(), *alerts.values()])
    with instance.rt.sessions() as db:
        kinds = list(db.scalars(select(AuditNotice.kind)))
    assert kinds.count(NoticeKind.REPORT) == 1 and kinds.count(NoticeKind.BULK) == 1
