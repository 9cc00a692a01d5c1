"""The system of record: SQLAlchemy models. Personal data lives only in `*_enc` columns.

The office's own records, which hold no sealed column, are in office/records.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, mapped_column, relationship

from .accounts.models import AccountStatus, ChangeRequestStatus, EntrySource
from .applications.models import ApplicationStatus, DeliveryState
from .controls import stored
from .inquiries.models import InquiryStatus
from .posts.models import PostStatus, RevisionStatus
from .site.models import BuildStatus
from .uploads.models import UploadState


def utcnow() -> datetime:
    """Return the current UTC time without tzinfo (stored the same on SQLite and PostgreSQL)."""
    return datetime.now(UTC).replace(tzinfo=None)


class TaskState(StrEnum):
    """Where a piece of owed work stands: `tasks.state` (the outbox is the kernel's)."""

    PENDING = "pending"  # owed to the worker
    DONE = "done"
    FAILED = "failed"  # gave up after its attempts; shown on the status panel
    CANCELLED = "cancelled"  # cancelled at the end of the contract


class Base(DeclarativeBase):
    pass


class Account(Base):
    """A sign-in identity: individual (個人), group (団体), moderator (運営) or ward staff (区)."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=AccountStatus.RECEIVED, index=True)
    source: Mapped[str] = mapped_column(String(8), default="web")
    login_index: Mapped[str | None] = mapped_column(String(64), unique=True)  # None once erased
    login_enc: Mapped[str | None] = mapped_column(Text)  # None once withdrawn
    password_hash: Mapped[str] = mapped_column(String(255))
    public_name: Mapped[str] = mapped_column(String(200), default="")
    profile: Mapped[str] = mapped_column(Text, default="")
    # A group's public profile page: shown only when the group chose to publish it.
    profile_public: Mapped[bool] = mapped_column(Boolean, default=False)
    website: Mapped[str] = mapped_column(String(300), default="")
    public_contact: Mapped[str] = mapped_column(String(300), default="")
    profile_pending: Mapped[str] = mapped_column(Text, default="")  # JSON edit under review
    topics: Mapped[str] = mapped_column(String(400), default="")
    areas: Mapped[str] = mapped_column(String(400), default="")
    reject_reason: Mapped[str] = mapped_column(Text, default="")
    # The language the registrant registered in ("ja", "en"): their mails are written in it.
    language: Mapped[str] = mapped_column(String(8), default="ja")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    totp_secret_enc: Mapped[str | None] = mapped_column(Text)  # moderators and staff only
    totp_last_step: Mapped[int | None] = mapped_column(Integer)  # refuses a replayed code
    # Someone else chose the password (a paper registration's initial one): after signing
    # in, the intake sends the person to set their own (intake/first_password).
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)

    persons: Mapped[list[Person]] = relationship(
        back_populates="account", cascade="all, delete-orphan", order_by="Person.id"
    )


class Person(Base):
    """The personal data of an individual or of a group's representative or contact person."""

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    name_enc: Mapped[str | None] = mapped_column(Text)
    kana_enc: Mapped[str | None] = mapped_column(Text)
    postal_code_enc: Mapped[str | None] = mapped_column(Text)
    address_enc: Mapped[str | None] = mapped_column(Text)
    phone_enc: Mapped[str | None] = mapped_column(Text)
    fax_enc: Mapped[str | None] = mapped_column(Text)
    email_enc: Mapped[str | None] = mapped_column(Text)
    email_index: Mapped[str | None] = mapped_column(String(64), index=True)
    title_enc: Mapped[str | None] = mapped_column(Text)
    occupation_enc: Mapped[str | None] = mapped_column(Text)
    gender_enc: Mapped[str | None] = mapped_column(Text)
    birth_date_enc: Mapped[str | None] = mapped_column(Text)

    account: Mapped[Account] = relationship(back_populates="persons")


class Post(Base):
    """An event announcement, a participant recruitment or a notice, with only public fields."""

    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    entered_by: Mapped[int | None] = mapped_column(Integer)  # a moderator posting on its behalf
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=PostStatus.RECEIVED, index=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime | None] = mapped_column(DateTime)
    ends_at: Mapped[datetime | None] = mapped_column(DateTime)
    place_name: Mapped[str] = mapped_column(String(200), default="")
    place_address: Mapped[str] = mapped_column(String(300), default="")
    topic: Mapped[str] = mapped_column(String(40), default="")
    area: Mapped[str] = mapped_column(String(40), default="")
    fee: Mapped[str] = mapped_column(String(100), default="")
    capacity: Mapped[int | None] = mapped_column(Integer)
    accepts_applications: Mapped[bool] = mapped_column(Boolean, default=False)
    # Applying: which contact fields are asked ("both", "phone", "email"), whether a full
    # event takes a waiting list, the deadline, the organizer's questions (JSON list of
    # {label, kind, options, required}) and the arrival counter that orders applications.
    ask_contact: Mapped[str] = mapped_column(String(8), default="both")
    waitlist: Mapped[bool] = mapped_column(Boolean, default=False)
    apply_until: Mapped[datetime | None] = mapped_column(DateTime)
    questions: Mapped[str] = mapped_column(Text, default="[]")
    apply_seq: Mapped[int] = mapped_column(Integer, default=0)
    contact_public: Mapped[str] = mapped_column(String(300), default="")
    # Recurrence: the rule as entered (see intake/posts/recurrence.py; "" for none) and its
    # expansion, a JSON list of [start, end] ISO date-times, first one = starts/ends_at.
    recurrence: Mapped[str] = mapped_column(String(80), default="")
    occurrences: Mapped[str] = mapped_column(Text, default="[]")
    attendance: Mapped[str] = mapped_column(String(8), default="offline")  # online, hybrid
    online_details: Mapped[str] = mapped_column(String(500), default="")
    # 対象: comma-separated keys of the deployment's audiences (hiroba.toml [audiences]).
    audience: Mapped[str] = mapped_column(String(200), default="")
    reject_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime)
    published_hash: Mapped[str | None] = mapped_column(String(64))
    # The end of a post's life on the site: withdrawn by its poster, taken down by a
    # moderator (with the reason), archived once past, or removed as stale content.
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime)
    taken_down_at: Mapped[datetime | None] = mapped_column(DateTime)
    takedown_reason: Mapped[str] = mapped_column(Text, default="")
    archived_at: Mapped[datetime | None] = mapped_column(DateTime)
    stale_requested_at: Mapped[datetime | None] = mapped_column(DateTime)
    stale_deadline: Mapped[datetime | None] = mapped_column(DateTime)
    stale_reason: Mapped[str] = mapped_column(Text, default="")
    from_operator: Mapped[bool] = mapped_column(Boolean, default=False)  # 運営からのお知らせ

    account: Mapped[Account] = relationship()


