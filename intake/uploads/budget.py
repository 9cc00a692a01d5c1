"""Pixels of uploaded images per account and hour: a Redis counter, charged before decoding.

Decoding costs CPU in proportion to pixels, not bytes (a 113 KB PNG can hold 39 million
of them), so each account may have `[uploads] hourly_megapixels` decoded within a fixed
window of an hour that starts with its first image. The counter lives under
`<prefix>:upload-pixels:<account id>` and carries no personal data.
"""

from __future__ import annotations

from redis import Redis

from .. import redis_keys

WINDOW_SECONDS = 3600


def pixels_used(redis: Redis, prefix: str, account_id: int) -> int:
    """Return the pixels charged to an account within its current hour."""
    value = redis.get(redis_keys.upload_pixels(prefix, account_id))
    return int(value) if value is not None else 0


def reserve_pixels(redis: Redis, prefix: str, account_id: int, pixels: int, cap: int) -> bool:
    """Charge pixels to the account's hour; return False (charging nothing) when over cap."""
    key = redis_keys.upload_pixels(prefix, account_id)
    pipe = redis.pipeline()
    pipe.incrby(key, pixels)
    pipe.ttl(key)
    total, ttl = pipe.execute()
    if ttl < 0:  # the first charge of a window (or a key that lost its expiry)
        redis.expire(key, WINDOW_SECONDS)
    if int(total) > cap:
        redis.decrby(key, pixels)
        return False
    return True
