"""The words a post and an edit of a live post are stored with (the tables: intake/models.py)."""

from __future__ import annotations

from enum import StrEnum


class PostStatus(StrEnum):
    """Where a post stands: `posts.status`."""

    RECEIVED = "received"  # submitted, not yet seen by the worker
    PENDING = "pending"  # waits for a moderator
    APPROVED = "approved"  # live on the site
    REJECTED = "rejected"  # sent back with a reason; the poster may resubmit
    WITHDRAWN = "withdrawn"  # withdrawn by its poster (取り下げ)
    TAKEN_DOWN = "taken_down"  # unpublished by a moderator (緊急非公開)
    ARCHIVED = "archived"  # past, off the site
    REMOVED = "removed"  # removed as stale content


# A post a moderator has still to decide on.
POST_WAITING = (PostStatus.RECEIVED, PostStatus.PENDING)
# A post that is on the site.
POST_LIVE = (PostStatus.APPROVED,)


class RevisionStatus(StrEnum):
    """A poster's edit of a live post: `post_revisions.status`."""

    PENDING = "pending"  # waits for a moderator while the approved version stays live
    APPROVED = "approved"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"  # a newer edit replaced it before a decision
    WITHDRAWN = "withdrawn"  # its post was withdrawn
    CLOSED = "closed"  # its post left the site (taken down)
