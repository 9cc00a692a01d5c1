"""Incidents: a problem that opens once, is mailed once, stays quiet while open, and closes.

State lives in Redis (`<prefix>:incident:<kind>`, a hash of opened_at, detail and mailed),
so every host's `hiroba watch` and the backup share it. Opening is HSETNX on opened_at:
however many runs see the problem, one opens it and sends the one alert. An alert that
could not be sent (SMTP down) is tried again by each later `hiroba watch` until it goes.
When the problem clears the incident is deleted and, if its alert went out, one
「解消」 mail follows; a problem that comes back later is a new incident.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from redis import Redis

from .. import redis_keys
from ..config import Settings
from ..controls import one_line
from ..models import utcnow
from . import mail as alert_mail

log = logging.getLogger(__name__)

DETAIL_LIMIT = 500


class Kind(StrEnum):
    """What an incident is about."""

    BUILD = "build"  # the last site build failed
    WORKER = "worker"  # no worker heartbeat within HIROBA_WORKER_SILENCE_SECONDS
    JOBS = "jobs"  # rq jobs failed (and were not retried since) or tasks were given up
    AUDIT = "audit"  # the audit log's hash chain is broken
    BACKUP = "backup"  # a scheduled backup failed (reported by the backup itself)


@dataclass(frozen=True)
class Incident:
    """One open incident."""

    kind: Kind
    opened_at: datetime  # naive UTC
    detail: str
    mailed: bool


def _key(settings: Settings, kind: Kind) -> str:
    return redis_keys.incident(settings.redis_prefix, kind.value)


def _decode(kind: Kind, data: Mapping[Any, Any]) -> Incident:
    return Incident(
        kind=kind,
        opened_at=datetime.fromisoformat(bytes(data[b"opened_at"]).decode()),
        detail=bytes(data.get(b"detail", b"")).decode(),
        mailed=data.get(b"mailed") == b"1",
    )


def open_incidents(settings: Settings, redis: Redis) -> list[Incident]:
    """Return every open incident, by kind."""
    found = []
    for kind in Kind:
        data = redis.hgetall(_key(settings, kind))
        if data and b"opened_at" in data:
            found.append(_decode(kind, data))
    return found


def deliver(settings: Settings, redis: Redis, incident: Incident) -> bool:
    """Mail an open incident's alert if it has not gone yet; True once it has."""
    if incident.mailed:
        return True
    if not alert_mail.send_alert(
        settings, incident.kind.value, incident.opened_at, incident.detail
    ):
        return False
    redis.hset(_key(settings, incident.kind), "mailed", "1")
    return True


def raise_incident(
    settings: Settings, redis: Redis, kind: Kind, detail: str, now: datetime | None = None
) -> Incident | None:
    """Open an incident of kind and send its alert; None (and no mail) when one is open."""
    moment = now or utcnow()
    key = _key(settings, kind)
    if not redis.hsetnx(key, "opened_at", moment.isoformat()):
        return None
    text = one_line(detail)[:DETAIL_LIMIT]
    redis.hset(key, mapping={"detail": text, "mailed": "0"})
    incident = Incident(kind, moment, text, False)
    log.warning("incident opened: %s: %s", kind.value, text)
    if deliver(settings, redis, incident):
        incident = Incident(kind, moment, text, True)
    return incident


def clear_incident(
    settings: Settings, redis: Redis, kind: Kind, now: datetime | None = None
) -> Incident | None:
    """Close the open incident of kind, mailing 「解消」 if its alert went out; None if none."""
    key = _key(settings, kind)
    pipe = redis.pipeline()
    pipe.hgetall(key)
    pipe.delete(key)
    data, deleted = pipe.execute()
    if not deleted or b"opened_at" not in data:
        return None
    incident = _decode(kind, data)
    log.info("incident resolved: %s", kind.value)
    if incident.mailed:
        alert_mail.send_resolved(
            settings, kind.value, incident.opened_at, incident.detail, now or utcnow()
        )
    return incident


def report_incident(settings: Settings, kind: str, detail: str) -> bool:
    """Open an incident from outside `hiroba watch` (e.g. a failed scheduled backup).

    kind is a Kind value ("backup"); detail is one line without personal data. Returns
    True when this call opened the incident (and tried its alert), False when it was open.
    """
    redis = Redis.from_url(settings.redis_url, socket_timeout=10, socket_connect_timeout=5)
    try:
        return raise_incident(settings, redis, Kind(kind), detail) is not None
    finally:
        redis.close()


def resolve_incident(settings: Settings, kind: str) -> bool:
    """Close an incident from outside `hiroba watch` (e.g. the next backup succeeded)."""
    redis = Redis.from_url(settings.redis_url, socket_timeout=10, socket_connect_timeout=5)
    try:
        return clear_incident(settings, redis, Kind(kind)) is not None
    finally:
        redis.close()
