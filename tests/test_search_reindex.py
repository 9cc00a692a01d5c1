"""The search re-index never holds up an approval, and hands its work back when the worker
is asked to stop. Real Redis, real rq workers (in-process bursts and `python -m worker`
processes), real Pelican and Pagefind; Pagefind waits at a gate (pagefind_gate.py) so the
tests hold a re-index mid-run for as long as they need, with no timing assertions."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from actors import open_group
from conftest import REPO_ROOT, Instance, RedisServer, open_instance
from lifecycle_support import approved_event
from pagefind_gate import PagefindGate, alive, running_under
from rq import Queue
from sqlalchemy import select
from test_search_fresh import _fragment_urls

from intake import redis_keys
from intake.models import Build
from intake.site.models import BuildStatus
from intake.site.takedown import take_down

DELTA = "search/delta.json"
GUARD = 240  # seconds: a hang guard only, never a speed claim

SEARCH_WORKER_BURST = """
import os
from intake.config import Settings
from intake.runtime import Runtime
from worker.run import make_search_worker
os.umask(0o022)
make_search_worker(Runtime.from_settings(Settings.from_env(dict(os.environ)))).work(burst=True)
"""


@pytest.fixture
def gate(tmp_path: Path) -> PagefindGate:
    return PagefindGate.make(tmp_path / "gate")


@pytest.fixture
def gated(
    tmp_path: Path, database_url: str, redis_server: RedisServer, gate: PagefindGate
) -> Iterator[Instance]:
    """An instance whose re-index Pagefind waits at the gate."""
    made = open_instance(
        tmp_path, database_url, redis_server, extra={"HIROBA_PAGEFIND_BINARY": gate.binary}
    )
    yield made
    gate.open()  # let anything still waiting go
    made.rt.close()


def _drain_main_queue(instance: Instance) -> None:
    """Run the main queue (approvals' builds) with a real rq worker, in this process."""
    from worker.run import make_worker

    make_worker(instance.rt).work(burst=True, with_scheduler=False)


def _builds(instance: Instance) -> list[Build]:
    with instance.rt.sessions() as db:
        rows = list(db.scalars(select(Build).order_by(Build.id)))
        db.expunge_all()
    return rows


def _live(instance: Instance) -> Path:
    return instance.settings.live_dir.resolve()


def _delta(instance: Instance) -> dict:
    return json.loads((_live(instance) / DELTA).read_text(encoding="utf-8"))


def _search_queue(instance: Instance) -> Queue:
    name = redis_keys.search_queue(instance.settings.redis_prefix)
    return Queue(name, connection=instance.rt.redis)


def _wait_at_gate(gate: PagefindGate, process: subprocess.Popen[str]) -> int:
    """Wait until the re-index's Pagefind waits at the gate; return its pid."""
    deadline = time.monotonic() + GUARD
    while (pid := gate.waiting_pid()) is None:
        assert process.poll() is None, "the worker ended before the re-index ran Pagefind"
        assert time.monotonic() < deadline, "no re-index reached Pagefind"
        time.sleep(0.1)
    return pid


def _published_with_a_pending_reindex(instance: Instance) -> tuple[int, int, int, int]:
    """Publish a first site (full) and one approval (incremental, its search in the delta,
    a re-index queued); return (moderator, group, the first post's id, the approval's)."""
    moderator, group = open_group(instance)
    first = approved_event(instance, moderator, group, "索引の最初の催し")
    instance.worker_burst()  # the first build is full: Pagefind runs over it (no gate)
    later = approved_event(instance, moderator, group, "索引待ちの催し")
    _drain_main_queue(instance)
    assert _delta(instance)["items"], "the approval's pages should be in the delta"
    assert _search_queue(instance).count == 1
    return moderator, group, first, later


def test_an_approval_during_a_reindex_goes_live_before_its_pagefind_ends(
    gated: Instance, gate: PagefindGate
) -> None:
    instance = gated
    moderator, group, first, waiting = _published_with_a_pending_reindex(instance)
    search_worker = subprocess.Popen(
        [sys.executable, "-c", SEARCH_WORKER_BURST],
        env=instance.env,
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_at_gate(gate, search_worker)
        copied = _live(instance)  # the folder the re-index's snapshot is a copy of
        # Pagefind is held mid-run: an approval now is built, switched and recorded.
        during = approved_event(instance, moderator, group, "索引中に承認した催し")
        _drain_main_queue(instance)
        assert (_live(instance) / f"events/{during}/index.html").is_file()
        published = _builds(instance)[-1]
        assert published.status == BuildStatus.OK and "1 changed post" in published.log
        # A takedown too: its publication takes the folder the re-index copied as its
        # spare, so the re-index must follow it from its own copy (reindex.py).
        take_down(instance.rt, moderator, first, "索引中の検査のための緊急非公開です。")
        _drain_main_queue(instance)
        assert not (_live(instance) / f"events/{first}/index.html").exists()
        assert not copied.exists(), "the takedown's build should have reused the copied folder"
        assert search_worker.poll() is None, "the re-index ended while Pagefind was held"
        gate.open()
        output, _ = search_worker.communicate(timeout=GUARD)
    finally:
        gate.open()
        if search_worker.poll() is None:
            search_worker.kill()
            search_worker.wait()
    assert search_worker.returncode == 0, output[-4000:]

    builds = _builds(instance)
    reindexes = [b for b in builds if b.log.startswith("search re-index")]
    assert reindexes, [b.log for b in builds]
    first = reindexes[0]
    # The re-index switched after the approval's build: it took the approval over (its
    # page and listings, linked from the live folder under the lock), not rebuilt it.
    assert published.id < first.id and published.finished_at <= first.started_at
    assert "prepared outside the build lock" in first.log, first.log
    followed = int(first.log.split(" file(s) published meanwhile followed")[0].rsplit("; ", 1)[1])
    assert followed > 0, first.log
    assert "0 file(s) rendered" in first.log, first.log
    # The approval's search went into the re-index's delta; the follow-up re-index (its
    # publication asked for one) leaves the whole site in Pagefind's index.
    live = _live(instance)
    assert (live / f"events/{during}/index.html").is_file()
    assert not list(live.glob(f"*events/{first}/*")), "a taken-down page came back"
    assert _delta(instance)["items"] == []
    urls = _fragment_urls(live)
    assert {f"/events/{waiting}/", f"/events/{during}/"} <= urls
    assert f"/events/{first}/" not in urls
    assert all(b.status == BuildStatus.OK for b in builds), [b.log for b in builds]


def test_a_worker_asked_to_stop_mid_pagefind_hands_the_reindex_back(
    gated: Instance, gate: PagefindGate
) -> None:
    instance = gated
    _moderator, _group, _first, waiting = _published_with_a_pending_reindex(instance)
    builds_before = len(_builds(instance))
    worker = instance.start_worker()  # python -m worker run: main, search and reconciler
    try:
        pagefind = _wait_at_gate(gate, worker)
        assert alive(pagefind)
        worker.send_signal(signal.SIGTERM)  # what a service manager sends first
        worker.wait(timeout=GUARD)  # a hang guard: the test claims no speed
    finally:
        if worker.poll() is None:
            instance.kill_group(worker)
    # Nothing of the re-index runs on: not Pagefind, not a work-horse.
    assert not alive(pagefind)
    assert running_under(instance.settings.site_dir) == []
    log = (instance.settings.home / "worker.log").read_text()
    assert "search re-index stopped with the worker; queued again" in log, log[-4000:]
    assert len(_builds(instance)) == builds_before  # no switch happened
    assert _search_queue(instance).count == 1
    assert not list(instance.settings.site_dir.glob(".search-*")), "the snapshot was left"

    # A new worker completes the re-index: the site is searchable through Pagefind alone.
    gate.open()
    instance.worker_burst()
    assert _delta(instance)["items"] == []
    assert f"/events/{waiting}/" in _fragment_urls(_live(instance))
    logs = [b.log for b in _builds(instance)]
    assert logs[-1].startswith("search re-index"), logs
