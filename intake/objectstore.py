"""The S3 client every part that keeps objects in a bucket shares (uploads, the published
site, off-site backups): boto3's standard credential chain, the operator's endpoint and
region, and retries in boto3's "standard" mode.

What each part stores, and how, lives with it; this only makes the client and the few
calls they all need. Locations come from intake.config.storage.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from typing import Any

from .config import Settings
from .config.storage import Location

# DeleteObjects takes at most this many keys per call.
DELETE_BATCH = 1000


@functools.lru_cache(maxsize=8)
def _client(endpoint_url: str, region: str) -> Any:
    import boto3  # boto3 takes a while to import: only deployments with a bucket pay for it
    from botocore.config import Config

    config = Config(
        retries={"mode": "standard", "max_attempts": 5},
        connect_timeout=10,
        read_timeout=60,
        max_pool_connections=32,
    )
    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint_url or None, region_name=region or None, config=config
    )


def client(settings: Settings) -> Any:
    """Return the (thread-safe, shared) S3 client of these settings."""
    return _client(settings.s3_endpoint_url, settings.s3_region)


def list_keys(s3: Any, location: Location, under: str = "") -> Iterator[str]:
    """Yield every key under location's prefix (plus under), in key order."""
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=location.bucket, Prefix=location.key(under)):
        for item in page.get("Contents", ()):
            yield item["Key"]


def delete_keys(s3: Any, bucket: str, keys: Iterable[str]) -> int:
    """Delete keys in batches (DeleteObjects); return how many; raise if any failed."""
    batch: list[str] = []
    deleted = 0

    def flush() -> None:
        nonlocal deleted
        if not batch:
            return
        answer = s3.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True}
        )
        errors = answer.get("Errors") or []
        if errors:
            first = errors[0]
            raise OSError(f"could not delete {first.get('Key')}: {first.get('Code')}")
        deleted += len(batch)
        batch.clear()

    for key in keys:
        batch.append(key)
        if len(batch) == DELETE_BATCH:
            flush()
    flush()
    return deleted
