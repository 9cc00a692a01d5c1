"""Operator notices (運営からのお知らせ): a moderator writes, edits and withdraws them.

A notice is a post of kind "notice" marked `from_operator`, written by a moderator under
their own account. Writing it is its approval (a moderator's own notice needs no second
review), so it is stored approved and audited, and the same publish task as any approved
post puts it on the site: its page, the home page's section, the notices' lists and feeds.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import jobs, outbox
from ..errors import NotFound
from ..models import Post, Task, utcnow
from ..posts.models import POST_LIVE, PostStatus
from ..posts.services import lock_post
from ..protection import audit
from ..runtime import Runtime
from ..store import transaction

KIND = "notice"


@dataclass
class NoticeText:
    """What an operator notice says: its title, a one-paragraph summary, the Markdown body."""

    title: str
    summary: str
    body: str = ""


def notices(rt: Runtime) -> list[Post]:
    """Return every operator notice, newest first (live ones and withdrawn ones)."""
    with rt.sessions() as session:
        return list(
            session.scalars(
                select(Post)
                .where(Post.from_operator.is_(True), Post.kind == KIND)
                .order_by(Post.id.desc())
            )
        )


def notice(rt: Runtime, post_id: int) -> Post:
    """Return one operator notice, or raise NotFound (any other post is not one)."""
    with rt.sessions() as session:
        post = session.get(Post, post_id)
        if post is None or not post.from_operator:
            raise NotFound(f"notice {post_id}")
        return post


def _lock_notice(session: Session, post_id: int) -> Post:
    post = lock_post(session, post_id, POST_LIVE)
    if not post.from_operator:
        raise NotFound(f"notice {post_id}")
    return post


def _publish(session: Session, post_id: int) -> list[Task]:
    return [outbox.add_task(session, jobs.PUBLISH_POST, post_id)]


def write(rt: Runtime, moderator_id: int, text: NoticeText) -> int:
    """Store a new operator notice as approved, audit it, owe its publication; return its id."""
    now = utcnow()
    with transaction(rt.sessions) as session:
        post = Post(
            account_id=moderator_id,
            kind=KIND,
            status=PostStatus.APPROVED,
            title=text.title,
            summary=text.summary,
            body=text.body,
            from_operator=True,
            created_at=now,
            updated_at=now,
            approved_at=now,
        )
        session.add(post)
        session.flush()
        audit.record(
            session, moderator_id, "write_notice", "post", post.id, 0, "運営からのお知らせ"
        )
        tasks = _publish(session, post.id)
        post_id = post.id
    outbox.enqueue_tasks(rt.queue, tasks)
    return post_id


def edit(rt: Runtime, moderator_id: int, post_id: int, text: NoticeText) -> None:
    """Change a live operator notice's text (any moderator may), audit it, republish it."""
    with transaction(rt.sessions) as session:
        post = _lock_notice(session, post_id)
        changed = [name for name, value in vars(text).items() if getattr(post, name) != value]
        post.title, post.summary, post.body = text.title, text.summary, text.body
        post.updated_at = utcnow()
        detail = "edited: " + (", ".join(changed) or "nothing")
        audit.record(session, moderator_id, "edit_notice", "post", post_id, 0, detail)
        tasks = _publish(session, post_id)
    outbox.enqueue_tasks(rt.queue, tasks)


def withdraw(rt: Runtime, moderator_id: int, post_id: int) -> None:
    """Take a live operator notice off the site (取り下げ), audited; the worker unpublishes it."""
    with transaction(rt.sessions) as session:
        post = _lock_notice(session, post_id)
        post.status = PostStatus.WITHDRAWN
        post.withdrawn_at = post.updated_at = utcnow()
        audit.record(session, moderator_id, "withdraw_notice", "post", post_id, 0, "取り下げ")
        tasks = _publish(session, post_id)
    outbox.enqueue_tasks(rt.queue, tasks)
