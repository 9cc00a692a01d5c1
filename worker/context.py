"""The runtime of a worker process, built from the environment once per process."""

from __future__ import annotations

import os

from intake.config import Settings
from intake.runtime import Runtime

_cached: tuple[int, Settings, Runtime] | None = None


def runtime() -> Runtime:
    """Return this process's Runtime; a forked work-horse or changed settings get a new one."""
    global _cached
    settings = Settings.from_env()
    if _cached is None or _cached[0] != os.getpid() or _cached[1] != settings:
        _cached = (os.getpid(), settings, Runtime.from_settings(settings))
    return _cached[2]
