"""The first report of an incident (事故報告): what the audit log shows was touched.

`build` walks the audit entries since a day (Japan's), optionally only those of one
account or from one client address, and lists every record they name (kind and number,
which actions, how often, first and last time) and the people behind those records: the
accounts (with their persons), the applications and the inquiries. An export for the
return at the contract's end names all personal data; the report says so. Sign-ins and
sign-outs name no one's data: they are counted, not listed as touched records.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..formatting import dates
from ..models import Account, Application, AuditEntry, ChangeRequest, Person
from ..runtime import Runtime
from ..store import transaction
from . import audit
from .access import ADDRESS_CONTEXT, AccessKind, action_word

SESSION_ACTIONS = frozenset({AccessKind.SIGNIN, AccessKind.SIGNOUT, "signin_failed"})
# Actions on an event ("post" target) that read or used its applicants' personal data.
APPLICANT_ACTIONS = frozenset({"view_personal_data", "export_personal_data", "message_applicants"})


@dataclass
class TouchedRecord:
    """One record named by the matching entries."""

    kind: str
    id: int | None
    actions: Counter[str] = field(default_factory=Counter)
    first: datetime | None = None
    last: datetime | None = None


@dataclass
class IncidentReport:
    """What the audit log shows for one incident's scope."""

    since: date
    account_id: int | None
    address: str | None
    entries: int = 0
    sessions: Counter[str] = field(default_factory=Counter)
    records: dict[tuple[str, int | None], TouchedRecord] = field(default_factory=dict)
    accounts: dict[int, str] = field(default_factory=dict)  # id -> kind, with its persons
    persons: int = 0
    applications: set[int] = field(default_factory=set)
    inquiries: set[int] = field(default_factory=set)
    everything: bool = False  # an export of all personal data is among them


def normal_address(raw: str) -> str:
    """Return an IP address in one spelling (::ffff:a.b.c.d as a.b.c.d); ValueError if none."""
    parsed = ipaddress.ip_address(raw.strip())
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped:
        parsed = parsed.ipv4_mapped
    return str(parsed)


def _same_address(rt: Runtime, token: str | None, wanted: str) -> bool:
    opened = rt.vault.open(token, ADDRESS_CONTEXT) if token else None
    if not opened:
        return False
    try:
        return normal_address(opened) == wanted
    except ValueError:
        return False


def build(
    rt: Runtime,
    since: date,
    account_id: int | None = None,
    address: str | None = None,
    actor_id: int | None = None,
) -> IncidentReport:
    """Return the report (address given as an IP address), and audit that it was made."""
    wanted = normal_address(address) if address else None
    report = IncidentReport(since, account_id, wanted)
    start = dates.japan_day_start(since)
    with transaction(rt.sessions) as session:
        query = select(AuditEntry).where(AuditEntry.at >= start).order_by(AuditEntry.seq)
        if account_id is not None:
            query = query.where(AuditEntry.actor_id == account_id)
        for entry in session.scalars(query):
            if wanted is not None and not _same_address(rt, entry.address_enc, wanted):
                continue
            report.entries += 1
            if entry.action in SESSION_ACTIONS:
                report.sessions[entry.action] += 1
                continue
            if not entry.target_kind:
                continue
            key = (entry.target_kind, entry.target_id)
            record = report.records.setdefault(key, TouchedRecord(*key))
            record.actions[entry.action] += 1
            record.first = record.first or entry.at
            record.last = entry.at
        _people(session, report)
        scope = f"account={account_id or '-'} address={'yes' if wanted else '-'}"
        audit.record(
            session, actor_id, AccessKind.INCIDENT_REPORTED, "", None, report.entries, scope
        )
    return report


def _people(session: Session, report: IncidentReport) -> None:
    """Name the people behind the touched records (accounts, applications, inquiries)."""
    account_ids: set[int] = set()
    for (kind, target_id), record in report.records.items():
        if kind == "all":
            report.everything = True
        elif target_id is None:
            continue
        elif kind == "account":
            account_ids.add(target_id)
        elif kind == "change_request":
            owner = session.scalar(
                select(ChangeRequest.account_id).where(ChangeRequest.id == target_id)
            )
            if owner is not None:
                account_ids.add(int(owner))
        elif kind == "application":
            report.applications.add(target_id)
        elif kind == "inquiry":
            report.inquiries.add(target_id)
        elif kind == "post" and APPLICANT_ACTIONS.intersection(record.actions):
            # The applicants the event had when its data was last read or exported.
            found = session.scalars(
                select(Application.id).where(
                    Application.post_id == target_id, Application.created_at <= record.last
                )
            )
            report.applications.update(int(i) for i in found)
    if account_ids:
        rows = session.execute(
            select(Account.id, Account.kind).where(Account.id.in_(sorted(account_ids)))
        )
        report.accounts = {int(i): str(k) for i, k in rows}
        report.persons = int(
            session.scalar(
                select(func.count())
                .select_from(Person)
                .where(Person.account_id.in_(sorted(account_ids)))
            )
            or 0
        )


def render(report: IncidentReport) -> str:
    """Return the report as plain text (numbers and kinds, never names or addresses)."""
    lines = [
        f"Incident report: audit entries since {report.since.isoformat()} (Japan time)",
        f"  account: {('#' + str(report.account_id)) if report.account_id else 'any'}",
        f"  client address: {report.address or 'any'}",
        f"  matching entries: {report.entries}",
    ]
    for action, n in sorted(report.sessions.items()):
        lines.append(f"  {action_word(action)}: {n}")
    lines.append(f"Records touched ({len(report.records)}):")
    for (kind, target_id), record in sorted(
        report.records.items(), key=lambda item: (item[0][0], item[0][1] or 0)
    ):
        actions = ", ".join(f"{action_word(a)} x{n}" for a, n in sorted(record.actions.items()))
        first = dates.format_timestamp(record.first) if record.first else ""
        last = dates.format_timestamp(record.last) if record.last else ""
        name = f"{kind} #{target_id}" if target_id is not None else kind
        lines.append(f"  {name}: {actions} ({first} – {last} JST)")
    lines.append("People whose data was touched:")
    if report.everything:
        lines.append("  ALL personal data was exported (export for the return)")
    lines.append(
        f"  accounts: {len(report.accounts)}"
        + (
            " (" + ", ".join(f"#{i} {k}" for i, k in sorted(report.accounts.items())) + ")"
            if report.accounts
            else ""
        )
        + f", their persons: {report.persons}"
    )
    applications = ", ".join(f"#{i}" for i in sorted(report.applications))
    lines.append(f"  applications: {len(report.applications)} {applications}".rstrip())
    inquiries = ", ".join(f"#{i}" for i in sorted(report.inquiries))
    lines.append(f"  inquiries: {len(report.inquiries)} {inquiries}".rstrip())
    return "\n".join(lines)
