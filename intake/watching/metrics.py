"""The readings of /metrics in Prometheus's text format, collected fresh on every scrape.

Labels are fixed words (queue roles, task states, incident kinds): never a name, an
address or anything a user typed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from ..models import utcnow
from ..runtime import Runtime
from ..store import ping
from . import probes
from .incidents import Kind, open_incidents


def _epoch(moment: datetime) -> float:
    return moment.replace(tzinfo=UTC).timestamp()


def _gauge(name: str, help_text: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, help_text, value=value)


class HirobaCollector(Collector):
    """Reads the database and Redis at each collect; a part that does not answer is 0/absent."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = utcnow()
        database_up = ping(self.rt.engine)
        yield _gauge("hiroba_database_up", "1 when the database answers.", float(database_up))
        if database_up:
            yield from self._database(now)
        try:
            yield from self._redis(now)
            redis_up = 1.0
        except RedisError:
            redis_up = 0.0
        yield _gauge("hiroba_redis_up", "1 when Redis answers.", redis_up)

    def _database(self, now: datetime) -> Iterator[GaugeMetricFamily]:
        try:
            with self.rt.sessions() as session:
                tasks = probes.owed_tasks(session)
                builds = probes.builds(session)
        except SQLAlchemyError:
            return
        owed = GaugeMetricFamily(
            "hiroba_tasks", "Tasks owed (pending) or given up.", labels=["state"]
        )
        owed.add_metric(["pending"], tasks.pending)
        owed.add_metric(["failed"], tasks.failed)
        yield owed
        yield _gauge(
            "hiroba_oldest_owed_task_age_seconds",
            "Seconds the oldest pending task has waited (0: none).",
            tasks.oldest_age(now),
        )
        yield _gauge(
            "hiroba_site_revisions_behind",
            "Content revisions requested but not yet live.",
            builds.revisions_behind,
        )
        if builds.finished_at is not None:
            yield _gauge(
                "hiroba_last_build_timestamp_seconds",
                "When the last build finished (Unix time).",
                _epoch(builds.finished_at),
            )
            yield _gauge(
                "hiroba_last_build_success",
                "1 when the last build succeeded, 0 when it failed.",
                float(builds.status == "ok"),
            )
            if builds.duration_s is not None:
                yield _gauge(
                    "hiroba_last_build_duration_seconds",
                    "How long the last build took.",
                    builds.duration_s,
                )

    def _redis(self, now: datetime) -> Iterator[GaugeMetricFamily]:
        queues = probes.queues(self.rt)
        workers = probes.workers(self.rt)
        incidents = {incident.kind for incident in open_incidents(self.rt.settings, self.rt.redis)}
        waiting = GaugeMetricFamily(
            "hiroba_queue_jobs", "Jobs waiting on a queue.", labels=["queue"]
        )
        failed = GaugeMetricFamily(
            "hiroba_failed_jobs", "Jobs that failed and were not retried since.", labels=["queue"]
        )
        for role in queues.waiting:
            waiting.add_metric([role], queues.waiting[role])
            failed.add_metric([role], queues.failed[role])
        yield waiting
        yield failed
        yield _gauge("hiroba_workers", "rq workers registered on the main queue.", workers.count)
        silent = workers.silent_seconds(now)
        if silent is not None:
            yield _gauge(
                "hiroba_worker_heartbeat_age_seconds",
                "Seconds since the freshest worker heartbeat.",
                silent,
            )
        open_ = GaugeMetricFamily(
            "hiroba_incident_open", "1 while an incident of that kind is open.", labels=["kind"]
        )
        for kind in Kind:
            open_.add_metric([kind.value], float(kind in incidents))
        yield open_


def render(rt: Runtime) -> bytes:
    """Return the current readings in Prometheus's text exposition format."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(HirobaCollector(rt))
    return generate_latest(registry)
