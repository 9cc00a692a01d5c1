"""The worker's parent keeps the live site's saved state loaded for the work-horses it
forks, and hands it out only while it is the state saved for the live folder."""

from __future__ import annotations

from actors import open_group
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
