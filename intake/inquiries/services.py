"""Inquiries to the operator: stored sealed from the contact form, answered from the inbox.

The contact form stores one Inquiry with its name, reply address, phone and message
sealed (the category, the status and the language are not personal). The moderators'
inbox lists inquiries by status with nothing personal on the list; opening one decrypts
it and writes an audit entry, and so does every reply. A thread holds internal notes
(never sent) and replies, each reply owed to the worker as a mail task committed with
it (jobs.SEND_INQUIRY_REPLY, the entry's id). Inquiries are deleted with their threads
`[retention] inquiry_days` after their last activity by the worker's retention job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from .. import jobs, outbox
from ..accounts.models import AccountStatus
from ..errors import HirobaError, NotFound
from ..models import Account, Inquiry, InquiryEntry, utcnow
from ..protection import audit
from ..runtime import Runtime
from ..store import transaction
from ..validation import N_
from .models import CATEGORIES, EntryKind, InquiryStatus, ReplyState

PAGE_SIZE = 50


class NoReplyAddress(HirobaError):
    """A reply to an inquiry that left no mail address (only a phone number)."""

    message = N_("この問い合わせにはメールアドレスがありません。電話で回答してください。")


class NotAModerator(HirobaError):
    """An assignee who is not an active moderator."""

    message = N_("担当者は運営の中から選んでください。")


@dataclass(frozen=True)
class InquiryData:
    """What the contact form submits; one of email and phone is given."""

    category: str
    message: str
    name: str
    email: str
    phone: str
    lang: str = "ja"


@dataclass(frozen=True)
class InquirySummary:
    """One row of the inbox: nothing personal, so listing needs no audit entry."""

    id: int
    category: str
    status: str
    created_at: datetime
    updated_at: datetime
    assignee: str
    has_email: bool


@dataclass(frozen=True)
class Entry:
    """One entry of a thread, opened."""

    id: int
    kind: str
    author: str
    body: str
    created_at: datetime
    mail_state: str | None


@dataclass(frozen=True)
class Thread:
    """One inquiry, opened for a moderator, with its notes and replies oldest first."""

    id: int
    category: str
    status: str
    lang: str
    name: str
    email: str
    phone: str
    message: str
    assignee_id: int | None
    created_at: datetime
    entries: list[Entry]


def submit(rt: Runtime, data: InquiryData) -> int:
    """Store one inquiry, sealed; return its id (never shown to the person who asked)."""
    if data.category not in CATEGORIES:
        raise NotFound(f"category {data.category}")
    vault = rt.vault
    with transaction(rt.sessions) as session:
        inquiry = Inquiry(
            category=data.category,
            lang=data.lang,
            name_enc=vault.seal(data.name, "inquiries.name"),
            email_enc=vault.seal(data.email or None, "inquiries.email"),
            phone_enc=vault.seal(data.phone or None, "inquiries.phone"),
            message_enc=vault.seal(data.message, "inquiries.message"),
        )
        session.add(inquiry)
        session.flush()
        return inquiry.id


def _names(session: Session, active_only: bool = False) -> dict[int, str]:
    """Return the moderators' ids and public names (every one, or those who may sign in)."""
    query = select(Account.id, Account.public_name).where(Account.kind == "moderator")
    if active_only:
        query = query.where(Account.status == AccountStatus.ACTIVE)
    return {int(account_id): str(name) for account_id, name in session.execute(query)}


def moderators(rt: Runtime) -> dict[int, str]:
    """Return the moderators an inquiry may be assigned to (active ones): id to public name."""
    with rt.sessions() as session:
        return _names(session, active_only=True)


