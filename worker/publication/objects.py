"""How each file of the site is written to the bucket: its Content-Type and Cache-Control
as nginx would serve it (intake/deploy/headers.py), and which files are pages."""

from __future__ import annotations

import mimetypes
from pathlib import PurePosixPath
from typing import Any

from intake.config.storage import Location
from intake.deploy.headers import CALENDAR_TYPE, cache_control

from .digests import LocalFile

# What nginx sends with `charset utf-8` and Debian's mime.types, written out where Python's
# mimetypes guesses otherwise or differs between machines.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".xml": "text/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".js": "application/javascript; charset=utf-8",
    ".json": "application/json",
    ".css": "text/css",
    ".ics": CALENDAR_TYPE,
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
    ".wasm": "application/wasm",
}
BINARY = "application/octet-stream"
# Files that link to others (pages, feeds, calendars, the search index's entry points):
# written after every other file, so no reader finds one whose links are not there yet.
PAGE_SUFFIXES = frozenset({".html", ".xml", ".ics", ".json"})


def content_type(rel: str) -> str:
    """Return the Content-Type of the site's file at rel."""
    suffix = PurePosixPath(rel).suffix.lower()
    if suffix.startswith(".pf_"):  # Pagefind's gzipped index parts
        return BINARY
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    guessed, _encoding = mimetypes.guess_type(rel, strict=False)
    return guessed or BINARY


def is_page(rel: str) -> bool:
    """Whether rel is a page (written last) rather than an asset pages use."""
    return PurePosixPath(rel).suffix.lower() in PAGE_SUFFIXES


def upload(s3: Any, location: Location, rel: str, local: LocalFile) -> None:
    """Write one file of the site to its key in the bucket, with its headers."""
    with open(local.path, "rb") as body:
        s3.put_object(
            Bucket=location.bucket,
            Key=location.key(rel),
            Body=body,
            ContentLength=local.size,
            ContentType=content_type(rel),
            CacheControl=cache_control(rel),
        )
