"""Posters edit and withdraw their own posts, and see where each one stands.

A waiting post is edited in place. A live post is never changed by its poster: the edit
is stored as a PostRevision that moderators review while the approved version stays
live; a newer edit supersedes an older pending one; files change the same way
(post_edit_files.py). Withdrawing erases the post's private files at once and unpublishes
through the ordinary publish job, which removes the page (and the published copies of the
files) of any post that is not approved.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from .. import jobs, outbox
from ..errors import InvalidTransition, NotFound
from ..models import Decision, Post, PostRevision, Upload, utcnow
from ..runtime import Runtime
from ..store import transaction
from ..uploads.erasure import delete_upload_rows, remove_folders
from ..uploads.services import stage_attachments
from . import edit_files as post_edit_files
from . import fields as post_fields
from .models import POST_WAITING, PostStatus, RevisionStatus
from .services import PostData

EDITABLE = (*POST_WAITING, PostStatus.REJECTED, PostStatus.APPROVED)
WITHDRAWABLE = EDITABLE


@dataclass(frozen=True)
class EditOutcome:
    """What an edit did: "updated" in place, "resubmitted" after a rejection, or "revision"."""

    outcome: str
    revision_id: int | None = None


def owned_post(session: Session, account_id: int, post_id: int, lock: bool = False) -> Post:
    """Return the caller's own post; anyone else's is NotFound (its existence stays hidden)."""
    post = session.get(Post, post_id, with_for_update=lock)
    if post is None or post.account_id != account_id:
        raise NotFound(f"post {post_id}")
    return post


def pending_revision(session: Session, post_id: int) -> PostRevision | None:
    """Return a post's edit awaiting review, if any."""
    return session.scalars(
        select(PostRevision)
        .where(PostRevision.post_id == post_id, PostRevision.status == RevisionStatus.PENDING)
        .order_by(PostRevision.id.desc())
        .limit(1)
    ).first()


def fields_for_editing(rt: Runtime, account_id: int, post_id: int) -> tuple[Post, dict[str, Any]]:
    """Return the poster's post and the fields its edit form starts from.

    For a live post with an edit under review, that is the edit (the poster continues it).
    """
    with rt.sessions() as session:
        post = owned_post(session, account_id, post_id)
        if post.status not in EDITABLE:
            raise InvalidTransition(f"post {post_id} is {post.status}")
        revision = (
            pending_revision(session, post_id) if post.status == PostStatus.APPROVED else None
        )
        fields = post_fields.from_post(post)
        if revision is not None:
            fields.update(post_fields.decode(revision.data))
        return post, fields


def editable_files(
    rt: Runtime, account_id: int, post_id: int
) -> tuple[list[post_edit_files.EditableFile], list[str]]:
    """Return the files the poster's edit form lists, and those the edit under review removes."""
    with rt.sessions() as session:
        post = owned_post(session, account_id, post_id)
        revision = (
            pending_revision(session, post_id) if post.status == PostStatus.APPROVED else None
        )
        return post_edit_files.editable_files(session, post, revision)


def edit_post(
    rt: Runtime,
    account_id: int,
    post_id: int,
    data: PostData,
    files: post_edit_files.FileEdit | None = None,
) -> EditOutcome:
    """Apply a poster's edit: in place while waiting, as a revision under review once live.

    New files are written first and deleted again if the edit does not commit; files the
    edit takes away from a waiting post, or from an edit it supersedes, are erased.
    """
    files = files or post_edit_files.FileEdit()
    staged = stage_attachments(rt.settings, files.add)
    try:
        outcome, erase = _edit(rt, account_id, post_id, data, files.remove, staged)
    except BaseException:
        remove_folders(rt.settings, [row.token for row in staged])
        raise
    remove_folders(rt.settings, erase)
    return outcome


