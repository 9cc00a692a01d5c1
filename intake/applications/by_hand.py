"""Applications staff type in from a phone call or a paper form (電話・紙での申込).

They go through the same allocation as the web form (services.apply: the event lock,
arrival order, capacity, the waiting list and the duplicate rule), marked with how they
came in and audited with who typed them in. An organizer may enter them for their own
events only; a moderator for any event that takes applications.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..accounts.models import EntrySource
from ..errors import NotFound
from ..models import Post
from ..posts.models import POST_LIVE
from ..runtime import Runtime
from . import services as applications
from .organizer import own_event


@dataclass(frozen=True)
class Event:
    """What the entry form needs of the event (no personal data)."""

    post: Post
    availability: dict[str, object]


def event_for_entry(rt: Runtime, actor_id: int, post_id: int, any_event: bool) -> Event:
    """Return the event staff may enter an application for, or raise NotFound."""
    with rt.sessions() as session:
        if any_event:
            post = session.get(Post, post_id)
            if post is None or post.status not in POST_LIVE or not post.accepts_applications:
                raise NotFound(f"post {post_id}")
        else:
            post = own_event(session, actor_id, post_id)
            if not post.accepts_applications:
                raise NotFound(f"post {post_id}")
        session.expunge(post)
    return Event(post, applications.availability(rt, post_id))


def enter(
    rt: Runtime,
    actor_id: int,
    post_id: int,
    data: applications.ApplicationData,
    source: EntrySource,
    any_event: bool,
) -> applications.Outcome:
    """Allocate an application typed in by staff; ApplicationRefused as on the web."""
    event_for_entry(rt, actor_id, post_id, any_event)
    return applications.apply(rt, post_id, data, source=source, entered_by=actor_id)
