"""The words an upload is stored with (the table: intake/models.py)."""

from __future__ import annotations

from enum import StrEnum


class UploadState(StrEnum):
    """Where a flyer or image stands: `uploads.state`.

    A file an edit takes away, and the uploads of a withdrawn, rejected or erased post,
    have no row at all (uploads/erasure.py): there is no "removed" state.
    """

    PENDING = "pending"  # stored privately; the publish job copies it into the site
    PROPOSED = "proposed"  # a new file of an edit under review, never published
    LIVE = "live"  # copied into the site


# The files a post keeps, and those a moderator may preview.
UPLOAD_KEPT = (UploadState.PENDING, UploadState.LIVE)
UPLOAD_PREVIEWED = (*UPLOAD_KEPT, UploadState.PROPOSED)
