"""The words inquiries and their threads are stored with (tables: intake/models.py)."""

from __future__ import annotations

from enum import StrEnum

from ..validation import N_


class InquiryStatus(StrEnum):
    """Where one inquiry to the operator stands: `inquiries.status`."""

    NEW = "received"  # 新規: nobody has taken it up yet
    IN_PROGRESS = "in_progress"  # 対応中
    DONE = "done"  # 完了


class EntryKind(StrEnum):
    """One entry of an inquiry's thread: `inquiry_entries.kind`."""

    NOTE = "note"  # internal: moderators only, never sent
    REPLY = "reply"  # mailed to the person who asked


class ReplyState(StrEnum):
    """Whether a reply has gone out: `inquiry_entries.mail_state` (None for a note)."""

    PENDING = "pending"  # owed to the worker
    SENT = "sent"
    SKIPPED = "skipped"  # no address or no mail server: not sent, as the thread says


# The categories of the contact form, in the order shown: key (stored) to label (a msgid).
CATEGORIES = {
    "account": N_("登録・ログイン"),
    "posting": N_("投稿・イベント"),
    "applying": N_("申込み"),
    "privacy": N_("個人情報"),
    "other": N_("その他"),
}
STATUS_LABELS: dict[str, str] = {
    InquiryStatus.NEW: N_("新規"),
    InquiryStatus.IN_PROGRESS: N_("対応中"),
    InquiryStatus.DONE: N_("完了"),
}
