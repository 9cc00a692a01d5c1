"""The `[uploads]` table of hiroba.toml: how many flyers and images a post may carry.

Kept apart from deployment.py so that the limits, their checks and the figures derived
from them (bytes, pixels, the request size the post form needs) live in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..validation import N_

MEGABYTE = 1024 * 1024
# Room for the post form's text fields and the multipart framing around the files.
FORM_OVERHEAD_BYTES = 1024 * 1024

# key -> (default, smallest, largest)
BOUNDS: dict[str, tuple[int, int, int]] = {
    "images": (4, 0, 10),
    "pdfs": (2, 0, 5),
    "image_megabytes": (10, 1, 50),
    "pdf_megabytes": (10, 1, 50),
    "image_megapixels": (40, 1, 100),
    "request_megapixels": (50, 1, 1000),
    "hourly_megapixels": (200, 1, 10000),
}


@dataclass(frozen=True)
class UploadLimits:
    """How many files a post may carry, and how large each may be."""

    images: int = 4
    pdfs: int = 2
    image_megabytes: int = 10
    pdf_megabytes: int = 10
    image_megapixels: int = 40
    request_megapixels: int = 50
    hourly_megapixels: int = 200

    @property
    def image_bytes(self) -> int:
        return self.image_megabytes * MEGABYTE

    @property
    def pdf_bytes(self) -> int:
        return self.pdf_megabytes * MEGABYTE

    @property
    def max_pixels(self) -> int:
        """The decompression-bomb guard: no image with more pixels is decoded."""
        return self.image_megapixels * 1_000_000

    @property
    def request_pixels(self) -> int:
        """The most pixels one request's images may have together before any is decoded."""
        return self.request_megapixels * 1_000_000

    @property
    def hourly_pixels(self) -> int:
        """The most pixels one account's images may have within an hour."""
        return self.hourly_megapixels * 1_000_000

    @property
    def request_bytes(self) -> int:
        """The largest post-form request: every file at its limit, plus the text fields."""
        return self.images * self.image_bytes + self.pdfs * self.pdf_bytes + FORM_OVERHEAD_BYTES


def load_upload_limits(doc: dict[str, Any], path: Path) -> UploadLimits:
    """Read [uploads] of a parsed hiroba.toml; every key is optional."""
    table = doc.get("uploads", {})
    if not isinstance(table, dict):
        raise ConfigError(
            N_("%(path)s: [%(name)s] は表（テーブル）にしてください。"), path=path, name="uploads"
        )
    values: dict[str, int] = {}
    for key, value in table.items():
        if key not in BOUNDS:
            raise ConfigError(
                N_("%(path)s: %(key)s は知られていないキーです。"), path=path, key=f"uploads.{key}"
            )
        _, low, high = BOUNDS[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ConfigError(
                N_("%(path)s: %(key)s は %(low)s から %(high)s の整数にしてください。"),
                path=path,
                key=f"uploads.{key}",
                low=low,
                high=high,
            )
        values[key] = value
    return UploadLimits(**values)
