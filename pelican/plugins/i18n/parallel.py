"""Render a list of page writes in forked processes, a share each, and wait for them all.

A full build renders some 40,000 pages (each item page and listing in two languages), one
after another, on one core. Everything a page needs (the posts, the context, the compiled
templates) is in memory once the posts are read, so forked children can each render a
share: they see the parent's memory without copying it, and each page is one file that
depends on nothing another child writes, so the output is the same bytes, whatever the
number of processes. What a child logs comes back to the parent, which logs it as if it
had rendered the page itself (the build counts errors there); an exception a child raises
is raised in the parent.
"""

from __future__ import annotations

import logging
import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any


class RenderProcessDied(Exception):
    """A rendering process ended without handing back its result (killed, out of memory)."""


def _portable(record: logging.LogRecord) -> logging.LogRecord:
    """Return the record with its message and traceback as text, so it pickles."""
    record.msg, record.args = record.getMessage(), None
    if record.exc_info:
        record.exc_text = record.exc_text or logging.Formatter().formatException(record.exc_info)
        record.exc_info = None
    return record


def _render_share(jobs: Sequence[Any], write: Callable[[Any], None]) -> bytes:
    """Write the jobs (in a child); return its log records and exception, pickled."""
    records: list[logging.LogRecord] = []

    def capture(logger: logging.Logger, record: logging.LogRecord) -> None:
        records.append(_portable(record))  # the parent's handlers log it once, there

    logging.Logger.callHandlers = capture  # type: ignore[method-assign, assignment]
    failure: BaseException | None = None
    try:
        for job in jobs:
            write(job)
    except BaseException as exc:  # handed to the parent, which raises it
        failure = exc
    try:
        return pickle.dumps((records, failure))
    except Exception:  # an exception that does not pickle: its text does
        text = "".join(traceback.format_exception_only(type(failure), failure)).strip()
        return pickle.dumps((records, RuntimeError(text)))


def render_in_processes(jobs: Sequence[Any], write: Callable[[Any], None], count: int) -> None:
    """Call write(job) for every job, in count forked processes (job n in process n % count).

    Blocks until every process has ended; re-logs their records here, then raises the
    first exception one of them raised.
    """
    count = max(1, min(count, len(jobs)))
    sys.stdout.flush()
    sys.stderr.flush()
    children: list[tuple[int, int]] = []
    for n in range(count):
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: render its share, send, and leave without clean-up
            os.close(read_end)
            code = 0
            try:
                for _pid, other in children:  # the earlier children's pipes are not ours
                    os.close(other)
                payload = _render_share(jobs[n::count], write)
                with os.fdopen(write_end, "wb") as pipe:
                    pipe.write(payload)
                sys.stdout.flush()
                sys.stderr.flush()
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        os.close(write_end)
        children.append((pid, read_end))
    failures: list[BaseException] = []
    for pid, read_end in children:  # one pipe at a time: each child writes only its own
        with os.fdopen(read_end, "rb") as pipe:
            data = pipe.read()
        _pid, status = os.waitpid(pid, 0)
        if not data:
            how = (
                f"signal {signal.Signals(os.WTERMSIG(status)).name}"
                if os.WIFSIGNALED(status)
                else f"exit status {os.waitstatus_to_exitcode(status)}"
            )
            failures.append(RenderProcessDied(f"a rendering process ended ({how})"))
            continue
        records, failure = pickle.loads(data)  # noqa: S301 - our own child's bytes, over a pipe
        for record in records:
            logging.getLogger(record.name).handle(record)
        if failure is not None:
            failures.append(failure)
    if failures:
        raise failures[0]
