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
    if _cached is not None and _cached[0] == os.getpid() and _cached[1] == settings:
        return _cached[2]
    if _cached is not None and _cached[0] == os.getpid():
        _cached[2].close()  # settings changed in this process (tests): release the old pool
    _cached = (os.getpid(), settings, Runtime.from_settings(settings))
    return _cached[2]


def close_runtime() -> None:
    """Release this process's Runtime, if it built one."""
    global _cached
    if _cached is not None and _cached[0] == os.getpid():
        _cached[2].close()
    _cached = None
