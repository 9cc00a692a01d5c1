"""Emergency takedown (緊急非公開): a moderator unpublishes a live item at once, with a reason.

The post's status becomes ``taken_down`` with the time and the reason (the poster sees it
on their page and by mail), the decision and an audit entry are written, and the publish
task is put at the front of the queue; the publish job then asks for a rebuild at the
front too, so the item leaves the live site before any other waiting work is done.
"""

from __future__ import annotations

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from .. import jobs, outbox
from ..errors import NotFound
from ..models import Post, PostRevision, utcnow
from ..moderation.models import DecisionAction
from ..moderation.records import record_decision
from ..posts import edit_files as post_edit_files
from ..posts.models import POST_LIVE, PostStatus, RevisionStatus
from ..posts.services import lock_post
from ..protection import audit
from ..runtime import Runtime
from ..store import transaction
from ..uploads.erasure import remove_folders

LIST_LIMIT = 200


def live_posts(rt: Runtime, query: str = "", limit: int = LIST_LIMIT) -> list[Post]:
    """Return live posts, newest first, whose title contains query or whose id is query."""
    words = query.strip()
    statement = select(Post).where(Post.status.in_(POST_LIVE))
    if words:
        match = Post.title.icontains(words, autoescape=True)
        if words.isdigit():
            match = or_(match, Post.id == int(words))
        statement = statement.where(match)
    with rt.sessions() as session:
        posts = list(session.scalars(statement.order_by(Post.id.desc()).limit(limit)))
        for post in posts:
            _ = post.account.public_name  # loaded for the list after the session closes
        return posts


def live_post(rt: Runtime, post_id: int) -> Post:
    """Return any post with its organizer loaded, for the moderator's page about it."""
    with rt.sessions() as session:
        post = session.get(Post, post_id)
        if post is None:
            raise NotFound(f"post {post_id}")
        _ = post.account.public_name
        return post


def lock_live_post(session: Session, post_id: int) -> Post:
    """Return a live post locked for update, or raise NotFound / InvalidTransition."""
    return lock_post(session, post_id, POST_LIVE)


def close_pending_edits(session: Session, post_id: int) -> list[str]:
    """Close a post's edits under review once it leaves the site: there is nothing to edit.

    Their new, never-published files are erased: the rows here, the folders by the caller
    after its commit (remove_folders) or else by the hourly orphan sweep. Returns the tokens.
    """
    pending = session.scalars(
        select(PostRevision.id).where(
            PostRevision.post_id == post_id, PostRevision.status == RevisionStatus.PENDING
        )
    )
    tokens = post_edit_files.drop_proposed(session, list(pending))
    session.execute(
        update(PostRevision)
        .where(PostRevision.post_id == post_id, PostRevision.status == RevisionStatus.PENDING)
        .values(status=RevisionStatus.CLOSED, decided_at=utcnow())
    )
    return tokens


def take_down(rt: Runtime, moderator_id: int, post_id: int, reason: str) -> None:
    """Unpublish a live post now: record why, owe its removal first in line and a mail."""
    reason = reason.strip()
    if not reason:
        raise ValueError("a takedown needs a reason")
    with transaction(rt.sessions) as session:
        post = lock_live_post(session, post_id)
        post.status = PostStatus.TAKEN_DOWN
        post.taken_down_at = utcnow()
        post.takedown_reason = reason
        erase = close_pending_edits(session, post_id)
        record_decision(session, moderator_id, "post", post_id, DecisionAction.TAKEDOWN, reason)
        audit.record(session, moderator_id, "takedown_post", "post", post_id, detail="緊急非公開")
        publish = outbox.add_task(session, jobs.PUBLISH_POST, post_id)
        notice = outbox.add_task(session, jobs.SEND_TAKEDOWN_NOTICE, post_id)
    remove_folders(rt.settings, erase)
    outbox.enqueue_tasks(rt.queue, [publish], at_front=True)
    outbox.enqueue_tasks(rt.queue, [notice])
