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
import time

from ..models import Post
from ..posts.services import open_event
from ..runtime import Runtime

KEEP_SECONDS = 5.0
MAX_KEPT = 1000  # events; past it the whole store starts again
_KEPT: dict[tuple[str, int], tuple[float, Post]] = {}
_GUARD = threading.Lock()


def read_event(rt: Runtime, post_id: int) -> Post:
    """Return the open event read now (or raise NotFound), and keep it for recent_event."""
    post = open_event(rt, post_id)
    with _GUARD:
        if len(_KEPT) >= MAX_KEPT:
            _KEPT.clear()
        _KEPT[(rt.settings.database_url, post_id)] = (time.monotonic() + KEEP_SECONDS, post)
    return post


def recent_event(rt: Runtime, post_id: int) -> Post:
    """Return the open event as read at most KEEP_SECONDS ago, or read it now."""
    kept = _KEPT.get((rt.settings.database_url, post_id))
    if kept is not None and time.monotonic() < kept[0]:
        return kept[1]
    return read_event(rt, post_id)


def forget_event(rt: Runtime, post_id: int) -> None:
    """Drop what this process keeps of an event (its form's facts changed)."""
    with _GUARD:
        _KEPT.pop((rt.settings.database_url, post_id), None)
