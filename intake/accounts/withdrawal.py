"""Withdrawal (退会): an individual or group closes its account and its personal data is erased.

Erased means gone from the database: the persons' rows, pending change requests and
password-reset tokens are deleted (SQLite runs with secure_delete, so the freed pages are
overwritten), and the sealed login ID is nulled. The account row stays, without anything
personal, so that posts and decisions still point somewhere and the audit log can say
what was erased and how much. The private flyers and images of the account's posts are
erased (rows and files), except those of posts that stay on the site anonymously.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from .. import jobs, outbox
from ..errors import HirobaError, InvalidTransition, NotFound
from ..models import Account, ChangeRequest, PasswordResetToken, Post, Task
from ..posts.models import POST_WAITING, PostStatus
from ..protection import audit
from ..runtime import Runtime
from ..store import transaction
from ..uploads.erasure import delete_upload_rows, remove_folders
from .models import AccountStatus
from .passwords import verify_password
from .sessions import end_account_sessions

log = logging.getLogger(__name__)
WITHDRAWN_NAME = "退会した利用者"
# A stored value that is no Argon2 hash: no password ever verifies against it.
UNUSABLE_PASSWORD = "!withdrawn"  # noqa: S105 - a marker, not a password
OPEN_POST_STATUSES = (*POST_WAITING, PostStatus.APPROVED)


class WrongPassword(HirobaError):
    """The password given to confirm the withdrawal is not the account's."""


@dataclass
class Erasure:
    """What a withdrawal erased and did to the account's posts (counts only)."""

    persons: int
    change_requests: int
    reset_tokens: int
    posts_unpublished: int
    posts_kept_anonymous: int


def withdraw(rt: Runtime, account_id: int, password: str) -> Erasure:
    """Close an active individual or group account and erase its personal data, audited."""
    keep_posts = rt.settings.deployment.withdrawal_posts == "keep_anonymous"
    with transaction(rt.sessions) as session:
        account = session.get(Account, account_id, with_for_update=True)
        if account is None or account.kind not in ("individual", "group"):
            raise NotFound(f"account {account_id}")
        if account.status != AccountStatus.ACTIVE:
            raise InvalidTransition(f"account {account_id} is {account.status}")
        if not verify_password(account.password_hash, password):
            raise WrongPassword(str(account_id))
        tokens = _delete_all(session, PasswordResetToken, account_id)
        requests = _delete_all(session, ChangeRequest, account_id)
        persons = len(account.persons)
        account.persons.clear()  # delete-orphan: the rows are deleted, not blanked
        account.login_enc = None
        account.login_index = None
        account.password_hash = UNUSABLE_PASSWORD
        account.public_name = WITHDRAWN_NAME
        account.profile = ""
        account.topics = ""
        account.areas = ""
        account.status = AccountStatus.WITHDRAWN
        unpublished, kept = 0, 0
        tasks: list[Task] = []
        if account.profile_public:  # the public profile leaves the site with the account
            tasks.append(outbox.add_task(session, jobs.PUBLISH_PROFILES, account_id))
        account.profile_public = False
        account.website = account.public_contact = account.profile_pending = ""
        posts = list(
            session.scalars(
                select(Post).where(
                    Post.account_id == account_id, Post.status.in_(OPEN_POST_STATUSES)
                )
            )
        )
        for post in posts:
            was_live = post.status == PostStatus.APPROVED
            if keep_posts and was_live:
                post.contact_public = ""  # it may name the person who left
                kept += 1
            else:
                post.status = PostStatus.WITHDRAWN
                unpublished += 1
            if was_live or post.published_hash is not None:
                tasks.append(outbox.add_task(session, jobs.PUBLISH_POST, post.id))
        # Every post of the account that does not stay live (also rejected, taken-down
        # and archived ones, which nobody can bring back now) loses its private files.
        erased = session.scalars(
            select(Post.id).where(Post.account_id == account_id, Post.status != PostStatus.APPROVED)
        )
        upload_tokens = delete_upload_rows(session, list(erased))
        audit.record(
            session,
            account_id,
            "erase_personal_data",
            "account",
            account_id,
            count=persons,
            detail=(
                f"withdrawal; persons={persons}; change_requests={requests}; "
                f"reset_tokens={tokens}; posts_unpublished={unpublished}; "
                f"posts_kept_anonymous={kept}; uploads={len(upload_tokens)}"
            ),
        )
    remove_folders(rt.settings, upload_tokens)
    outbox.enqueue_tasks(rt.queue, tasks)
    end_account_sessions(rt.redis, rt.settings.redis_prefix, account_id)
    return Erasure(
        persons=persons,
        change_requests=requests,
        reset_tokens=tokens,
        posts_unpublished=unpublished,
        posts_kept_anonymous=kept,
    )


def _delete_all(
    session: Session, model: type[PasswordResetToken] | type[ChangeRequest], account_id: int
) -> int:
    """Delete an account's rows of model; return how many there were."""
    where = model.account_id == account_id
    count = session.scalar(select(func.count()).select_from(model).where(where)) or 0
    session.execute(delete(model).where(where))
    return count
