"""One publisher at a time: a publication claims a token on the site_state row (under
SELECT … FOR UPDATE) and checks it before each batch it writes and when it commits; a newer
claim, or a newer revision already published, stops an older publication.

The token stays on the row after the publication finished, until the next claim: so the
next publication learns whose manifest it starts from (snapshot.py)."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy.orm import Session

from intake.models import SiteState
from intake.runtime import Runtime
from intake.store import transaction

from .errors import Fenced

log = logging.getLogger(__name__)


def _state(session: Session) -> SiteState:
    state = session.get(SiteState, 1, with_for_update=True)
    if state is None:
        state = SiteState(id=1, requested_rev=0, built_rev=0, published_rev=0, publisher_token="")
        session.add(state)
        session.flush()
    return state


def claim(rt: Runtime, rev: int) -> tuple[str, str]:
    """Claim the bucket for revision rev; return the token and the previous claim's (no
    one else has written the manifest since that claim); raise Fenced when the bucket
    already holds a newer revision."""
    with transaction(rt.sessions) as session:
        state = _state(session)
        if rev < state.published_rev:
            raise Fenced(
                f"publication of revision {rev} refused: the bucket holds revision "
                f"{state.published_rev}"
            )
        token, previous = uuid.uuid4().hex, state.publisher_token
        state.publisher_token = token
    return token, previous


def check(session: Session, rev: int, token: str) -> SiteState:
    """Lock the site_state row and return it if token still holds the bucket and rev is
    not older than what it holds; else raise Fenced (the caller's transaction rolls back)."""
    state = _state(session)
    if state.publisher_token != token:
        raise Fenced(
            f"publication of revision {rev} stopped: a newer publication claimed the bucket"
        )
    if rev < state.published_rev:
        raise Fenced(
            f"publication of revision {rev} stopped: the bucket holds revision "
            f"{state.published_rev}"
        )
    return state


def void(session: Session) -> None:
    """Leave the bucket claimed by no publication: every claim so far is refused at its
    next check, and no host trusts its copy of the manifest (snapshot.py), so the next
    publication compares the whole folder with the database's manifest."""
    _state(session).publisher_token = uuid.uuid4().hex


def finish(session: Session, rev: int, token: str) -> None:
    """Check the fence once more and record rev as the bucket's revision (the token stays,
    naming the manifest this publication leaves, until the next claim)."""
    state = check(session, rev, token)
    state.published_rev = rev
