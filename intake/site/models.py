"""The words a site build is stored with (the table: intake/models.py)."""

from __future__ import annotations

from enum import StrEnum


class BuildStatus(StrEnum):
    """How one site build went: `builds.status`."""

    RUNNING = "running"
    OK = "ok"  # switched live
    FAILED = "failed"  # the previous site stays live
    INTERRUPTED = "interrupted"  # its worker stopped before it finished
