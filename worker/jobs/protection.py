"""Jobs of data protection: the retention purge of applicants' personal data of events long
over, of inquiries without activity for `[retention] inquiry_days`, and of registrations
refused or never decided, and of the client addresses in audit entries older than
`[retention] audit_days`, enqueued at most hourly (worker/schedule.py).

It also sweeps upload folders no row names any more (a crash between an erasure's commit
and its folder removal leaves one; see intake/services/upload_erasure.py).
"""

from __future__ import annotations

import logging

from intake.inquiries.services import purge_old as purge_inquiries
from intake.protection import audit, registrations
from intake.protection.retention import purge
from intake.store import transaction
from intake.uploads.erasure import sweep_orphans

from ..context import runtime

log = logging.getLogger(__name__)


def purge_expired() -> str:
    """Purge every event past its retention period, and every registration refused or left
    undecided for too long (idempotent: purged rows are skipped)."""
    rt = runtime()
    done = purge(rt)
    inquiries = purge_inquiries(rt, rt.settings.deployment.inquiry_days)
    if inquiries:
        log.info("retention purge: %d inquiry(ies)", inquiries)
    erased = registrations.purge(rt)
    with transaction(rt.sessions) as session:
        addresses = audit.clear_old_addresses(session, rt.settings.deployment.audit_days)
    if addresses:
        log.info("retention purge: %d audit address(es) cleared", addresses)
    if erased:
        log.info("retention purge: %d registration(s) erased", len(erased))
    with rt.sessions() as session:
        strays = sweep_orphans(rt.settings, session)
    if strays:
        log.info("retention: %d upload folder(s) without a row deleted", strays)
    if done:
        log.info(
            "retention purge: %d event(s), %d application(s)",
            len(done),
            sum(event.applications for event in done),
        )
    return f"purged {len(done)} event(s)"
