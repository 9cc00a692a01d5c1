"""The nightly full build: enqueued once per date from its configured time, run as a
full Pelican build under the build lock, switched live; switched off with false."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from accounts_support import reconfigure
from actors import open_group
from sqlalchemy import select
from test_incremental import _approve, _drain

from intake.deployment import load_deployment
from intake.errors import ConfigError
from intake.models import Build

JST = timezone(timedelta(hours=9))


def _builds(instance) -> list[Build]:  # type: ignore[no-untyped-def]
    with instance.rt.sessions() as session:
        return list(session.scalars(select(Build).order_by(Build.id)))


def test_nightly_build_runs_once_a_date_from_its_time(instance, worker_env):
    from intake.redis_keys import nightly_job
    from worker.schedule import schedule_nightly

    moderator, group = open_group(instance)
    first = _approve(instance, moderator, group, 0)
    _drain(instance)
    _approve(instance, moderator, group, 1)
    _drain(instance)
    before = _builds(instance)
    assert "incremental" in before[-1].log  # approvals are published incrementally

    rt = instance.rt
    assert not schedule_nightly(rt, now=datetime(2031, 3, 4, 0, 9, tzinfo=JST))  # 00:10 default
    assert schedule_nightly(rt, now=datetime(2031, 3, 4, 0, 10, tzinfo=JST))
    assert rt.queue.get_job_ids() == [nightly_job(rt.settings.redis_prefix)]
    # The reconciler passes every 30 s: the same date never gets a second one.
    assert not schedule_nightly(rt, now=datetime(2031, 3, 4, 23, 59, tzinfo=JST))
    _drain(instance)
    builds = _builds(instance)
    assert len(builds) == len(before) + 1
    nightly = builds[-1]
    assert nightly.status == "ok"
    assert nightly.log.startswith("nightly full build")
    assert "incremental" not in nightly.log
    live = instance.settings.live_dir.resolve()
    assert str(live) == nightly.output_dir  # a fresh folder, switched live
    assert (live / "events" / str(first) / "index.html").exists()
    # A worker that was down at 00:10 catches up on its first pass that date (UTC given).
    assert schedule_nightly(rt, now=datetime(2031, 3, 5, 3, 0, tzinfo=UTC))
    _drain(instance)
    assert _builds(instance)[-1].log.startswith("nightly full build")
    # The next approval is incremental again: the nightly build left its state.
    _approve(instance, moderator, group, 2)
    _drain(instance)
    assert "incremental" in _builds(instance)[-1].log


def test_no_nightly_build_when_a_full_build_went_live_since_its_time(instance, worker_env):
    from worker.schedule import schedule_nightly

    moderator, group = open_group(instance)
    _approve(instance, moderator, group, 0)
    _drain(instance)  # the site's first publication is a full build
    (first,) = _builds(instance)
    assert first.status == "ok" and "incremental" not in first.log
    finished = first.finished_at.replace(tzinfo=UTC).astimezone(JST)
    # Its time passed just before that build finished: nothing more to do that night.
    reconfigure(instance, f'[publishing]\nnightly_build = "{finished:%H:%M}"\n')
    assert not schedule_nightly(instance.rt, now=finished)
    # After only incremental publications since its time, it is due.
    later = finished + timedelta(days=1)
    assert schedule_nightly(instance.rt, now=later)


def test_no_nightly_build_while_publications_are_owed(instance, worker_env):
    from worker.schedule import schedule_nightly

    moderator, group = open_group(instance)
    _approve(instance, moderator, group, 0)  # a new site: its first build is owed
    night = datetime(2031, 5, 6, 1, 0, tzinfo=JST)
    assert not schedule_nightly(instance.rt, now=night)
    _drain(instance)
    assert schedule_nightly(instance.rt, now=night)


def test_nightly_build_time_is_configurable_and_can_be_switched_off(instance, worker_env):
    from worker.schedule import schedule_nightly

    reconfigure(instance, '[publishing]\nnightly_build = "03:30"\n')
    assert not schedule_nightly(instance.rt, now=datetime(2031, 4, 1, 3, 29, tzinfo=JST))
    assert schedule_nightly(instance.rt, now=datetime(2031, 4, 1, 3, 30, tzinfo=JST))
    reconfigure(instance, "[publishing]\nnightly_build = false\n")
    assert not schedule_nightly(instance.rt, now=datetime(2031, 4, 2, 12, 0, tzinfo=JST))


@pytest.mark.parametrize("value", ['"3:30"', '"24:00"', "true", "330", '"03:30:00"'])
def test_nightly_build_setting_is_checked(tmp_path, value):
    (tmp_path / "hiroba.toml").write_text(f"[publishing]\nnightly_build = {value}\n")
    with pytest.raises(ConfigError, match="publishing.nightly_build"):
        load_deployment(tmp_path)
