"""Run one function in a forked child process and hand its result back to the parent.

A full build's Pelican run holds every post, page and template it rendered until it
ends, and a Python process keeps most of what it allocated after that. Run in a child,
all of it goes back to the system when the child exits, before Pagefind (a few hundred
MiB of its own) starts; and a long-lived worker never grows by a build's worth.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class ChildDied(Exception):
    """The child process ended without handing back a result (killed, out of memory)."""


def run_in_child(func: Callable[[], T]) -> T:
    """Return func() computed in a forked child; re-raise what it raised, as RuntimeError
    naming the child's exception when it cannot be pickled."""
    read_end, write_end = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: compute, send, and leave without the parent's clean-up
        os.close(read_end)
        code = 0
        try:
            try:
                payload = pickle.dumps((True, func()))
            except BaseException as exc:  # handed to the parent, which raises it
                try:
                    payload = pickle.dumps((False, exc))
                except Exception:
                    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
                    payload = pickle.dumps((False, RuntimeError(text)))
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(payload)
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()  # until the child closes its end (or dies)
    _pid, status = os.waitpid(pid, 0)
    if not data:
        how = (
            f"signal {signal.Signals(os.WTERMSIG(status)).name}"
            if os.WIFSIGNALED(status)
            else f"exit status {os.waitstatus_to_exitcode(status)}"
        )
        raise ChildDied(f"the build process ended without a result ({how})")
    ok, value = pickle.loads(data)  # noqa: S301 - our own child's bytes, over a pipe
    if not ok:
        raise value
    return value  # type: ignore[no-any-return]
