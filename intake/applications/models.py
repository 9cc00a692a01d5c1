"""The words applications and organizers' messages are stored with (tables: intake/models.py)."""

from __future__ import annotations

from enum import StrEnum


class ApplicationStatus(StrEnum):
    """Where one application to an event stands: `applications.status`."""

    RECEIVED = "received"  # the column's default; applying allots a place at once
    CONFIRMED = "confirmed"  # has a place (参加確定)
    WAITLISTED = "waitlisted"  # on the waiting list (キャンセル待ち)
    CANCELLED = "cancelled"


# An application that holds a place or waits for one.
APPLICATION_HOLDING = (ApplicationStatus.CONFIRMED, ApplicationStatus.WAITLISTED)


class DeliveryState(StrEnum):
    """One applicant's copy of an organizer's message: `message_deliveries.state`."""

    PENDING = "pending"
    SENT = "sent"
    SKIPPED = "skipped"  # purged, cancelled or moved since the message was written


class Availability(StrEnum):
    """How full an event is, as its page shows it (not stored: worked out per request)."""

    AVAILABLE = "available"
    FEW = "few"  # few places left
    FULL = "full"
    WAITLIST = "waitlist"  # full, and taking a waiting list
    CLOSED = "closed"  # not taking applications (past the deadline)
