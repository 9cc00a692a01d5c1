"""Jobs of posts: put a received post before the moderators, publish or unpublish one."""

from __future__ import annotations

import functools
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.jobs import PUBLISH_POST
from intake.models import Post, Task
from intake.outbox import enqueue_rebuild
from intake.runtime import Runtime

from ..build.revisions import request_rebuild
from ..content.media import unpublish_media
from ..content.posts import post_path, write_post
from ..tasks import tracked

# Statuses whose removal from the site jumps the queue (a moderator's emergency takedown).
URGENT = frozenset({"taken_down"})


@tracked
def ingest_post(rt: Runtime, session: Session, post_id: int) -> None:
    """Put a received post in front of the moderators."""
    post = session.get(Post, post_id)
    if post is not None and post.status == "received":
        post.status = "pending"


@tracked
def publish_post(rt: Runtime, session: Session, post_id: int) -> Callable[[], None] | None:
    """Bring a post's content file in line with its status, and ask for a rebuild if it moved."""
    post = session.get(Post, post_id)
    if post is None:
        return None
    path = post_path(rt.settings.content_dir, post_id)
    if post.status == "approved":
        digest, written = write_post(rt.settings, session, post)
        if post.published_hash == digest and not written:
            return None
        post.published_hash = digest
    else:
        unpublish_media(rt.settings, session, post)
        if post.published_hash is None and not path.exists():
            return None
        path.unlink(missing_ok=True)
        post.published_hash = None
    request_rebuild(session)
    # The rebuild goes to the front (before the decision mails and whatever else is
    # queued) unless other publications are still to run: then it goes after them and
    # one build takes them all in.
    others = session.scalar(
        select(Task.id)
        .where(Task.name == PUBLISH_POST, Task.state == "pending", Task.subject_id != post_id)
        .limit(1)
    )
    urgent = post.status in URGENT
    return functools.partial(_ask_rebuild, rt, urgent=urgent, first=others is None)


def _ask_rebuild(rt: Runtime, urgent: bool = False, first: bool = False) -> None:
    # A takedown must not wait behind a rebuild queued at the back of a long queue.
    enqueue_rebuild(rt.queue, force=urgent, at_front=urgent or first)
