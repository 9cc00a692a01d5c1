"""A job that hands its work back when its worker is asked to stop.

rq's warm shutdown waits for the running job; a search re-index spends most of its time in
Pagefind (a minute at 50,000 pages), longer than a service manager waits before it kills
the worker. The search worker (run.py) therefore passes the stop request (SIGTERM) on to
its work-horse, and a job inside ``on_request`` turns it into StopRequested: raised out of
a wait or out of the Pagefind run (subprocess.run kills the child before it re-raises),
so the job can queue its work again and return. Once the job calls ``defer`` (a short
step that must finish, like the switch under the build lock), the request is only noted.
A SIGTERM sent to every process at once (systemd's default) ends the same way.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from types import FrameType


class StopRequested(Exception):
    """The worker was asked to stop while the job could still hand its work back."""


class Stop:
    """What a job knows of a stop request."""

    def __init__(self) -> None:
        self.requested = False
        self.deferred = False

    def handle(self, _signum: int, _frame: FrameType | None) -> None:
        self.requested = True
        if not self.deferred:
            raise StopRequested

    def sleep(self, seconds: float) -> None:
        """Wait seconds, or until a stop request (which raises StopRequested)."""
        if self.requested and not self.deferred:
            raise StopRequested
        time.sleep(seconds)

    def defer(self) -> None:
        """From here on a stop request waits for the job's end."""
        self.deferred = True


@contextlib.contextmanager
def on_request() -> Iterator[Stop]:
    """Turn SIGTERM into StopRequested for the block (in the main thread; elsewhere, as in
    a test calling the job directly from a thread, nothing is installed)."""
    stop = Stop()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = signal.signal(signal.SIGTERM, stop.handle)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGTERM, previous)
