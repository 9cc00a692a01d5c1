"""Running workers: a long-lived rq worker beside its reconciler, or a burst that drains."""

from __future__ import annotations

import logging
import multiprocessing

from rq import Worker

from intake.config import Settings
from intake.runtime import Runtime

from .reconcile import reconcile, reconcile_forever

log = logging.getLogger(__name__)


def make_worker(rt: Runtime) -> Worker:
    """Return an rq worker on our queue with the JSON serializer."""
    return Worker([rt.queue], connection=rt.redis, serializer="rq.serializers.JSONSerializer")


def _reconciler_main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s reconciler %(message)s")
    reconcile_forever(Runtime.from_settings(Settings.from_env()))


def run_forever(rt: Runtime) -> None:
    """Reconcile, start the periodic reconciler process, and work until stopped."""
    reconcile(rt)
    # A separate process, not a thread: rq forks a work-horse per job, and forking a
    # threaded process can copy held locks into the child.
    reconciler = multiprocessing.get_context("spawn").Process(
        target=_reconciler_main, name="hiroba-reconciler", daemon=True)
    reconciler.start()
    try:
        make_worker(rt).work(with_scheduler=False)
    finally:
        reconciler.terminate()


def run_burst(rt: Runtime, max_rounds: int = 50) -> int:
    """Reconcile and drain the queue until nothing more is owed; return the rounds run."""
    for rounds in range(1, max_rounds + 1):
        report = reconcile(rt)
        if rounds > 1 and not report.tasks and not report.rebuild and not rt.queue.count:
            return rounds
        make_worker(rt).work(burst=True, with_scheduler=False)
    return max_rounds
