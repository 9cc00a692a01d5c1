"""The words audit notices are stored with (tables: intake/office/records.py AuditNotice)."""

from __future__ import annotations

from enum import StrEnum


class NoticeKind(StrEnum):
    """What one `audit_notices` row is: the monthly report, or an anomaly staff were told of."""

    REPORT = "report"  # the previous month's audit report is ready
    BULK = "bulk"  # many records viewed or exported in one hour
    OFF_HOURS = "off_hours"  # access to personal data outside office hours
    SIGNIN_FAILURES = "signin_failures"  # a burst of failed sign-ins in one hour
    CHAIN = "chain"  # the audit log's hash chain is broken (a `hiroba watch` incident)
