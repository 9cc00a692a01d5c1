"""Signed values of the applying flow: the view-or-cancel link and the form's start stamp.

Both are signed with the deployment's secret key (keys/secret.key) through itsdangerous,
each under its own salt, so a value made for one purpose is refused for the other. The
link carries only the application's id and its expiry (a day after the event), never
personal data; the mail job computes it again from the id, so no token is stored.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeSerializer

from ..errors import HirobaError
from ..formatting import dates
from ..models import Post

LINK_SALT = "hiroba.application-link"
STAMP_SALT = "hiroba.apply-form-started"
# A link without an event date stays usable this long after it was made.
UNDATED_LINK_DAYS = 180
# A form left open longer than this is refused as stale (its stamp is too old).
STAMP_MAX_AGE = 24 * 3600


class BadLink(HirobaError):
    """A view-or-cancel link that was altered, made with another key, or has expired."""


def local_now() -> datetime:
    """Return the wall-clock time in Tokyo without tzinfo, comparable with event times."""
    return dates.japan_now()


def application_path(token: str) -> str:
    """Return the intake path of an application's view-or-cancel page."""
    return f"/app/applications/{token}"


def link_expiry(post: Post, now: datetime | None = None) -> datetime:
    """Return when an application's link stops working: one day after the event ends."""
    end = post.ends_at or post.starts_at
    if end is None:
        return (now or local_now()) + timedelta(days=UNDATED_LINK_DAYS)
    return end + timedelta(days=1)


def make_link_token(secret: bytes, application_id: int, expires: datetime) -> str:
    """Return the signed token of an application's view-or-cancel link."""
    serializer = URLSafeSerializer(secret, salt=LINK_SALT)
    return str(serializer.dumps([application_id, int(expires.replace(tzinfo=UTC).timestamp())]))


def read_link_token(secret: bytes, token: str, now: datetime | None = None) -> int:
    """Return the application id of a token, or raise BadLink."""
    serializer = URLSafeSerializer(secret, salt=LINK_SALT)
    try:
        application_id, expires = serializer.loads(token)
    except (BadSignature, ValueError, TypeError):
        raise BadLink("link signature") from None
    if not isinstance(application_id, int) or not isinstance(expires, int):
        raise BadLink("link payload")
    # Both sides read wall-clock Tokyo time as if it were UTC: only the comparison matters.
    moment = (now or local_now()).replace(tzinfo=UTC)
    if moment.timestamp() > expires:
        raise BadLink("link expired")
    return application_id


def form_stamp(secret: bytes) -> str:
    """Return a signed stamp of the moment a form was handed out."""
    return TimestampSigner(secret, salt=STAMP_SALT).sign(str(time.time())).decode("ascii")


def stamp_age(secret: bytes, stamp: str) -> float | None:
    """Return how many seconds ago a stamp was made, or None when it is forged or stale."""
    signer = TimestampSigner(secret, salt=STAMP_SALT)
    try:
        value = signer.unsign(stamp, max_age=STAMP_MAX_AGE).decode("ascii")
        return max(0.0, time.time() - float(value))
    except (SignatureExpired, BadSignature, ValueError):
        return None
