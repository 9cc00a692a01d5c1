"""Moderators' decisions on posts and on edits of live posts: approve (optionally with
edits), reject with a reason, one by one or in bulk.

Every decision is a Decision row and an audit entry, committed with its effect, and owes
two tasks: publishing (approvals) and the mail that tells the poster (always). Each item
of a bulk decision commits alone, so one that was meanwhile decided elsewhere fails by
itself and the others still go through.

A decision applies to the version the moderator was shown: a waiting post's is its
updated_at (the "seen" stamp of the review page and of each queue row), an edit of a live
post's is the revision itself (a newer edit supersedes it). A version the poster changed
since raises ChangedMeanwhile and nothing is decided.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from .. import jobs, outbox
from ..errors import InvalidTransition, NotFound, StoreUnavailable
from ..models import Decision, Post, PostRevision, Task, utcnow
from ..posts import edit_files as post_edit_files
from ..posts import fields as post_fields
from ..posts.fields import Fields
from ..posts.models import POST_WAITING, PostStatus, RevisionStatus
from ..posts.services import PostData, lock_post
from ..protection import audit
from ..runtime import Runtime
from ..store import transaction
from ..uploads.erasure import delete_upload_rows, remove_folders
from .models import DecisionAction
from .records import record_decision

KINDS = ("post", "revision")


@dataclass(frozen=True)
class Subject:
    """A queue item: a waiting post, or a pending edit (revision) of a live post."""

    kind: str
    id: int

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.id}"

    @classmethod
    def parse(cls, key: str) -> Subject | None:
        """Return the subject a form's item key names, or None for anything malformed."""
        kind, _, number = key.partition("-")
        if kind not in KINDS or not number.isdigit() or len(number) > 12:
            return None
        return cls(kind, int(number))


class ChangedMeanwhile(InvalidTransition):
    """The poster edited the post after the moderator opened it: review the new version."""


def seen_stamp(updated_at: datetime) -> str:
    """Return the stamp a page carries of the waiting post's version it shows."""
    return updated_at.isoformat()


def _check_seen(post: Post, seen: str | None) -> None:
    """Refuse a decision on a waiting post whose version is not the one the page showed."""
    if seen is not None and seen_stamp(post.updated_at) != seen:
        raise ChangedMeanwhile(f"post {post.id} changed")


@dataclass
class BulkResult:
    """Which items a bulk decision decided, and which failed and why (a short code)."""

    done: list[Subject] = field(default_factory=list)
    failed: list[tuple[Subject, str]] = field(default_factory=list)


def _record(
    session: Session,
    moderator_id: int,
    subject: Subject,
    action: str,
    reason: str = "",
    edits: dict[str, list[Any]] | None = None,
) -> Decision:
    """Add the Decision row and its audit entry (names of edited fields only, never values)."""
    decision = record_decision(
        session, moderator_id, subject.kind, subject.id, action, reason, edits or None
    )
    session.flush()
    detail = action + (f" with edits: {', '.join(edits)}" if edits else "")
    audit.record(
        session, moderator_id, f"decide_{subject.kind}", subject.kind, subject.id, 0, detail
    )
    return decision


def _pending_revision(session: Session, revision_id: int) -> tuple[PostRevision, Post]:
    revision = session.get(PostRevision, revision_id, with_for_update=True)
    if revision is None:
        raise NotFound(f"revision {revision_id}")
    post = session.get(Post, revision.post_id, with_for_update=True)
    assert post is not None
    if revision.status == RevisionStatus.SUPERSEDED:
        raise ChangedMeanwhile(f"revision {revision_id} was superseded by a newer edit")
    if revision.status != RevisionStatus.PENDING or post.status != PostStatus.APPROVED:
        raise InvalidTransition(f"revision {revision_id} is {revision.status}")
    return revision, post


def _final(proposed: Fields, edited: PostData | None, kind: str | None) -> Fields:
    """Return the version to publish: the moderator's edit of the proposal, if any."""
    final = dict(proposed) if edited is None else post_fields.from_data(edited)
    if kind is not None:
        final["kind"] = kind  # a live post keeps its kind (its page's address)
    return final