class PostRevision(Base):
    """A poster's edit of a live post: reviewed while the approved version stays live."""

    __tablename__ = "post_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    data: Mapped[str] = mapped_column(Text)  # JSON of the post's public fields as edited
    status: Mapped[str] = mapped_column(String(16), default=RevisionStatus.PENDING, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    # JSON list of the ids of live uploads this edit takes away (its new files are the
    # uploads whose revision_id is this edit's, in state "proposed").
    removes: Mapped[str] = mapped_column(Text, default="[]")


class Upload(Base):
    """A flyer or image, stored re-encoded outside every served folder until approved."""

    __tablename__ = "uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"), index=True)
    revision_id: Mapped[int | None] = mapped_column(ForeignKey("post_revisions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # image, pdf
    token: Mapped[str] = mapped_column(String(40), unique=True)  # random file stem
    state: Mapped[str] = mapped_column(String(16), default=UploadState.PENDING, index=True)
    alt: Mapped[str] = mapped_column(String(300), default="")  # image description / PDF title
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    variants: Mapped[str] = mapped_column(String(200), default="")  # widths made, "480,960"
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ReasonTemplate(Base):
    """An editable rejection reason (却下理由のひな形) moderators choose from."""

    __tablename__ = "reason_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Application(Base):
    """One person's application to an event; the personal fields are sealed."""

    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=ApplicationStatus.RECEIVED, index=True)
    party_size: Mapped[int] = mapped_column(Integer, default=1)
    name_enc: Mapped[str | None] = mapped_column(Text)
    address_enc: Mapped[str | None] = mapped_column(Text)
    phone_enc: Mapped[str | None] = mapped_column(Text)
    email_enc: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(DateTime)
    seq: Mapped[int | None] = mapped_column(Integer)  # arrival order within the event
    answers_enc: Mapped[str | None] = mapped_column(Text)  # JSON list, in question order
    email_index: Mapped[str | None] = mapped_column(String(64), index=True)  # duplicates
    phone_index: Mapped[str | None] = mapped_column(String(64), index=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime)
    attended: Mapped[bool] = mapped_column(Boolean, default=False)  # marked by the organizer
    source: Mapped[str] = mapped_column(String(8), default=EntrySource.WEB)  # phone, paper
    language: Mapped[str] = mapped_column(String(8), default="ja")  # of the form: the mails'


class EventMessage(Base):
    """A mail an organizer sends to the applicants of one event (sent one by one by the worker)."""

    __tablename__ = "event_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    audience: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class MessageDelivery(Base):
    """One applicant's copy of an event message: the worker's task names this row."""

    __tablename__ = "message_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("event_messages.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default=DeliveryState.PENDING)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)


class ChangeRequest(Base):
    """A user's proposed change to one person's registered data (登録情報変更申請), sealed."""

    __tablename__ = "change_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    person_role: Mapped[str] = mapped_column(String(16))
    proposed_enc: Mapped[str | None] = mapped_column(Text)  # JSON of the changed fields only
    fields: Mapped[str] = mapped_column(String(200), default="")  # their names, never values
    status: Mapped[str] = mapped_column(String(16), default=ChangeRequestStatus.PENDING, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(8), default=EntrySource.WEB)  # phone, paper
    entered_by: Mapped[int | None] = mapped_column(Integer)  # the moderator who typed it in