def inbox(rt: Runtime, status: str | None = None, page: int = 1) -> list[InquirySummary]:
    """Return a page of inquiries (of one status, or all), newest activity first."""
    query = select(Inquiry).order_by(Inquiry.updated_at.desc(), Inquiry.id.desc())
    if status:
        query = query.where(Inquiry.status == status)
    query = query.offset((max(page, 1) - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    with rt.sessions() as session:
        names = _names(session)
        return [
            InquirySummary(
                id=row.id,
                category=row.category,
                status=row.status,
                created_at=row.created_at,
                updated_at=row.updated_at,
                assignee=names.get(row.assignee_id, "") if row.assignee_id else "",
                has_email=row.email_enc is not None,
            )
            for row in session.scalars(query)
        ]


def counts(rt: Runtime) -> dict[str, int]:
    """Return how many inquiries stand in each status."""
    with rt.sessions() as session:
        rows = session.execute(select(Inquiry.status, func.count()).group_by(Inquiry.status))
        found = {str(status): int(n) for status, n in rows}
    return {status: found.get(status, 0) for status in InquiryStatus}


def _inquiry(session: Session, inquiry_id: int) -> Inquiry:
    inquiry = session.get(Inquiry, inquiry_id, with_for_update=True)
    if inquiry is None:
        raise NotFound(f"inquiry {inquiry_id}")
    return inquiry


def view(rt: Runtime, inquiry_id: int, moderator_id: int) -> Thread:
    """Open one inquiry and its thread for a moderator; the reading is audited."""
    vault = rt.vault
    with transaction(rt.sessions) as session:
        inquiry = _inquiry(session, inquiry_id)
        names = _names(session)
        rows = session.scalars(
            select(InquiryEntry)
            .where(InquiryEntry.inquiry_id == inquiry_id)
            .order_by(InquiryEntry.created_at, InquiryEntry.id)
        )
        entries = [
            Entry(
                id=row.id,
                kind=row.kind,
                author=names.get(row.author_id, ""),
                body=vault.open(row.body_enc, "inquiry_entries.body") or "",
                created_at=row.created_at,
                mail_state=row.mail_state,
            )
            for row in rows
        ]
        audit.record(
            session,
            moderator_id,
            "view_inquiry",
            "inquiry",
            inquiry_id,
            detail="moderator opened an inquiry (name, contact, message, thread)",
        )
        return Thread(
            id=inquiry.id,
            category=inquiry.category,
            status=inquiry.status,
            lang=inquiry.lang,
            name=vault.open(inquiry.name_enc, "inquiries.name") or "",
            email=vault.open(inquiry.email_enc, "inquiries.email") or "",
            phone=vault.open(inquiry.phone_enc, "inquiries.phone") or "",
            message=vault.open(inquiry.message_enc, "inquiries.message") or "",
            assignee_id=inquiry.assignee_id,
            created_at=inquiry.created_at,
            entries=entries,
        )


def update(
    rt: Runtime, inquiry_id: int, moderator_id: int, status: str, assignee_id: int | None
) -> None:
    """Set an inquiry's status and assignee (a moderator, or nobody); audited."""
    with transaction(rt.sessions) as session:
        inquiry = _inquiry(session, inquiry_id)
        if assignee_id is not None and assignee_id not in _names(session, active_only=True):
            raise NotAModerator()
        changed = []
        if inquiry.status != status:
            changed.append(f"status {inquiry.status} -> {InquiryStatus(status)}")
            inquiry.status = InquiryStatus(status)
        if inquiry.assignee_id != assignee_id:
            changed.append(f"assignee {inquiry.assignee_id} -> {assignee_id}")
            inquiry.assignee_id = assignee_id
        if not changed:
            return
        inquiry.updated_at = utcnow()
        audit.record(
            session,
            moderator_id,
            "update_inquiry",
            "inquiry",
            inquiry_id,
            detail="; ".join(changed),
        )


def _entry(
    session: Session, rt: Runtime, inquiry: Inquiry, moderator_id: int, kind: EntryKind, body: str
) -> InquiryEntry:
    entry = InquiryEntry(
        inquiry_id=inquiry.id,
        author_id=moderator_id,
        kind=kind,
        body_enc=rt.vault.seal(body, "inquiry_entries.body"),
        mail_state=ReplyState.PENDING if kind == EntryKind.REPLY else None,
    )
    session.add(entry)
    if inquiry.status == InquiryStatus.NEW:
        inquiry.status = InquiryStatus.IN_PROGRESS
    if inquiry.assignee_id is None:
        inquiry.assignee_id = moderator_id  # who answers first takes it up
    inquiry.updated_at = utcnow()
    session.flush()
    return entry


def add_note(rt: Runtime, inquiry_id: int, moderator_id: int, body: str) -> None:
    """Add an internal note to an inquiry's thread (moderators only; never mailed)."""
    with transaction(rt.sessions) as session:
        inquiry = _inquiry(session, inquiry_id)
        entry = _entry(session, rt, inquiry, moderator_id, EntryKind.NOTE, body)
        audit.record(
            session,
            moderator_id,
            "note_inquiry",
            "inquiry",
            inquiry_id,
            detail=f"internal note {entry.id}",
        )


def reply(rt: Runtime, inquiry_id: int, moderator_id: int, body: str) -> int:
    """Keep a reply in the thread and owe its mail to the worker; audited. Return its id."""
    with transaction(rt.sessions) as session:
        inquiry = _inquiry(session, inquiry_id)
        if inquiry.email_enc is None:
            raise NoReplyAddress()
        entry = _entry(session, rt, inquiry, moderator_id, EntryKind.REPLY, body)
        task = outbox.add_task(session, jobs.SEND_INQUIRY_REPLY, entry.id)
        audit.record(
            session,
            moderator_id,
            "reply_inquiry",
            "inquiry",
            inquiry_id,
            detail=f"reply {entry.id} mailed to the person who asked",
        )
        entry_id = entry.id
    outbox.enqueue_tasks(rt.queue, [task])
    return entry_id


@dataclass(frozen=True)
class Reply:
    """What the reply job mails: the address, the inquiry's language and category, the text."""

    address: str
    lang: str
    category: str
    inquiry_id: int
    body: str


def reply_to_send(rt: Runtime, session: Session, entry_id: int) -> Reply | None:
    """Return the reply an entry owes, or None when it is no pending reply (then skipped)."""
    entry = session.get(InquiryEntry, entry_id, with_for_update=True)
    if entry is None or entry.kind != EntryKind.REPLY or entry.mail_state != ReplyState.PENDING:
        return None
    inquiry = session.get(Inquiry, entry.inquiry_id)
    address = rt.vault.open(inquiry.email_enc, "inquiries.email") if inquiry else None
    body = rt.vault.open(entry.body_enc, "inquiry_entries.body")
    if inquiry is None or not address or body is None:
        entry.mail_state = ReplyState.SKIPPED
        return None
    return Reply(address, inquiry.lang, inquiry.category, inquiry.id, body)


def mark_sent(session: Session, entry_id: int) -> None:
    """Record that a reply's mail went out (in the job's transaction)."""
    entry = session.get(InquiryEntry, entry_id)
    if entry is not None:
        entry.mail_state = ReplyState.SENT
        entry.sent_at = utcnow()


def mark_unsent(session: Session, entry_id: int) -> None:
    """Record that a reply cannot be mailed (no mail server): the thread says so."""
    entry = session.get(InquiryEntry, entry_id)
    if entry is not None:
        entry.mail_state = ReplyState.SKIPPED


def purge_old(rt: Runtime, days: int, now: datetime | None = None, dry_run: bool = False) -> int:
    """Delete the inquiries without activity for more than days, with their threads; audited.

    Their owed reply tasks find no entry and are skipped. Return how many inquiries went.
    """
    cutoff = (now or utcnow()) - timedelta(days=days)
    with transaction(rt.sessions) as session:
        ids = list(
            session.scalars(select(Inquiry.id).where(Inquiry.updated_at < cutoff).with_for_update())
        )
        if dry_run or not ids:
            return len(ids)
        session.execute(delete(InquiryEntry).where(InquiryEntry.inquiry_id.in_(ids)))
        session.execute(delete(Inquiry).where(Inquiry.id.in_(ids)))
        audit.record(
            session,
            None,
            "purge_inquiries",
            "inquiry",
            None,
            count=len(ids),
            detail=f"retention: inquiries without activity for {days} days deleted",
        )
    return len(ids)
