"""The posts' moderation queue: waiting posts and edits of live posts, oldest first,
filtered by kind, state, age and poster, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, exists, select

from ..models import Account, Decision, Post, PostRevision, utcnow
from ..posts.models import POST_WAITING, PostStatus, RevisionStatus
from ..runtime import Runtime
from .decisions import Subject, seen_stamp
from .models import DecisionAction

PAGE_SIZE = 50
AnySelect = Select[*tuple[Any, ...]]  # a query of any row shape
# Queue states: a post never decided, one sent again after a rejection, an edit of a live post.
STATES = ("new", "resubmitted", "edit")


@dataclass(frozen=True)
class QueueFilter:
    """What the moderator asked to see."""

    kind: str = ""
    state: str = ""
    older_than_days: int | None = None
    poster: str = ""
    page: int = 1


@dataclass(frozen=True)
class QueueItem:
    """One waiting decision, as the queue lists it."""

    subject: Subject
    post_id: int
    kind: str
    state: str
    title: str
    poster: str
    received_at: datetime
    seen: str = ""  # a waiting post's version stamp (an edit's version is its own id)

    @property
    def age_days(self) -> int:
        """Whole days it has waited (0: less than a day)."""
        return max((utcnow() - self.received_at).days, 0)


@dataclass(frozen=True)
class QueuePage:
    """One page of the filtered queue, and how many items match in all."""

    items: list[QueueItem]
    total: int
    page: int
    pages: int


def _filtered(query: AnySelect, wanted: QueueFilter, received: Any) -> AnySelect:
    if wanted.kind:
        query = query.where(Post.kind == wanted.kind)
    if wanted.older_than_days is not None:
        query = query.where(received <= utcnow() - timedelta(days=wanted.older_than_days))
    if wanted.poster.strip():
        query = query.where(Account.public_name.icontains(wanted.poster.strip(), autoescape=True))
    return query


def _posts(wanted: QueueFilter) -> AnySelect:
    rejected_before = exists().where(
        Decision.subject_kind == "post",
        Decision.subject_id == Post.id,
        Decision.action == DecisionAction.REJECT,
    )
    query = (
        select(
            Post.id,
            Post.id,
            Post.kind,
            rejected_before,
            Post.title,
            Account.public_name,
            Post.created_at,
            Post.updated_at,
        )
        .join(Account, Account.id == Post.account_id)
        .where(Post.status.in_(POST_WAITING))
    )
    if wanted.state == "new":
        query = query.where(~rejected_before)
    elif wanted.state == "resubmitted":
        query = query.where(rejected_before)
    return _filtered(query, wanted, Post.created_at)


def _revisions(wanted: QueueFilter) -> AnySelect:
    query = (
        select(
            PostRevision.id,
            Post.id,
            Post.kind,
            PostRevision.status,
            Post.title,
            Account.public_name,
            PostRevision.created_at,
        )
        .join(Post, Post.id == PostRevision.post_id)
        .join(Account, Account.id == Post.account_id)
        .where(PostRevision.status == RevisionStatus.PENDING, Post.status == PostStatus.APPROVED)
    )
    return _filtered(query, wanted, PostRevision.created_at)


def post_queue(rt: Runtime, wanted: QueueFilter, page_size: int = PAGE_SIZE) -> QueuePage:
    """Return the page of the filtered queue the moderator asked for, oldest first."""
    rows: list[QueueItem] = []
    with rt.sessions() as session:
        if wanted.state in ("", "new", "resubmitted"):
            for sid, post_id, kind, again, title, poster, at, updated in session.execute(
                _posts(wanted)
            ):
                state = "resubmitted" if again else "new"
                subject = Subject("post", sid)
                stamp = seen_stamp(updated)
                rows.append(QueueItem(subject, post_id, kind, state, title, poster, at, stamp))
        if wanted.state in ("", "edit"):
            for sid, post_id, kind, _s, title, poster, at in session.execute(_revisions(wanted)):
                rows.append(
                    QueueItem(Subject("revision", sid), post_id, kind, "edit", title, poster, at)
                )
    rows.sort(key=lambda item: (item.received_at, item.subject.kind, item.subject.id))
    pages = max((len(rows) + page_size - 1) // page_size, 1)
    page = min(max(wanted.page, 1), pages)
    start = (page - 1) * page_size
    return QueuePage(rows[start : start + page_size], len(rows), page, pages)


def titles(rt: Runtime, subjects: list[Subject]) -> dict[Subject, str]:
    """Return the titles of the posts queue items are about (for reporting bulk failures)."""
    posts = [s.id for s in subjects if s.kind == "post"]
    revisions = [s.id for s in subjects if s.kind == "revision"]
    found: dict[Subject, str] = {}
    with rt.sessions() as session:
        for post_id, title in session.execute(
            select(Post.id, Post.title).where(Post.id.in_(posts))
        ):
            found[Subject("post", post_id)] = title
        for revision_id, title in session.execute(
            select(PostRevision.id, Post.title)
            .join(Post, Post.id == PostRevision.post_id)
            .where(PostRevision.id.in_(revisions))
        ):
            found[Subject("revision", revision_id)] = title
    return found
