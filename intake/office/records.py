"""The office's own records: the ledger, second-factor resets, digests, banners, audit notices.

They hold no sealed (`*_enc`) column, so rotation and erasure never walk them; the tables
with personal data, `Base` and `utcnow` stay in intake/models.py.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..models import Base, utcnow
from ..notices.models import BannerLevel


class LedgerEntry(Base):
    """One hand-over of personal data (個人情報管理簿): when, who, what, to whom, how many."""

    __tablename__ = "ledger"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    handler: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    content: Mapped[str] = mapped_column(Text, default="")
    recipient: Mapped[str] = mapped_column(String(200), default="")
    counts: Mapped[str] = mapped_column(Text, default="{}")  # JSON: records per kind
    total: Mapped[int] = mapped_column(Integer, default=0)
    file_name: Mapped[str] = mapped_column(String(300), default="")


class FactorReset(Base):
    """A staff member's second factor reset: asked by one moderator, confirmed by another."""

    __tablename__ = "factor_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    requested_by: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    requested_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    enrolled_at: Mapped[datetime | None] = mapped_column(DateTime)  # the new factor, at sign-in


class ModeratorDigest(Base):
    """A digest of waiting work mailed to the moderators: its time and counts, nothing else."""

    __tablename__ = "moderator_digests"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The digest it follows (0: the first). Unique: two workers deciding at once cannot both.
    after_id: Mapped[int] = mapped_column(Integer, unique=True)
    counts: Mapped[str] = mapped_column(String(400), default="{}")  # JSON: queue -> count
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Banner(Base):
    """A site-wide banner (maintenance, outage, emergency): shown until it ends or is cleared."""

    __tablename__ = "banners"

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[str] = mapped_column(String(16), default=BannerLevel.MAINTENANCE)
    text_ja: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text, default="")
    set_by: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    starts_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    ends_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    cleared_at: Mapped[datetime | None] = mapped_column(DateTime)
    cleared_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))


class AuditNotice(Base):
    """A monthly audit report or an anomaly staff were told of: counts and kinds, no names."""

    __tablename__ = "audit_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    # "report:2026-11", or kind:actor:hour for an anomaly. Unique: two workers, one notice.
    key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # intake/oversight/models.py NoticeKind
    at: Mapped[datetime] = mapped_column(DateTime)  # naive UTC: the hour, or the month's start
    summary: Mapped[str] = mapped_column(Text, default="{}")  # JSON: counts per kind only
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class AuditMail(Base):
    """One mail about a notice: to a staff account, or (account_id None) to the operator."""

    __tablename__ = "audit_mails"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("audit_notices.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), nullable=True)
