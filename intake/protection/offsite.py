"""Off-site copies of the (already encrypted) backups in a bucket of S3-compatible storage.

`hiroba backup --to s3://bucket/prefix` and, with `[backup] offsite` in hiroba.toml, every
scheduled backup put their file under the prefix by its own name, with server-side
encryption (AES256) on top of the backup's own. `hiroba restore s3://bucket/prefix/<name>`
fetches one back first. At contract end `hiroba erase-personal-data` deletes the backups
under `[backup] offsite` that carry Hiroba's own names (own_backups), and nothing else there.
The client is the shared one (intake.objectstore): boto3's
credential chain, HIROBA_S3_ENDPOINT_URL and HIROBA_S3_REGION.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from .. import objectstore
from ..config import Settings
from ..config.storage import Location, parse_location
from ..errors import ConfigError
from ..validation import N_
from .sealed_stream import BackupError

SSE = {"ServerSideEncryption": "AES256"}
# The names Hiroba gives the backups it writes: `hiroba backup` (also with --to) and
# `hiroba backup --scheduled`, each with its UTC stamp to the microsecond.
OWN_NAME = re.compile(r"hiroba-(?:scheduled-)?\d{8}T\d{12}Z\.backup")


class OffsiteError(BackupError):
    """The bucket could not be written, read or listed."""


def bucket_location(name: str, url: str) -> Location:
    """Return the bucket location of an s3:// URL; ConfigError for anything else."""
    location = parse_location(name, url)
    if not location.is_s3:
        raise ConfigError(
            N_(
                "%(name)s=%(url)s: オフサイトバックアップの送り先はバケット（s3://bucket/prefix）です。"
            ),
            name=name,
            url=url,
        )
    return location


def _failed(message: str, exc: Exception, **values: object) -> OffsiteError:
    """Return the error of a failed bucket operation: message (an id with %(reason)s)."""
    reason = " ".join(str(exc).split())[:300]
    return OffsiteError(message, reason=f"{type(exc).__name__}: {reason}", **values)


def _errors() -> tuple[type[Exception], ...]:
    from boto3.exceptions import Boto3Error
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError, Boto3Error, OSError)


def push(settings: Settings, path: Path, location: Location) -> str:
    """Upload the backup file at path under location's prefix; return its s3:// URL."""
    key = location.key(path.name)
    url = f"s3://{location.bucket}/{key}"
    try:
        objectstore.client(settings).upload_file(
            str(path), location.bucket, key, ExtraArgs=dict(SSE)
        )
    except _errors() as exc:
        raise _failed(
            N_("%(name)s を %(url)s にコピーできませんでした（%(reason)s）。"),
            exc,
            name=path.name,
            url=url,
        ) from None
    return url


def fetch(settings: Settings, url: str, folder: Path) -> Path:
    """Download the backup at an s3:// URL into folder (mode 0600); return the file."""
    location = bucket_location("restore", url)
    name = PurePosixPath(location.prefix.rstrip("/")).name
    if not name:
        raise ConfigError(
            N_(
                "%(url)s はバケットしか指していません。バックアップファイルの名前まで"
                "指定してください（s3://bucket/…/name）。"
            ),
            url=url,
        )
    target = folder / name
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            objectstore.client(settings).download_fileobj(
                location.bucket, location.prefix.rstrip("/"), handle
            )
    except _errors() as exc:
        target.unlink(missing_ok=True)
        raise _failed(N_("%(url)s を取得できませんでした（%(reason)s）。"), exc, url=url) from None
    return target


def names(settings: Settings, location: Location) -> dict[str, str]:
    """Return {file name: key} of the objects directly under location's prefix."""
    found: dict[str, str] = {}
    try:
        for key in objectstore.list_keys(objectstore.client(settings), location):
            rest = key[len(location.prefix) :]
            if rest and "/" not in rest:
                found[rest] = key
    except _errors() as exc:
        raise _failed(
            N_("%(where)s の一覧を取得できませんでした（%(reason)s）。"),
            exc,
            where=location.describe(),
        ) from None
    return found


def delete(settings: Settings, location: Location, keys: Iterable[str]) -> int:
    """Delete these keys from location's bucket; return how many."""
    try:
        return objectstore.delete_keys(objectstore.client(settings), location.bucket, keys)
    except _errors() as exc:
        raise _failed(
            N_("%(where)s の古いバックアップを削除できませんでした（%(reason)s）。"),
            exc,
            where=location.describe(),
        ) from None


def own_backups(settings: Settings, location: Location) -> list[str]:
    """Return the keys directly under location's prefix that carry Hiroba's backup names."""
    return sorted(
        key for name, key in names(settings, location).items() if OWN_NAME.fullmatch(name)
    )
