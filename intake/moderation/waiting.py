"""The work waiting for moderators, counted per queue: one COUNT (and one MAX) per queue.

The moderation pages show these counts in their shared navigation, and the worker's
digest mail (intake/moderation/digest.py) reports the same numbers. Counts only: no name,
title or other text of what waits, so the numbers may go anywhere a moderator reads.

Overdue removal requests of stale content are not counted: telling one apart needs each
post's history (intake/site/stale.py), and a moderator asked for them in the first place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, null, select
from sqlalchemy.orm import Session

from ..accounts.models import ACCOUNT_WAITING, ChangeRequestStatus
from ..inquiries.models import InquiryStatus
from ..models import Account, ChangeRequest, Inquiry, Post, PostRevision
from ..posts.models import POST_WAITING, PostStatus, RevisionStatus
from ..runtime import Runtime
from ..validation import N_

# The queues, in the order the navigation and the digest list them: key to label (a msgid).
QUEUE_LABELS = {
    "posts": N_("審査待ちの投稿"),
    "revisions": N_("公開中の投稿の変更"),
    "registrations": N_("登録申請"),
    "changes": N_("登録情報変更申請"),
    "profiles": N_("公開プロフィールの変更"),
    "inquiries": N_("新しいお問い合わせ"),
}
REGISTRANTS = ("individual", "group")


@dataclass(frozen=True)
class WaitingWork:
    """How many items wait in each queue, and when the latest of them arrived."""

    counts: dict[str, int]
    latest: datetime | None = None  # None: nothing waits, or only what has no arrival time

    @property
    def total(self) -> int:
        """Every waiting item, all queues together."""
        return sum(self.counts.values())


def _queries() -> dict[str, tuple[Any, Any]]:
    """Return each queue's (condition, arrival time column); None: no arrival time kept."""
    return {
        "posts": (Post.status.in_(POST_WAITING), Post.updated_at),  # new, resubmitted, edited
        "revisions": (
            (PostRevision.status == RevisionStatus.PENDING) & (Post.status == PostStatus.APPROVED),
            PostRevision.created_at,
        ),
        "registrations": (
            Account.status.in_(ACCOUNT_WAITING) & Account.kind.in_(REGISTRANTS),
            Account.created_at,
        ),
        "changes": (ChangeRequest.status == ChangeRequestStatus.PENDING, ChangeRequest.created_at),
        "profiles": ((Account.kind == "group") & (Account.profile_pending != ""), None),
        "inquiries": (Inquiry.status == InquiryStatus.NEW, Inquiry.created_at),
    }


def count_waiting(session: Session) -> WaitingWork:
    """Count the waiting items of every queue in session."""
    counts: dict[str, int] = {}
    latest: list[datetime] = []
    for queue, (condition, arrived) in _queries().items():
        query = select(func.count(), null() if arrived is None else func.max(arrived))
        if queue == "revisions":
            query = query.select_from(PostRevision).join(Post, Post.id == PostRevision.post_id)
        row = session.execute(query.where(condition)).one()
        counts[queue] = int(row[0] or 0)
        if row[1] is not None:
            latest.append(row[1])
    return WaitingWork(counts, max(latest) if latest else None)


def waiting_work(rt: Runtime) -> WaitingWork:
    """Count the waiting items of every queue."""
    with rt.sessions() as session:
        return count_waiting(session)