class PasswordResetToken(Base):
    """A single-use password reset: only the token's hash is kept once the mail is sent."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_enc: Mapped[str | None] = mapped_column(Text)  # for the mail job; cleared once sent
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class RecoveryCode(Base):
    """One single-use recovery code of a second factor, kept only as a keyed hash."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class Decision(Base):
    """A moderator's decision on an account or a post, with the reason the poster sees."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int] = mapped_column(Integer, index=True)
    moderator_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    # Approve with edits: JSON {field: [before, after]} of what the moderator changed.
    edits: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Task(Base):
    """Work owed to the worker (outbox): written with the data it concerns, in one commit."""

    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    subject_id: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default=TaskState.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(DateTime)


class SiteState(Base):
    """One row: the content revision requested, the one the live site was built from and
    the one the publication bucket holds."""

    __tablename__ = "site_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    requested_rev: Mapped[int] = mapped_column(Integer, default=0)
    built_rev: Mapped[int] = mapped_column(Integer, default=0)
    # Publishing to a bucket (worker/publication): the revision the bucket holds, and the
    # token of the last claim, the one publication allowed to write it (kept after it ends).
    published_rev: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    publisher_token: Mapped[str] = mapped_column(String(32), default="", server_default="")


class PublishedObject(Base):
    """One object of the site in the publication bucket: its address (s3://bucket/prefix/
    path) and the SHA-256 of its bytes, or None while a publication may be writing it."""

    __tablename__ = "published_objects"

    path: Mapped[str] = mapped_column(String(1024), primary_key=True)
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer, default=0)


class Build(Base):
    """One site build: when, how long, the result and, for a failure, the log."""

    __tablename__ = "builds"

    id: Mapped[int] = mapped_column(primary_key=True)
    rev: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=BuildStatus.RUNNING)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    duration_s: Mapped[float | None] = mapped_column()
    output_dir: Mapped[str] = mapped_column(String(500), default="")
    log: Mapped[str] = mapped_column(Text, default="")


class AuditEntry(Base):
    """Append-only record of staff and group access to personal data, chained by hash."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)  # 1, 2, 3 ...: a gap is a deletion
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40))
    target_kind: Mapped[str] = mapped_column(String(20), default="")
    target_id: Mapped[int | None] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer, default=1)
    detail: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64), default="")
    hash: Mapped[str] = mapped_column(String(64), default="")
    address_enc: Mapped[str | None] = mapped_column(Text)  # sealed, outside the hash (audit.py)


class AuditHead(Base):
    """One row: the last entry's number and hash; appenders lock it, so the chain never forks."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default="")


class Inquiry(Base):
    """A message to the operator from the contact form; who asked and what is sealed."""

    __tablename__ = "inquiries"

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=InquiryStatus.NEW, index=True)
    lang: Mapped[str] = mapped_column(String(8), default="ja")  # the reply's language
    name_enc: Mapped[str | None] = mapped_column(Text)
    email_enc: Mapped[str | None] = mapped_column(Text)
    phone_enc: Mapped[str | None] = mapped_column(Text)
    message_enc: Mapped[str | None] = mapped_column(Text)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # The last change (status, assignee, note, reply): retention counts from here.
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class InquiryEntry(Base):
    """One entry of an inquiry's thread: a moderator's internal note or a reply by mail."""

    __tablename__ = "inquiry_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    inquiry_id: Mapped[int] = mapped_column(ForeignKey("inquiries.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    kind: Mapped[str] = mapped_column(String(16))
    body_enc: Mapped[str | None] = mapped_column(Text)
    mail_state: Mapped[str | None] = mapped_column(String(16))  # a reply's; None for a note
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)


# Every sealed column, as (table, column): rotation and erasure walk this list.
SEALED_COLUMNS: tuple[tuple[type[Base], str], ...] = tuple(
    (model, column.key)
    for model in (
        Account,
        Person,
        Application,
        ChangeRequest,
        PasswordResetToken,
        Inquiry,
        InquiryEntry,
        AuditEntry,
    )  # fmt: skip
    for column in model.__table__.columns
    if column.key.endswith("_enc")
)

# Every blind index (keyed look-up hash) of a sealed value: erasure clears these too.
BLIND_INDEX_COLUMNS: tuple[tuple[type[Base], str], ...] = tuple(
    (model, column.key)
    for model in dict.fromkeys(model for model, _ in SEALED_COLUMNS)
    for column in model.__table__.columns
    if column.key.endswith("_index")
)


def _plain_text(mapper: Mapper, _connection: object, target: object) -> None:
    """Remove NUL and the other C0 and C1 controls from every text column being written.

    The web layer cleans input already; this holds for every other way in (the CLI,
    services called by jobs), so PostgreSQL never refuses a row and no row breaks a build.
    """
    loaded = target.__dict__
    for attribute in mapper.column_attrs:
        value = loaded.get(attribute.key)
        if isinstance(value, str):
            clean = stored(value)
            if clean is not value:
                setattr(target, attribute.key, clean)


event.listen(Base, "before_insert", _plain_text, propagate=True)
event.listen(Base, "before_update", _plain_text, propagate=True)