def approve(
    rt: Runtime,
    moderator_id: int,
    subject: Subject,
    edited: PostData | None = None,
    seen: str | None = None,
) -> int:
    """Approve a waiting post or an edit, with the moderator's changes if edited; return the
    decision's id. The post is (re)published and the poster told, both by the worker.

    seen is the post's updated_at the moderator's page showed; a later edit by the poster
    raises ChangedMeanwhile rather than being overwritten by the older version.
    """
    erase: list[str] = []
    with transaction(rt.sessions) as session:
        if subject.kind == "post":
            post = lock_post(session, subject.id, POST_WAITING)
            _check_seen(post, seen)
            proposed = post_fields.from_post(post)
            final = _final(proposed, edited, None)
            post.status, post.reject_reason = PostStatus.APPROVED, ""
            post.approved_at = utcnow()
        else:
            revision, post = _pending_revision(session, subject.id)
            proposed = post_fields.from_post(post) | post_fields.decode(revision.data)
            final = _final(proposed, edited, post.kind)
            revision.status, revision.decided_at = RevisionStatus.APPROVED, utcnow()
            revision.moderator_id = moderator_id
            erase = post_edit_files.apply_revision(session, revision)
        edits = post_fields.changed(proposed, final)
        post_fields.apply(post, final)
        post.updated_at = utcnow()
        decision = _record(session, moderator_id, subject, DecisionAction.APPROVE, edits=edits)
        tasks = _tell(session, decision.id, publish=post.id)
        decision_id = decision.id
    remove_folders(rt.settings, erase)  # files the edit took away (the site's copies: publish)
    outbox.enqueue_tasks(rt.queue, tasks)
    return decision_id


def reject(
    rt: Runtime, moderator_id: int, subject: Subject, reason: str, seen: str | None = None
) -> int:
    """Reject a waiting post or an edit with the reason the poster reads; return the decision's
    id. A rejected edit leaves the live version as it was.

    seen is checked as approve checks it: the reason was written for the version shown.

    A rejected post's flyers and images are erased with the rejection, not kept for a
    later erasure: they were never public, may show names, faces and phone numbers, and
    are often the very reason for the rejection. A poster who edits and resubmits attaches
    the files again, corrected where needed; a rejected post that is never resubmitted
    (nothing else would ever expire it) keeps no personal data in files meanwhile.
    """
    tokens: list[str] = []
    with transaction(rt.sessions) as session:
        if subject.kind == "post":
            post = lock_post(session, subject.id, POST_WAITING)
            _check_seen(post, seen)
            post.status, post.reject_reason = PostStatus.REJECTED, reason
            post.updated_at = utcnow()
            tokens = delete_upload_rows(session, [post.id])
        else:
            revision, _post = _pending_revision(session, subject.id)
            revision.status, revision.decided_at = RevisionStatus.REJECTED, utcnow()
            revision.moderator_id = moderator_id
            tokens = post_edit_files.drop_proposed(session, [revision.id])  # never published
        decision = _record(session, moderator_id, subject, DecisionAction.REJECT, reason=reason)
        tasks = _tell(session, decision.id, publish=None)
        decision_id = decision.id
    remove_folders(rt.settings, tokens)
    outbox.enqueue_tasks(rt.queue, tasks)
    return decision_id


def _tell(session: Session, decision_id: int, publish: int | None) -> list[Task]:
    """Owe the publication (when approving) and the poster's mail, in the decision's commit."""
    tasks = [outbox.add_task(session, jobs.PUBLISH_POST, publish)] if publish else []
    tasks.append(outbox.add_task(session, jobs.SEND_POST_DECISION, decision_id))
    return tasks


FAILURES: dict[type[Exception], str] = {
    ChangedMeanwhile: "changed",
    NotFound: "missing",
    InvalidTransition: "decided",
    StoreUnavailable: "unavailable",
}


def decide_many(
    rt: Runtime,
    moderator_id: int,
    subjects: list[Subject],
    seen: Mapping[Subject, str],
    approving: bool,
    reason: str = "",
) -> BulkResult:
    """Approve (as submitted) or reject with one reason each item, each in its own commit.

    seen holds each waiting post's stamp as the queue showed it; a post without one, or
    changed since, is refused as "changed" (an edit's version is its revision's id).
    """
    result = BulkResult()
    for subject in dict.fromkeys(subjects):
        stamp = seen.get(subject, "") if subject.kind == "post" else None
        try:
            if approving:
                approve(rt, moderator_id, subject, seen=stamp)
            else:
                reject(rt, moderator_id, subject, reason, seen=stamp)
        except (NotFound, InvalidTransition, StoreUnavailable) as exc:
            result.failed.append((subject, FAILURES[type(exc)]))
        else:
            result.done.append(subject)
    return result
