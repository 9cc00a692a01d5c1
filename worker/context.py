"""The runtime of a worker process, built once per process from the environment."""

from __future__ import annotations

import os

from intake.config import Settings
from intake.runtime import Runtime

_runtime: tuple[int, Runtime] | None = None


def runtime() -> Runtime:
    """Return this process's Runtime; a forked work-horse builds its own connections."""
    global _runtime
    if _runtime is None or _runtime[0] != os.getpid():
        _runtime = (os.getpid(), Runtime.from_settings(Settings.from_env()))
    return _runtime[1]
