"""Where private uploads and the published site are kept: a folder on this host (the
default, one machine) or a bucket of S3-compatible object storage (several hosts).

``HIROBA_UPLOADS_URL`` and ``HIROBA_PUBLISH_URL`` are ``file:///absolute/folder`` or
``s3://bucket/prefix``; the S3 client takes its credentials from boto3's standard chain
(environment, shared files, instance role) and ``HIROBA_S3_ENDPOINT_URL`` /
``HIROBA_S3_REGION`` for a provider other than AWS.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from ..errors import ConfigError
from ..validation import N_

FILE, S3 = "file", "s3"


@dataclass(frozen=True)
class Location:
    """A place objects live: a folder (kind "file", path set) or a bucket and key prefix
    (kind "s3"; prefix is "" or ends with "/")."""

    kind: str
    path: Path | None = None
    bucket: str = ""
    prefix: str = ""

    @property
    def is_s3(self) -> bool:
        return self.kind == S3

    def key(self, name: str) -> str:
        """Return the object key of name (a relative path) under this location's prefix."""
        return self.prefix + name.lstrip("/")

    def describe(self) -> str:
        """Return the location as the operator wrote it (for logs and `hiroba check`)."""
        return f"s3://{self.bucket}/{self.prefix}" if self.is_s3 else f"file://{self.path}"


def parse_location(name: str, raw: str) -> Location:
    """Parse a file:// or s3:// URL; raise ConfigError with the operator's sentence."""
    parts = urlsplit(raw.strip())
    if parts.scheme == FILE:
        path = Path(unquote(parts.path))
        if parts.netloc not in ("", "localhost") or not path.is_absolute():
            raise ConfigError(
                N_(
                    "%(name)s=%(raw)r: file:// の URL には絶対パスのフォルダーを書きます（file:///srv/…）。"
                ),
                name=name,
                raw=raw,
            )
        # The parent resolved, not the path: the live site's path is a symlink to a build.
        return Location(FILE, path=path.parent.resolve() / path.name)
    if parts.scheme == S3:
        bucket = parts.netloc
        if not bucket or parts.query or parts.fragment:
            raise ConfigError(
                N_("%(name)s=%(raw)r: s3://bucket/prefix の形で書いてください。"),
                name=name,
                raw=raw,
            )
        prefix = parts.path.strip("/")
        return Location(S3, bucket=bucket, prefix=f"{prefix}/" if prefix else "")
    raise ConfigError(
        N_("%(name)s=%(raw)r は file:///folder でも s3://bucket/prefix でもありません。"),
        name=name,
        raw=raw,
    )


def storage_settings(values: dict[str, Any], home: Path, site_dir: Path) -> dict[str, Any]:
    """Resolve the uploads and publication locations and the S3 client's settings."""
    uploads_raw = values["HIROBA_UPLOADS_URL"]
    publish_raw = values["HIROBA_PUBLISH_URL"]
    uploads = (
        parse_location("HIROBA_UPLOADS_URL", uploads_raw)
        if uploads_raw
        else Location(FILE, path=home / "uploads")
    )
    publish = (
        parse_location("HIROBA_PUBLISH_URL", publish_raw)
        if publish_raw
        else Location(FILE, path=site_dir / "current")
    )
    if _overlap(uploads, publish):
        raise ConfigError(
            N_(
                "HIROBA_UPLOADS_URL が HIROBA_PUBLISH_URL の中にある（または逆）と非公開の"
                "添付ファイルが公開されてしまうので、別々のバケットにしてください。"
            )
        )
    return {
        "uploads_location": uploads,
        "publish_location": publish,
        "s3_endpoint_url": values["HIROBA_S3_ENDPOINT_URL"] or "",
        "s3_region": values["HIROBA_S3_REGION"] or "",
    }


def _overlap(one: Location, other: Location) -> bool:
    """Whether one bucket location lies inside the other."""
    if not (one.is_s3 and other.is_s3 and one.bucket == other.bucket):
        return False
    return one.prefix.startswith(other.prefix) or other.prefix.startswith(one.prefix)
