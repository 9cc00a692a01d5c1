"""The work waiting for moderators, counted per queue: one COUNT (and one MAX) per queue.

The moderation pages show these counts in their shared navigation, and the worker's
digest mail (intake/moderation/digest.py) reports the same numbers. Counts only: no name,
title or other text of what waits, so the numbers may go anywhere a moderator reads.

Overdue removal requests of stale content are not counted: telling one apart needs each
post's history (intake/site/stale.py), and a moderator asked for them in the first place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
    oldest: dict[str, datetime | None] = field(default_factory=dict)  # per queue: the first arrival

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
    oldest: dict[str, datetime | None] = {}
    latest: list[datetime] = []
    for queue, (condition, arrived) in _queries().items():
        times = (null(), null()) if arrived is None else (func.min(arrived), func.max(arrived))
        query = select(func.count(), *times)
        if queue == "revisions":
            query = query.select_from(PostRevision).join(Post, Post.id == PostRevision.post_id)
        count, first, last = session.execute(query.where(condition)).one()
        counts[queue] = int(count or 0)
        oldest[queue] = first
        if last is not None:
            latest.append(last)
    return WaitingWork(counts, max(latest) if latest else None, oldest)


def waiting_posts_by_kind(session: Session) -> dict[str, tuple[int, datetime | None]]:
    """Split the posts queue by kind: each kind's (count, first arrival)."""
    condition, arrived = _queries()["posts"]
    rows = session.execute(
        select(Post.kind, func.count(), func.min(arrived)).where(condition).group_by(Post.kind)
    ).all()
    return {kind: (int(count), first) for kind, count, first in rows}


def waiting_work(rt: Runtime) -> WaitingWork:
    """Count the waiting items of every queue."""
    with rt.sessions() as session:
        return count_waiting(session)
