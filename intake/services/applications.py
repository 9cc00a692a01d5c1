"""Applications to events: stored sealed, then allocated by the worker in arrival order."""

from __future__ import annotations

from dataclasses import dataclass

from .. import outbox
from ..models import Application
from ..runtime import Runtime
from ..store import transaction
from .posts import open_event


@dataclass
class ApplicationData:
    """What an applicant submits."""

    name: str
    address: str
    phone: str
    email: str
    party_size: int = 1


def apply(rt: Runtime, post_id: int, data: ApplicationData) -> int:
    """Store an application durably, owe its allocation to the worker, and return its id."""
    open_event(rt, post_id)
    vault = rt.vault
    with transaction(rt.sessions) as session:
        application = Application(
            post_id=post_id,
            status="received",
            party_size=data.party_size,
            name_enc=vault.seal(data.name, "applications.name"),
            address_enc=vault.seal(data.address, "applications.address"),
            phone_enc=vault.seal(data.phone or None, "applications.phone"),
            email_enc=vault.seal(data.email or None, "applications.email"),
        )
        session.add(application)
        session.flush()
        task = outbox.add_task(session, outbox.INGEST_APPLICATION, application.id)
        application_id = application.id
    outbox.enqueue_tasks(rt.queue, [task])
    return application_id
