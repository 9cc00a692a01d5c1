"""The site-wide banner on the intake's pages: read from the database on every request."""

from __future__ import annotations

from dataclasses import dataclass

from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from ..errors import StoreUnavailable
from ..notices.banner import banner_line, current
from ..runtime import Runtime
from .locale import select_locale


@dataclass(frozen=True)
class ShownBanner:
    """What a page shows: the level (for its style) and the line in the page's language."""

    level: str
    line: str


def banner_of_request(rt: Runtime) -> ShownBanner | None:
    """Return the banner showing now in the request's language; None when there is none or
    the database cannot answer (the error page that says so must still render)."""
    try:
        banner = current(rt)
    except (SQLAlchemyError, StoreUnavailable, RedisError):
        return None
    if banner is None:
        return None
    return ShownBanner(level=banner.level, line=banner_line(banner, select_locale()))
