"""The words audit notices are stored with (tables: intake/office/records.py AuditNotice)."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from ..validation import N_


class NoticeKind(StrEnum):
    """What one `audit_notices` row is: the monthly report, or an anomaly staff were told of."""

    REPORT = "report"  # the previous month's audit report is ready
    BULK = "bulk"  # many records viewed or exported in one hour
    OFF_HOURS = "off_hours"  # access to personal data outside office hours
    SIGNIN_FAILURES = "signin_failures"  # a burst of failed sign-ins in one hour
    CHAIN = "chain"  # the audit log's hash chain is broken (a `hiroba watch` incident)


# Each kind's word for people (a msgid): pages, mails and `hiroba audit report` show these.
NOTICE_WORDS: dict[str, str] = {
    NoticeKind.REPORT: N_("月ごとの監査ログの報告"),
    NoticeKind.BULK: N_("大量の閲覧・出力"),
    NoticeKind.OFF_HOURS: N_("業務時間外のアクセス"),
    NoticeKind.SIGNIN_FAILURES: N_("ログイン失敗の集中"),
    NoticeKind.CHAIN: N_("監査ログの改ざんを検出しました"),
}
OTHER_NOTICE = N_("その他の注意")


def notice_word(kind: str, translate: Callable[[str], str] = str) -> str:
    """Return an anomaly's or notice's word for people (through translate), never its code."""
    return translate(NOTICE_WORDS.get(kind, OTHER_NOTICE))
