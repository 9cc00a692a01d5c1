"""Running workers: a long-lived rq worker beside its reconciler and search re-index
worker, or a burst that drains."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import time
from types import FrameType

from rq import Queue, Worker
from rq.job import Job
from sqlalchemy import func, select

from intake.config import Settings
from intake.models import Task, TaskState
from intake.runtime import Runtime
from intake.watching.logs import configure_logging

from .build.preload import refresh_state, warm_up
from .build.search import search_queue
from .build.switch import pending_rev
from .context import use_runtime
from .jobs import accounts, applications, moderation, posts, protection, site  # noqa: F401
from .publication import bucket as publication
from .reconcile import reconcile, reconcile_forever

log = logging.getLogger(__name__)

# An idle rq worker heartbeats every worker_ttl - 15 s (rq's default 420 gives 405 s), longer
# than HIROBA_WORKER_SILENCE_SECONDS (300): at 120 a healthy idle worker beats every 105 s.
WORKER_TTL = 120
# How long a stopping worker waits for its helper processes: a re-index hands its work back
# at once (worker/stopping.py), so this only bounds a stuck one, well inside systemd's 90 s.
HELPER_STOP_SECONDS = 20


def make_worker(rt: Runtime) -> Worker:
    """Return an rq worker on our queue with the JSON serializer, whose jobs get rt.

    The job modules are imported by the parent (at the top of this module), so each
    forked work-horse starts with them loaded instead of importing SQLAlchemy, Pelican and
    our code per job; the same goes for Pelican's plugins and readers (preload). rt is
    handed to the jobs now, before work starts: the horses inherit it.
    """
    use_runtime(rt)
    worker = PublishingWorker(
        [rt.queue],
        connection=rt.redis,
        serializer="rq.serializers.JSONSerializer",
        worker_ttl=WORKER_TTL,
    )
    worker.settings = rt.settings
    # The content folder is Pelican's PATH, and the worker's to write: `hiroba init` makes
    # it, but a restore does not bring it back. Made here, the warm-up's Pelican finds it;
    # one that cannot be made (under a file, say) the warm-up reports.
    with contextlib.suppress(OSError):
        rt.settings.content_dir.mkdir(parents=True, exist_ok=True)
    warm_up(rt.settings)
    publication.warm_up(rt.settings)
    return worker


class PublishingWorker(Worker):
    """rq's forking worker that, after each job, reads the new live state in the parent
    while it waits for the next job (warmup): the next publication's horse inherits it.
    Not only after builds: the search worker's re-index (another process) publishes too,
    and the job before an approval's build (its publish job) is when the parent learns it;
    when nothing changed, that costs two stats."""

    settings: Settings

    def execute_job(self, job: Job, queue: Queue) -> None:
        super().execute_job(job, queue)
        refresh_state(self.settings)
        publication.after_build(self.settings)


class SearchWorker(Worker):
    """rq's forking worker for the search queue that, asked to stop, passes the request on
    to its work-horse: a re-index then stops Pagefind and queues itself again
    (worker/stopping.py) instead of running on for a minute."""

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        if self.horse_pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.horse_pid, signal.SIGTERM)
        super().request_stop(signum, frame)


def make_search_worker(rt: Runtime) -> Worker:
    """Return an rq worker on the search queue, whose jobs get rt."""
    use_runtime(rt)
    publication.warm_up(rt.settings)
    return SearchWorker(
        [search_queue(rt)], connection=rt.redis, serializer="rq.serializers.JSONSerializer"
    )


def _reconciler_main(settings: Settings) -> None:
    configure_logging(settings.log_format)
    reconcile_forever(Runtime.from_settings(settings))


def _search_worker_main(settings: Settings) -> None:
    configure_logging(settings.log_format)
    make_search_worker(Runtime.from_settings(settings)).work(with_scheduler=False)


def run_forever(rt: Runtime) -> None:
    """Reconcile, start the periodic reconciler and the search re-index worker processes,
    and work until stopped."""
    reconcile(rt)
    # Separate processes, not threads: rq forks a work-horse per job, and forking a
    # threaded process can copy held locks into the child. The search worker has its own
    # queue so a Pagefind run (seconds) never holds up an approval.
    spawn = multiprocessing.get_context("spawn")
    # They get the worker's settings, read once at its start (a spawned process starts
    # afresh, so each opens its own connections).
    helpers = [
        spawn.Process(
            target=_reconciler_main, args=(rt.settings,), name="hiroba-reconciler", daemon=True
        ),
        spawn.Process(
            target=_search_worker_main, args=(rt.settings,), name="hiroba-search", daemon=True
        ),
    ]
    for helper in helpers:
        helper.start()
    try:
        make_worker(rt).work(with_scheduler=False)
    finally:
        # SIGTERM: the search worker hands a running re-index back (SearchWorker).
        for helper in helpers:
            helper.terminate()
        for helper in helpers:
            helper.join(HELPER_STOP_SECONDS)
            if helper.is_alive():
                log.warning("%s did not stop in %s s; killed", helper.name, HELPER_STOP_SECONDS)
                helper.kill()
                helper.join()


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
                select(func.count()).select_from(Task).where(Task.state == TaskState.PENDING)
            )
        if not owed and pending_rev(rt) is None:
            if not search_queue(rt).count:
                return
            make_search_worker(rt).work(burst=True, with_scheduler=False)
            continue
        time.sleep(0.25)
    log.warning("burst stopped after %s s with work still owed", max_seconds)
