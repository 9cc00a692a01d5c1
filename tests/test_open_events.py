"""The open events one process keeps a few seconds for the application form
(intake/applications/open_events.py): kept until told to forget or KEEP_SECONDS pass,
every read_event a fresh read."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import update
from test_applying import live_event

from intake.applications import open_events
from intake.errors import NotFound
from intake.models import Post


def _change(instance, post_id: int, **values: object) -> None:  # type: ignore[no-untyped-def]
    with instance.rt.sessions.begin() as db:
        db.execute(update(Post).where(Post.id == post_id).values(**values))


def test_an_event_is_kept_until_forgotten_and_each_read_is_fresh(instance) -> None:  # type: ignore[no-untyped-def]
    rt, post_id = instance.rt, live_event(instance)
    first = open_events.read_event(rt, post_id)
    assert open_events.recent_event(rt, post_id) is first
    # Closed meanwhile: the kept copy still serves (the allocation's locked read decides).
    _change(instance, post_id, accepts_applications=False)
    assert open_events.recent_event(rt, post_id) is first
    open_events.forget_event(rt, post_id)
    with pytest.raises(NotFound):
        open_events.recent_event(rt, post_id)
    _change(instance, post_id, accepts_applications=True)
    again = open_events.recent_event(rt, post_id)
    assert again is not first and again.id == post_id
    fresh = open_events.read_event(rt, post_id)
    assert fresh is not again and open_events.recent_event(rt, post_id) is fresh
    open_events.forget_event(rt, post_id)


def test_a_kept_event_is_read_again_once_keep_seconds_have_passed(instance) -> None:  # type: ignore[no-untyped-def]
    rt, post_id = instance.rt, live_event(instance)
    before = time.monotonic()
    first = open_events.read_event(rt, post_id)
    # The store's own expiry, asked about a moment just short of, then past, KEEP_SECONDS.
    open_events._KEPT.expire(before + open_events.KEEP_SECONDS - 0.001)
    assert open_events.recent_event(rt, post_id) is first
    open_events._KEPT.expire(time.monotonic() + open_events.KEEP_SECONDS)
    later = open_events.recent_event(rt, post_id)
    assert later is not first and later.id == post_id
    open_events.forget_event(rt, post_id)
