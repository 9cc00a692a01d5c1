"""The digest of waiting work: when the worker mails the moderators, and to whom.

The reconciler asks `due_digest` on each pass (worker/schedule.py). A digest is due when
`[operator] digest_minutes` is not 0, some work waits (intake/moderation/waiting.py),
the last digest is at least digest_minutes old, and something arrived since it: an item
newer than the last digest, or a queue longer than it reported. Work that only sat
unchanged is not mailed again; moderators see it on every moderation page.

A due digest is one row of moderator_digests and one mail task per active moderator with
an address, committed together. Each row names the digest it follows, uniquely, so two
workers (two hosts) deciding at the same moment record one digest: the other's insert
fails and it sends nothing. The mails carry counts only, never names or titles.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..accounts.models import AccountStatus
from ..errors import StoreUnavailable
from ..jobs import SEND_MODERATOR_DIGEST
from ..models import Account, Person, Task, utcnow
from ..office.records import ModeratorDigest
from ..outbox import add_task
from ..runtime import Runtime
from ..store import transaction
from .waiting import WaitingWork, count_waiting


def _arrived_since(work: WaitingWork, last: ModeratorDigest) -> bool:
    """Tell whether anything waiting arrived after the last digest (or a queue grew)."""
    if work.latest is not None and work.latest > last.created_at:
        return True
    reported = json.loads(last.counts or "{}")
    return any(count > int(reported.get(queue, 0)) for queue, count in work.counts.items())


def recipients(session: Session) -> list[int]:
    """Return the ids of the active moderators who have a mail address."""
    return list(
        session.scalars(
            select(Account.id)
            .where(Account.kind == "moderator", Account.status == AccountStatus.ACTIVE)
            .where(Account.persons.any(Person.email_enc.is_not(None)))
            .order_by(Account.id)
        )
    )


def due_digest(rt: Runtime, now: datetime | None = None) -> list[Task]:
    """Record a digest and its mail tasks when one is due; return the committed tasks."""
    minutes = rt.settings.deployment.digest_minutes
    if minutes == 0:
        return []
    now = now or utcnow()
    try:
        with transaction(rt.sessions) as session:
            last = session.scalars(
                select(ModeratorDigest).order_by(ModeratorDigest.id.desc()).limit(1)
            ).first()
            if last is not None and now - last.created_at < timedelta(minutes=minutes):
                return []
            work = count_waiting(session)
            if work.total == 0 or (last is not None and not _arrived_since(work, last)):
                return []
            moderators = recipients(session)
            if not moderators:
                return []
            after = last.id if last is not None else 0
            counts = json.dumps(work.counts)
            session.add(ModeratorDigest(after_id=after, counts=counts, created_at=now))
            session.flush()
            tasks = [add_task(session, SEND_MODERATOR_DIGEST, account) for account in moderators]
    except StoreUnavailable as exc:
        if isinstance(exc.__cause__, IntegrityError):
            return []  # another worker recorded this digest a moment earlier
        raise
    return tasks
