"""The words a moderator's decision is stored with (the table: intake/models.py)."""

from __future__ import annotations

from enum import StrEnum


class DecisionAction(StrEnum):
    """What a moderator decided: `decisions.action`."""

    APPROVE = "approve"
    REJECT = "reject"
    TAKEDOWN = "takedown"  # a live post unpublished now
    STALE_REQUEST = "stale_request"  # the poster asked to update or withdraw old content
    REMOVE_STALE = "remove_stale"  # old content removed after the deadline
    CORRECT = "correct"  # a live post's public fields changed by a moderator directly
    RESTORE = "restore"  # a taken-down post put back on the site


class ReviewChoice(StrEnum):
    """What a moderator chooses on the desk of a post (never stored: the decision records
    an approval, with or without the moderator's edits, or a rejection)."""

    APPROVE = "approve"  # as the poster submitted it
    EDIT = "approve_edited"  # with the moderator's edits of the fields
    REJECT = "reject"
