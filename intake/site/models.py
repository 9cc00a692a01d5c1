"""The words a site build is stored with (the table: intake/models.py)."""

from __future__ import annotations

from enum import StrEnum

from ..validation import N_


class BuildStatus(StrEnum):
    """How one site build went: `builds.status`."""

    RUNNING = "running"
    OK = "ok"  # switched live
    FAILED = "failed"  # the previous site stays live
    INTERRUPTED = "interrupted"  # its worker stopped before it finished
    # built, but the bucket of HIROBA_PUBLISH_URL did not take it (unreachable, refused
    # credentials): the bucket keeps its previous site and the publication is retried
    UNPUBLISHED = "unpublished"


# The word each build status is shown as to moderators (never the stored code).
BUILD_STATUS_LABELS: dict[str, str] = {
    BuildStatus.RUNNING: N_("構築中"),
    BuildStatus.OK: N_("成功"),
    BuildStatus.FAILED: N_("失敗"),
    BuildStatus.INTERRUPTED: N_("中断"),
    BuildStatus.UNPUBLISHED: N_("公開先に届かず（前のサイトを公開中）"),
}

# A build that ended (the status panel's and the watch's "last build").
FINISHED = (BuildStatus.OK, BuildStatus.FAILED, BuildStatus.UNPUBLISHED)
# A build that left the public site as it was.
FAILURES = (BuildStatus.FAILED, BuildStatus.UNPUBLISHED)
