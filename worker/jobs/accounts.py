"""Ingest jobs: move acknowledged submissions into the moderation queue; mail applicants."""

from __future__ import annotations

from sqlalchemy.orm import Session

from intake.models import Account, Post
from intake.runtime import Runtime

from .application_mail import mail_standing
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
    """Mail the applicant their confirmation or waiting-list place (allocated in the request)."""
    mail_standing(rt, session, application_id, promoted=False)
