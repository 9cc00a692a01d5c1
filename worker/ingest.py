"""Ingest jobs: move acknowledged submissions into the moderation queue or allocate places."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.models import Account, Application, Post, utcnow
from intake.runtime import Runtime

from .tasks import tracked


@tracked
def ingest_account(rt: Runtime, session: Session, account_id: int) -> None:
    """Put a received registration in front of the moderators."""
    account = session.get(Account, account_id)
    if account is not None and account.status == "received":
        account.status = "pending"


@tracked
def ingest_post(rt: Runtime, session: Session, post_id: int) -> None:
    """Put a received post in front of the moderators."""
    post = session.get(Post, post_id)
    if post is not None and post.status == "received":
        post.status = "pending"


@tracked
def ingest_application(rt: Runtime, session: Session, application_id: int) -> None:
    """Confirm an application while places remain, otherwise put it on the waiting list."""
    application = session.get(Application, application_id)
    if application is None or application.status != "received":
        return
    post = session.get(Post, application.post_id, with_for_update=True)
    assert post is not None
    taken = (
        session.scalar(
            select(func.sum(Application.party_size)).where(
                Application.post_id == post.id, Application.status == "confirmed"
            )
        )
        or 0
    )
    fits = post.capacity is None or taken + application.party_size <= post.capacity
    application.status = "confirmed" if fits else "waitlisted"
    application.processed_at = utcnow()
