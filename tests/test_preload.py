"""The worker's parent keeps the live site's saved state loaded for the work-horses it
forks, and hands it out only while it is the state saved for the live folder."""

from __future__ import annotations

import logging
from dataclasses import replace

from actors import open_group
from pelican.log import LimitFilter
from test_incremental import _approve, _drain

from worker.build import tree


def _sigs(state):  # type: ignore[no-untyped-def]
    return {
        source: (post["entry"].sig if hasattr(post["entry"], "sig") else post["entry"]["sig"])
        for source, post in state["posts"].items()
        if post.get("entry") is not None
    }


def test_the_preloaded_state_is_the_live_one_or_none(instance, worker_env):
    from worker.build import preload

    moderator, group = open_group(instance)
    for n in range(3):
        _approve(instance, moderator, group, n)
        _drain(instance)  # a full build, then incremental ones through forked horses
    live = instance.settings.live_dir.resolve()
    preload.warm_up(instance.settings)
    held = preload.preloaded_state(live)
    assert held is not None
    assert _sigs(held) == _sigs(tree.load_state(live))  # type: ignore[arg-type]
    assert len(_sigs(held)) == 3
    _approve(instance, moderator, group, 3)
    _drain(instance)
    newer = instance.settings.live_dir.resolve()
    assert newer != live
    # The worker (here, this process) read the new state after the build job.
    fresh = preload.preloaded_state(newer)
    assert fresh is not None and len(_sigs(fresh)) == 4
    assert _sigs(fresh) == _sigs(tree.load_state(newer))  # type: ignore[arg-type]
    assert preload.preloaded_state(live) is None  # never handed out for another folder
    tree.state_path(newer).touch()  # the file changed since it was read
    assert preload.preloaded_state(newer) is None
    preload.refresh_state(instance.settings)
    assert preload.preloaded_state(newer) is not None


def test_a_worker_preloads_the_publisher_on_a_new_instance_and_says_why_it_cannot(
    worker_env, tmp_path, caplog, monkeypatch
):
    """A new instance has no content folder until its first build (`hiroba init` makes it,
    a restore does not): the worker makes it and preloads the publisher. A worker whose
    content folder cannot be made still starts, and says why it did not preload."""
    from worker.build import preload
    from worker.run import make_worker

    instance = worker_env
    caplog.set_level(logging.WARNING, logger=preload.__name__)
    monkeypatch.setattr(preload, "_restore_entry", None)
    assert not instance.settings.content_dir.exists()
    make_worker(instance.rt)
    assert instance.settings.content_dir.is_dir()
    assert preload._restore_entry is not None
    assert not [r for r in caplog.records if "could not preload" in r.getMessage()]

    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the content folder's parent should be", encoding="utf-8")
    settings = replace(instance.settings, content_dir=blocked / "content")
    monkeypatch.setattr(preload, "_restore_entry", None)
    # Pelican's logger class drops a warning its process has logged before (an earlier
    # test's, here): this test starts with none seen.
    monkeypatch.setattr(LimitFilter, "_raised_messages", set())
    make_worker(replace(instance.rt, settings=settings))
    said = [r.getMessage() for r in caplog.records]
    assert said == [
        "could not preload the publisher (ValueError: You need to specify a path containing "
        "the content (see pelican --help for more information))"
    ]
    assert preload._restore_entry is None
