"""The regular analysis of the audit log: the monthly report and the anomaly alerts.

The reconciler asks here on each pass (worker/schedule.py `schedule_audit`).

- The monthly report: on the first pass of a month (Japan time), the previous month's
  report (intake/oversight/report.py) is stored as one `audit_notices` row keyed
  "report:YYYY-MM" with the entries per action and the anomalies per kind (counts and
  kinds only), and each active staff account with an address is owed a mail saying it is
  ready, with the link to /app/staff/audit/YYYY-MM.
- The anomaly alerts: the anomalies since yesterday (JST) are looked up; each new one,
  keyed by kind, actor and hour, becomes a row and a mail to every active staff account
  with an address and to the operator (`[operator] email`). A broken audit chain is the
  `audit` incident `hiroba watch` opens (intake/watching/): it is mailed to staff (and to
  the operator unless `[operator] alert_email`, which the watch's own alert reaches,
  already names that address) once per incident.

Every key is unique, so two workers deciding at once record and mail one notice: the
other's insert fails and it sends nothing. Mails are tasks on `audit_mails` rows: ids only.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..accounts.models import AccountStatus
from ..errors import StoreUnavailable
from ..formatting import dates
from ..jobs import SEND_AUDIT_NOTICE
from ..models import Account, Person, Task, utcnow
from ..office.records import AuditMail, AuditNotice
from ..outbox import add_task
from ..runtime import Runtime
from ..store import transaction
from ..watching.incidents import Kind, open_incidents
from .models import NoticeKind
from .report import Anomaly, Policy, build_report, utc_start

ANOMALY_KINDS = {
    "bulk": NoticeKind.BULK,
    "off_hours": NoticeKind.OFF_HOURS,
    "signin_failures": NoticeKind.SIGNIN_FAILURES,
}


def staff_recipients(session: Session) -> list[int]:
    """Return the ids of the active staff accounts that have a mail address."""
    return list(
        session.scalars(
            select(Account.id)
            .where(Account.kind == "staff", Account.status == AccountStatus.ACTIVE)
            .where(Account.persons.any(Person.email_enc.is_not(None)))
            .order_by(Account.id)
        )
    )


def month_key(month: date) -> str:
    """Return a month's key, "2026-11", as URLs and notices name it."""
    return f"{month.year:04d}-{month.month:02d}"


def previous_month(now: datetime) -> date:
    """Return the first day of the month before now's (naive UTC) month in Japan."""
    local = dates.japan_time(now).date()
    return (local.replace(day=1) - timedelta(days=1)).replace(day=1)


def _record(rt: Runtime, notice: AuditNotice, operator: bool) -> list[Task]:
    """Store a notice and its mail tasks together; [] when another worker stored it first."""
    try:
        with transaction(rt.sessions) as session:
            if session.scalar(select(AuditNotice.id).where(AuditNotice.key == notice.key)):
                return []
            session.add(notice)
            session.flush()
            mails = [
                AuditMail(notice_id=notice.id, account_id=a) for a in staff_recipients(session)
            ]
            if operator:
                mails.append(AuditMail(notice_id=notice.id, account_id=None))
            session.add_all(mails)
            session.flush()
            return [add_task(session, SEND_AUDIT_NOTICE, mail.id) for mail in mails]
    except StoreUnavailable as exc:
        if isinstance(exc.__cause__, IntegrityError):
            return []  # another worker recorded this notice a moment earlier
        raise


def due_monthly_report(rt: Runtime, now: datetime | None = None) -> list[Task]:
    """Store last month's report and its mail tasks unless it is stored; return the tasks."""
    month = previous_month(now or utcnow())
    key = f"{NoticeKind.REPORT}:{month_key(month)}"
    with rt.sessions() as session:
        if session.scalar(select(AuditNotice.id).where(AuditNotice.key == key)):
            return []
        end = (month + timedelta(days=32)).replace(day=1)
        report = build_report(session, month, Policy.from_settings(rt.settings), until=end)
    actions: Counter[str] = Counter()
    for line in report.lines:
        actions[line.action] += line.entries
    anomalies = Counter(a.kind for a in report.anomalies)
    summary = {"entries": report.entries, "actions": actions, "anomalies": anomalies}
    notice = AuditNotice(
        key=key,
        kind=NoticeKind.REPORT,
        at=utc_start(month),
        summary=json.dumps(summary, ensure_ascii=False, sort_keys=True),
    )
    return _record(rt, notice, operator=False)


def _anomaly_notice(anomaly: Anomaly) -> AuditNotice:
    hour = anomaly.at.replace(minute=0, second=0, microsecond=0)
    actor = anomaly.actor_id if anomaly.actor_id is not None else 0
    kind = ANOMALY_KINDS[anomaly.kind]
    summary = {"count": anomaly.count, "actor_id": anomaly.actor_id}
    return AuditNotice(
        key=f"{kind}:{actor}:{hour.strftime('%Y-%m-%dT%H')}",
        kind=kind,
        at=hour.astimezone(UTC).replace(tzinfo=None),
        summary=json.dumps(summary),
    )


def _operator_needs_chain_mail(rt: Runtime) -> bool:
    """Tell whether the operator's address is not already among the watch's alert addresses."""
    address = rt.settings.deployment.operator.email
    return bool(address) and address not in rt.settings.deployment.alert_email


def due_anomaly_alerts(rt: Runtime, now: datetime | None = None) -> list[Task]:
    """Record each anomaly not yet told (since yesterday, JST) with its mail tasks; return
    the tasks."""
    moment = now or utcnow()
    since = dates.japan_time(moment).date() - timedelta(days=1)
    with rt.sessions() as session:
        report = build_report(session, since, Policy.from_settings(rt.settings))
        told = set(
            session.scalars(select(AuditNotice.key).where(AuditNotice.at >= utc_start(since)))
        )
    operator = bool(rt.settings.deployment.operator.email)
    tasks: list[Task] = []
    for anomaly in report.anomalies:
        notice = _anomaly_notice(anomaly)
        if notice.key not in told:
            tasks += _record(rt, notice, operator)
    for incident in open_incidents(rt.settings, rt.redis):
        if incident.kind != Kind.AUDIT:
            continue
        notice = AuditNotice(
            key=f"{NoticeKind.CHAIN}:{incident.opened_at.isoformat(timespec='seconds')}",
            kind=NoticeKind.CHAIN,
            at=incident.opened_at,
            summary="{}",
        )
        tasks += _record(rt, notice, _operator_needs_chain_mail(rt))
    return tasks


def monthly_reports(session: Session) -> list[AuditNotice]:
    """Return the stored monthly reports, newest first."""
    return list(
        session.scalars(
            select(AuditNotice)
            .where(AuditNotice.kind == NoticeKind.REPORT)
            .order_by(AuditNotice.at.desc())
        )
    )


def monthly_report(session: Session, month: str) -> AuditNotice | None:
    """Return the stored report of a month ("2026-11"), or None."""
    return session.scalar(
        select(AuditNotice).where(AuditNotice.key == f"{NoticeKind.REPORT}:{month}")
    )
