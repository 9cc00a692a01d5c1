"""Posting events, recruitment and notices, and reading them back for their poster."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import jobs, outbox
from ..errors import InvalidTransition, NotFound
from ..models import Post, utcnow
from ..protection import audit
from ..runtime import Runtime
from ..store import transaction
from .models import POST_LIVE, PostStatus

# Statuses in which a post is live on the public site.


def lock_post(session: Session, post_id: int, statuses: tuple[str, ...]) -> Post:
    """Return a post locked for update; NotFound without one, InvalidTransition when it is
    in none of statuses (it was decided, withdrawn or taken down meanwhile)."""
    post = session.get(Post, post_id, with_for_update=True)
    if post is None:
        raise NotFound(f"post {post_id}")
    if post.status not in statuses:
        raise InvalidTransition(f"post {post_id} is {post.status}")
    return post


@dataclass
class PostData:
    """The public fields of a post as the poster entered them."""

    kind: str
    title: str
    summary: str
    body: str = ""
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    place_name: str = ""
    place_address: str = ""
    topic: str = ""
    area: str = ""
    fee: str = ""
    capacity: int | None = None
    accepts_applications: bool = False
    contact_public: str = ""
    ask_contact: str = "both"  # contact fields the application form asks: both, phone, email
    waitlist: bool = False
    apply_until: datetime | None = None
    questions: str = "[]"  # JSON of event_questions.Question, see encode_questions
    recurrence: str = ""  # rule code, see intake/posts/recurrence.py; "" for none
    occurrences: str = "[]"  # its expansion: JSON [[start, end], ...] (recurrence.encode)
    attendance: str = "offline"  # offline, online or hybrid (taxonomy.ATTENDANCE)
    online_details: str = ""  # how to join online, public text
    audience: str = ""  # comma-separated keys of the deployment's audiences (対象)


def submit_post(
    rt: Runtime,
    account_id: int,
    data: PostData,
    attach: Callable[[Session, int], None] | None = None,
    entered_by: int | None = None,
) -> int:
    """Store a new post durably, owe its ingest to the worker, and return its id.

    ``attach(session, post_id)`` adds rows that belong to the post (its uploads) in the
    same transaction. A post a moderator enters on the account's behalf (entered_by) is
    recorded as such, audited, and its account holder is owed a notice by mail; it goes
    through the moderation queue like any other post.
    """
    with transaction(rt.sessions) as session:
        post = Post(
            account_id=account_id, status=PostStatus.RECEIVED, entered_by=entered_by, **vars(data)
        )
        post.updated_at = utcnow()
        session.add(post)
        session.flush()
        if attach is not None:
            attach(session, post.id)
        tasks = [outbox.add_task(session, jobs.INGEST_POST, post.id)]
        if entered_by is not None:
            audit.record(
                session,
                entered_by,
                "post_on_behalf",
                "post",
                post.id,
                detail=f"account {account_id}",
            )
            tasks.append(outbox.add_task(session, jobs.SEND_ON_BEHALF_NOTICE, post.id))
        post_id = post.id
    outbox.enqueue_tasks(rt.queue, tasks)
    return post_id


def posts_of(rt: Runtime, account_id: int) -> list[Post]:
    """Return an account's posts, newest first."""
    with rt.sessions() as session:
        return list(
            session.scalars(
                select(Post).where(Post.account_id == account_id).order_by(Post.id.desc())
            )
        )


def open_event(rt: Runtime, post_id: int) -> Post:
    """Return a live post that takes applications, or raise NotFound."""
    with rt.sessions() as session:
        post = session.get(Post, post_id)
        if post is None or post.status not in POST_LIVE or not post.accepts_applications:
            raise NotFound(f"post {post_id}")
        return post
