"""The runtime the worker was started with: built once, before work starts, and handed to
every job (a forked work-horse inherits it and opens its own database connections)."""

from __future__ import annotations

import os

from intake.config import Settings
from intake.runtime import Runtime

# (the runtime, whether this module built it, the process that last used it)
_current: tuple[Runtime, bool, int] | None = None


def use_runtime(rt: Runtime) -> None:
    """Make rt the runtime of the jobs this process (and the work-horses it forks) runs."""
    global _current
    close_runtime()
    _current = (rt, False, os.getpid())


def runtime() -> Runtime:
    """Return the worker's runtime; a job run outside a worker builds one from the
    environment on first use and keeps it. Settings are never read again per job: a
    changed hiroba.toml needs a restart."""
    global _current
    if _current is None:
        _current = (Runtime.from_settings(Settings.from_env()), True, os.getpid())
    rt, owned, pid = _current
    if pid != os.getpid():
        # A forked work-horse: the parent's pooled database connections are not ours to use
        # (Redis connections check the process id themselves).
        rt.engine.dispose(close=False)
        _current = (rt, owned, os.getpid())
    return rt


def close_runtime() -> None:
    """Forget the worker's runtime, releasing it if this module built it in this process."""
    global _current
    if _current is not None and _current[1] and _current[2] == os.getpid():
        _current[0].close()
    _current = None
