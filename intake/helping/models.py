"""The words helping people adds to a moderator's decision (the table: intake/models.py)."""

from __future__ import annotations

from enum import StrEnum


class HelpAction(StrEnum):
    """A correction or a restoration of a post: `decisions.action`."""

    CORRECT = "correct"  # a moderator changed a live post's public fields directly
    RESTORE = "restore"  # a taken-down post put back on the site
