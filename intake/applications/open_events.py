"""The open events one process has read lately, kept a few seconds for the application form.

A rush of applications to one event read the same post again and again before taking
the event's lock; on PostgreSQL that was a checkout and three round trips per
application. The POST builds its form from the post kept here; nothing it decides rests
on it: the allocation's locked statement reads the event's state again (open, deadline,
capacity) and the form's facts (questions, contact fields), and an application whose
form was built from facts that changed meanwhile is refused with EventChanged, so the
view builds the form again from a fresh read. Each GET of the form reads afresh.
"""

from __future__ import annotations

import threading

from cachetools import TTLCache

from ..models import Post
from ..posts.services import open_event
from ..runtime import Runtime

KEEP_SECONDS = 5.0
MAX_KEPT = 1000  # events; past it the least recently used goes first
# Keyed by database and post. TTLCache is not thread-safe (a read reorders it): every use
# holds _GUARD, as gunicorn's threads share this process.
_KEPT: TTLCache[tuple[str, int], Post] = TTLCache(maxsize=MAX_KEPT, ttl=KEEP_SECONDS)
_GUARD = threading.Lock()


def read_event(rt: Runtime, post_id: int) -> Post:
    """Return the open event read now (or raise NotFound), and keep it for recent_event."""
    post = open_event(rt, post_id)
    with _GUARD:
        _KEPT[(rt.settings.database_url, post_id)] = post
    return post


def recent_event(rt: Runtime, post_id: int) -> Post:
    """Return the open event as read at most KEEP_SECONDS ago, or read it now."""
    with _GUARD:
        kept = _KEPT.get((rt.settings.database_url, post_id))
    return kept if kept is not None else read_event(rt, post_id)


def forget_event(rt: Runtime, post_id: int) -> None:
    """Drop what this process keeps of an event (its form's facts changed)."""
    with _GUARD:
        _KEPT.pop((rt.settings.database_url, post_id), None)
