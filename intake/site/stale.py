"""Old content: past events are archived, and posters are asked to remove stale items.

Archiving is automatic: the worker's periodic job (worker/jobs/site.py) takes every live
event or recruitment whose last date ended more than ``[content] archive_after_days`` ago
off the site (status ``archived``); the poster still sees it as アーカイブ済み.

A removal request (古い情報の削除依頼) is a moderator's: the poster is told why, by mail and
on their page, and has ``[content] stale_deadline_days`` to update or withdraw the item.
Past the deadline, a request the poster did not answer is *overdue*; a moderator removes
overdue items with one button on the list of requests (status ``removed``). Removal is
left to a person on purpose: a poster may have answered in another way (a phone call).
Every step is a Decision (when a moderator made it) and an audit entry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from .. import jobs, outbox
from ..formatting import dates
from ..models import Post, PostRevision, utcnow
from ..moderation.models import DecisionAction
from ..moderation.records import record_decision
from ..posts.models import POST_LIVE, PostStatus
from ..protection import audit
from ..runtime import Runtime
from ..store import transaction
from ..uploads.erasure import remove_folders
from .takedown import close_pending_edits, lock_live_post

DATED_KINDS = ("event", "recruitment")


def now_jst() -> datetime:
    """Return the current time in Japan, naive like the event times stored."""
    return dates.japan_time(utcnow()).replace(tzinfo=None)


def last_end(post: Post) -> datetime | None:
    """Return when a post's last date is over: the latest occurrence's end, or its own."""
    moments = [m for m in (post.ends_at, post.starts_at) if m is not None]
    try:
        for start, end in json.loads(post.occurrences or "[]"):
            moments.append(datetime.fromisoformat(end or start))
    except (ValueError, TypeError):
        pass  # a damaged expansion: the post's own dates still count
    return max(moments) if moments else None


def archive_past(rt: Runtime, now: datetime | None = None) -> list[int]:
    """Archive every live dated post over for more than the configured days; return ids."""
    days = rt.settings.deployment.archive_after_days
    cutoff = (now or now_jst()) - timedelta(days=days)
    held = func.coalesce(Post.ends_at, Post.starts_at)
    with rt.sessions() as session:
        candidates = list(
            session.scalars(
                select(Post.id).where(
                    Post.status.in_(POST_LIVE), Post.kind.in_(DATED_KINDS), held < cutoff
                )
            )
        )
    archived = []
    for post_id in candidates:
        with transaction(rt.sessions) as session:
            post = session.get(Post, post_id, with_for_update=True)
            end = last_end(post) if post is not None else None
            if post is None or post.status not in POST_LIVE or end is None or end >= cutoff:
                continue  # changed meanwhile, or a later occurrence keeps it on the site
            post.status = PostStatus.ARCHIVED
            post.archived_at = utcnow()
            erase = close_pending_edits(session, post_id)
            audit.record(session, None, "archive_post", "post", post_id, detail=f"{days}日経過")
            task = outbox.add_task(session, jobs.PUBLISH_POST, post_id)
        remove_folders(rt.settings, erase)
        outbox.enqueue_tasks(rt.queue, [task])
        archived.append(post_id)
    return archived


def request_removal(
    rt: Runtime, moderator_id: int, post_id: int, reason: str, now: datetime | None = None
) -> datetime:
    """Ask a live post's poster to update or withdraw it; return the deadline."""
    reason = reason.strip()
    if not reason:
        raise ValueError("a removal request needs a reason")
    at = now or utcnow()
    deadline = at + timedelta(days=rt.settings.deployment.stale_deadline_days)
    with transaction(rt.sessions) as session:
        post = lock_live_post(session, post_id)
        post.stale_requested_at, post.stale_deadline, post.stale_reason = at, deadline, reason
        record_decision(
            session, moderator_id, "post", post_id, DecisionAction.STALE_REQUEST, reason
        )
        audit.record(session, moderator_id, "request_stale_removal", "post", post_id)
        task = outbox.add_task(session, jobs.SEND_STALE_REQUEST, post_id)
    outbox.enqueue_tasks(rt.queue, [task])
    return deadline


@dataclass
class StaleRequest:
    """One open removal request as the moderators' list shows it."""

    post: Post
    organizer: str
    answered: bool  # the poster edited the post (or proposed an edit) after the request
    overdue: bool  # past the deadline and not answered: a moderator may remove it


def _answered(session: Session, post: Post) -> bool:
    """Return whether the poster acted on the request: an edit of the post since then."""
    asked = post.stale_requested_at
    if asked is None:
        return False
    if post.updated_at is not None and post.updated_at > asked:
        return True
    revised = select(PostRevision.id).where(
        PostRevision.post_id == post.id, PostRevision.created_at > asked
    )
    return bool(session.scalar(select(exists(revised))))


def open_requests(rt: Runtime, now: datetime | None = None) -> list[StaleRequest]:
    """Return the live posts with a removal request, overdue ones first, then by deadline."""
    at = now or utcnow()
    with rt.sessions() as session:
        posts = session.scalars(
            select(Post)
            .where(Post.status.in_(POST_LIVE), Post.stale_requested_at.is_not(None))
            .order_by(Post.stale_deadline, Post.id)
        )
        rows = []
        for post in posts:
            answered = _answered(session, post)
            overdue = not answered and post.stale_deadline is not None and post.stale_deadline < at
            rows.append(StaleRequest(post, post.account.public_name, answered, overdue))
    return sorted(rows, key=lambda row: not row.overdue)


def remove_overdue(
    rt: Runtime, moderator_id: int, post_ids: list[int], now: datetime | None = None
) -> list[int]:
    """Remove the given posts whose request is overdue and unanswered; return those removed."""
    at = now or utcnow()
    removed = []
    for post_id in post_ids:
        with transaction(rt.sessions) as session:
            post = session.get(Post, post_id, with_for_update=True)
            if (
                post is None
                or post.status not in POST_LIVE
                or post.stale_deadline is None
                or post.stale_deadline >= at
                or _answered(session, post)
            ):
                continue
            post.status = PostStatus.REMOVED
            erase = close_pending_edits(session, post_id)
            record_decision(
                session,
                moderator_id,
                "post",
                post_id,
                DecisionAction.REMOVE_STALE,
                post.stale_reason,
            )
            audit.record(session, moderator_id, "remove_stale_post", "post", post_id)
            task = outbox.add_task(session, jobs.PUBLISH_POST, post_id)
        remove_folders(rt.settings, erase)
        outbox.enqueue_tasks(rt.queue, [task])
        removed.append(post_id)
    return removed