def _edit(
    rt: Runtime,
    account_id: int,
    post_id: int,
    data: PostData,
    remove: frozenset[str],
    staged: list[Upload],
) -> tuple[EditOutcome, list[str]]:
    fields = post_fields.from_data(data)
    with transaction(rt.sessions) as session:
        post = owned_post(session, account_id, post_id, lock=True)
        fields["kind"] = post.kind  # the kind fixes the page's address; it is not edited
        if post.status in POST_WAITING or post.status == PostStatus.REJECTED:
            resubmitted = post.status == PostStatus.REJECTED
            post_fields.apply(post, fields)
            post.updated_at = utcnow()
            if resubmitted:
                post.status, post.reject_reason = PostStatus.PENDING, ""
            erase = post_edit_files.change_in_place(session, post, account_id, remove, staged)
            return EditOutcome("resubmitted" if resubmitted else "updated"), erase
        if post.status != PostStatus.APPROVED:
            raise InvalidTransition(f"post {post_id} is {post.status}")
        previous = pending_revision(session, post_id)
        _close_pending(session, post_id, RevisionStatus.SUPERSEDED)
        revision = PostRevision(post_id=post_id, data=post_fields.encode(fields))
        session.add(revision)
        session.flush()
        erase = post_edit_files.change_by_revision(
            session, post, account_id, revision, previous, remove, staged
        )
        return EditOutcome("revision", revision.id), erase


def _close_pending(session: Session, post_id: int, status: RevisionStatus) -> None:
    session.execute(
        update(PostRevision)
        .where(PostRevision.post_id == post_id, PostRevision.status == RevisionStatus.PENDING)
        .values(status=status, decided_at=utcnow())
    )


def withdraw_post(rt: Runtime, account_id: int, post_id: int) -> None:
    """Withdraw a poster's own post (取り下げ) and erase its private files; a live page is
    removed by the publish job."""
    with transaction(rt.sessions) as session:
        post = owned_post(session, account_id, post_id, lock=True)
        if post.status not in WITHDRAWABLE:
            raise InvalidTransition(f"post {post_id} is {post.status}")
        post.status = PostStatus.WITHDRAWN
        post.withdrawn_at = post.updated_at = utcnow()
        _close_pending(session, post_id, RevisionStatus.WITHDRAWN)
        tokens = delete_upload_rows(session, [post_id])
        task = outbox.add_task(session, jobs.PUBLISH_POST, post_id)
    remove_folders(rt.settings, tokens)
    outbox.enqueue_tasks(rt.queue, [task])


@dataclass
class PosterItem:
    """One row of the poster's page: the post, an edit under review, the last decision."""

    post: Post
    pending_edit: PostRevision | None = None
    decision: Decision | None = None
    decision_on_edit: bool = False
    edits: list[str] = field(default_factory=list)

    @property
    def can_edit(self) -> bool:
        return self.post.status in EDITABLE

    @property
    def can_withdraw(self) -> bool:
        return self.post.status in WITHDRAWABLE


def poster_overview(rt: Runtime, account_id: int) -> list[PosterItem]:
    """Return an account's posts, newest first, with edits under review and last decisions."""
    with rt.sessions() as session:
        posts = list(
            session.scalars(
                select(Post).where(Post.account_id == account_id).order_by(Post.id.desc())
            )
        )
        ids = [p.id for p in posts]
        revisions = list(session.scalars(select(PostRevision).where(PostRevision.post_id.in_(ids))))
        revision_post = {r.id: r.post_id for r in revisions}
        decisions = session.scalars(
            select(Decision)
            .where(
                or_(
                    (Decision.subject_kind == "post") & Decision.subject_id.in_(ids),
                    (Decision.subject_kind == "revision")
                    & Decision.subject_id.in_(list(revision_post)),
                )
            )
            .order_by(Decision.id)
        )
        latest: dict[int, Decision] = {}
        for decision in decisions:
            post_id = (
                decision.subject_id
                if decision.subject_kind == "post"
                else revision_post[decision.subject_id]
            )
            latest[post_id] = decision
        pending = {r.post_id: r for r in revisions if r.status == RevisionStatus.PENDING}
        items = []
        for post in posts:
            last = latest.get(post.id)
            items.append(
                PosterItem(
                    post=post,
                    pending_edit=pending.get(post.id),
                    decision=last,
                    decision_on_edit=last is not None and last.subject_kind == "revision",
                    edits=post_fields.edits_text(json.loads(last.edits))
                    if last is not None and last.edits
                    else [],
                )
            )
        return items
