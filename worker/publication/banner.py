"""The site-wide banner's stylesheet, /banner.css: written beside the builds, never in one.

The file lives in site/banner/ (not in a build folder, so no build and no switch has to
carry it, and a new banner rewrites one small file instead of 40,000 pages). nginx
serves it from there (`hiroba deploy nginx`), so does the intake's live-site view for
`hiroba up`, and when the site is published to a bucket the same bytes are put at the
bucket's banner.css with their short Cache-Control (intake/deploy/headers.py). The
bucket's publication manifest never lists it, so a build's clean-up never deletes it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

from intake import objectstore
from intake.config import Settings
from intake.deploy.headers import cache_control
from intake.notices.banner import active, stylesheet
from intake.runtime import Runtime

from .objects import content_type

log = logging.getLogger(__name__)

NAME = "banner.css"
UPLOADED = ".uploaded"  # the bucket and the digest of the bytes it holds


def banner_dir(settings: Settings) -> Path:
    """Return the folder of the banner's stylesheet (site/banner)."""
    return settings.site_dir / "banner"


def banner_path(settings: Settings) -> Path:
    """Return where /banner.css is kept on this host."""
    return banner_dir(settings) / NAME


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(tmp, 0o644)  # nginx reads it
    os.replace(tmp, path)


def _upload(settings: Settings, data: bytes) -> bool:
    """Put the stylesheet in the bucket unless it holds these bytes already; True if put."""
    location = settings.publish_location
    # Where and what: a new bucket (or prefix) gets the file even if the bytes are the same.
    digest = f"{location.describe()} {hashlib.sha256(data).hexdigest()}"
    marker = banner_dir(settings) / UPLOADED
    if marker.exists() and marker.read_text(encoding="utf-8") == digest:
        return False
    objectstore.client(settings).put_object(
        Bucket=location.bucket,
        Key=location.key(NAME),
        Body=data,
        ContentType=content_type(NAME),
        CacheControl=cache_control("/" + NAME),
    )
    _write(marker, digest)
    return True


def sync_banner(rt: Runtime) -> bool:
    """Bring /banner.css in line with the banner showing now; True when it changed.

    Cheap when nothing changed (one query, one small file read), so the reconciler calls
    it on every pass: that is how a banner leaves the site once its end time passes.
    """
    with rt.sessions() as session:
        text = stylesheet(active(session))
    path = banner_path(rt.settings)
    changed = not path.exists() or path.read_text(encoding="utf-8") != text
    if changed:
        _write(path, text)
        log.info("site-wide banner stylesheet rewritten")
    if rt.settings.publish_location.is_s3:
        changed = _upload(rt.settings, text.encode("utf-8")) or changed
    return changed
