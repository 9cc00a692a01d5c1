"""Running workers: a long-lived rq worker beside its reconciler, or a burst that drains."""

from __future__ import annotations

import logging
import multiprocessing
import time

from rq import Worker
from sqlalchemy import func, select

from intake.config import Settings
from intake.models import Task
from intake.runtime import Runtime

from .build import pending_rev
from .reconcile import reconcile, reconcile_forever

log = logging.getLogger(__name__)


def make_worker(rt: Runtime) -> Worker:
    """Return an rq worker on our queue with the JSON serializer.

    The job modules are imported here, in the parent, so each forked work-horse starts
    with them loaded instead of importing SQLAlchemy, Pelican and our code per job.
    """
    from . import build, ingest, publish  # noqa: F401

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
        target=_reconciler_main, name="hiroba-reconciler", daemon=True
    )
    reconciler.start()
    try:
        make_worker(rt).work(with_scheduler=False)
    finally:
        reconciler.terminate()


def run_burst(rt: Runtime, max_seconds: float = 900) -> None:
    """Reconcile and drain the queue until nothing is owed: no pending task (a killed job's
    lease is waited out) and no revision left to build (a killed build's lock too)."""
    deadline = time.monotonic() + max_seconds
    while time.monotonic() < deadline:
        report = reconcile(rt)
        if report.tasks or report.rebuild or rt.queue.count:
            make_worker(rt).work(burst=True, with_scheduler=False)
            continue
        with rt.sessions() as session:
            owed = session.scalar(
                select(func.count()).select_from(Task).where(Task.state == "pending")
            )
        if not owed and pending_rev(rt) is None:
            return
        time.sleep(0.25)
    log.warning("burst stopped after %s s with work still owed", max_seconds)
