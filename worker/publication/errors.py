"""What stops a publication to the bucket."""

from __future__ import annotations


class Fenced(Exception):
    """A newer publication claimed the bucket (or published a newer revision): this one
    stops and writes nothing more."""


class UploadFailed(Exception):
    """An object could not be written to or deleted from the bucket."""
