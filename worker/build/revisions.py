"""The content revision counter that folds many publications into one rebuild."""

from __future__ import annotations

from sqlalchemy.orm import Session

from intake.models import SiteState


def site_state(session: Session, for_update: bool = False) -> SiteState:
    """Return the single SiteState row, creating it on first use."""
    state = session.get(SiteState, 1, with_for_update=for_update)
    if state is None:
        state = SiteState(id=1, requested_rev=0, built_rev=0)
        session.add(state)
        session.flush()
    return state


def request_rebuild(session: Session) -> int:
    """Bump the requested revision in the caller's transaction; return it."""
    state = site_state(session, for_update=True)
    state.requested_rev += 1
    return state.requested_rev
