"""Load, once in the worker's parent process, what every publication needs.

rq forks a work-horse per job. Whatever the parent has imported, the horse starts with;
whatever it has not, every publication imports again: Pelican's plugins, Markdown and
its extensions, the feed and calendar writers. Building the incremental publisher's
renderer once, for a scratch folder, imports all of it.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from intake.config import Settings

log = logging.getLogger(__name__)


def warm_up(settings: Settings) -> None:
    """Import what a publication uses; a failure only costs the horses the time."""
    from .build import pelican_settings
    from .incremental import SiteRenderer

    try:
        with tempfile.TemporaryDirectory(prefix="hiroba-warm-") as scratch:
            SiteRenderer(pelican_settings(settings, Path(scratch), incremental=True))
    except Exception as exc:  # the jobs import it themselves then
        log.warning("could not preload the publisher (%s: %s)", type(exc).__name__, exc)
