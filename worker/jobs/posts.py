"""Jobs of posts: put a received post before the moderators, publish or unpublish one."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.jobs import PUBLISH_POST
from intake.models import Post, Task, TaskState
from intake.outbox import enqueue_rebuild
from intake.posts.models import PostStatus
from intake.posts.on_behalf import notice_text
from intake.runtime import Runtime

from ..build.revisions import request_rebuild
from ..content.manifest import note_own_revision, updating
from ..content.media import unpublish_media
from ..content.posts import post_path, write_post
from ..mail import send_text
from ..mail.posters import poster_address
from ..tasks import tracked

log = logging.getLogger(__name__)

# Statuses whose removal from the site jumps the queue (a moderator's emergency takedown).
URGENT = frozenset({PostStatus.TAKEN_DOWN})


@tracked
def ingest_post(rt: Runtime, session: Session, post_id: int) -> None:
    """Put a received post in front of the moderators."""
    post = session.get(Post, post_id)
    if post is not None and post.status == PostStatus.RECEIVED:
        post.status = PostStatus.PENDING


@tracked
def publish_post(rt: Runtime, session: Session, post_id: int) -> Callable[[], None] | None:
    """Bring a post's content file in line with its status, and ask for a rebuild if it moved."""
    post = session.get(Post, post_id)
    if post is None:
        return None
    path = post_path(rt.settings.content_dir, post_id)
    approved = post.status == PostStatus.APPROVED
    # This host's content/ and its manifest change together: a build's content sync on
    # this host (the same lock) sees both or neither.
    with updating(rt.settings) as manifest:
        if approved:
            digest, written = write_post(rt.settings, session, post)
            manifest.posts[str(post_id)] = digest
        else:
            unpublish_media(rt.settings, session, post)
            written = path.exists()
            path.unlink(missing_ok=True)
            manifest.posts.pop(str(post_id), None)
    if approved:
        if post.published_hash == digest and not written:
            return None
        post.published_hash = digest
    else:
        if post.published_hash is None and not written:
            return None
        post.published_hash = None
    rev = request_rebuild(session)
    # The rebuild goes to the front (before the decision mails and whatever else is
    # queued) unless other publications are still to run: then it goes after them and
    # one build takes them all in.
    others = session.scalar(
        select(Task.id)
        .where(
            Task.name == PUBLISH_POST, Task.state == TaskState.PENDING, Task.subject_id != post_id
        )
        .limit(1)
    )
    urgent = post.status in URGENT
    return functools.partial(_ask_rebuild, rt, rev, urgent=urgent, first=others is None)


def _ask_rebuild(rt: Runtime, rev: int, urgent: bool = False, first: bool = False) -> None:
    note_own_revision(rt.settings, rev)
    # A takedown must not wait behind a rebuild queued at the back of a long queue.
    enqueue_rebuild(rt.queue, force=urgent, at_front=urgent or first)


@tracked
def send_on_behalf_notice(rt: Runtime, session: Session, post_id: int) -> None:
    """Tell an account holder, once, that a moderator entered a post on their behalf, in the
    language they registered in; skipped without a mail server or without an address."""
    post = session.get(Post, post_id)
    if post is None or post.entered_by is None:
        return  # erased since
    if not rt.settings.smtp_host:
        log.info("no mail server configured; on-behalf notice for post %s skipped", post_id)
        return
    account = post.account
    address = poster_address(rt, account)
    if address is None:
        return  # registered on paper without an address: the moderator tells them
    subject, body = notice_text(
        rt.settings.site_name,
        rt.settings.public_url,
        account.public_name,
        post.title,
        post.id,
        account.language,
    )
    send_text(rt.settings, address, subject, body)
