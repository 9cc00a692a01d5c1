"""Jobs of notices: rewrite the site-wide banner's stylesheet when a banner is set or cleared.

Operator notices need no job of their own: they are posts and publish with publish_post.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from intake.runtime import Runtime

from ..publication.banner import sync_banner
from ..tasks import tracked


@tracked
def write_banner(rt: Runtime, session: Session, banner_id: int) -> None:
    """Write /banner.css as the database says now (whichever banner the task named)."""
    sync_banner(rt)
