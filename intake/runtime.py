"""The live parts one process needs, built from Settings and passed in, never looked up."""

from __future__ import annotations

from dataclasses import dataclass

from redis import Redis
from rq import Queue
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from .config import Settings
from .crypto import Vault, load_vault
from .outbox import make_queue
from .store import make_engine, session_factory


@dataclass
class Runtime:
    """Engine, session maker, vault, Redis connection and queue of one process."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    vault: Vault
    redis: Redis
    queue: Queue

    @classmethod
    def from_settings(cls, settings: Settings) -> Runtime:
        engine = make_engine(settings.database_url)
        redis = Redis.from_url(
            settings.redis_url,
            socket_timeout=10,
            socket_connect_timeout=5,
            health_check_interval=30,
        )
        return cls(
            settings=settings,
            engine=engine,
            sessions=session_factory(engine),
            vault=load_vault(settings.keys_dir),
            redis=redis,
            queue=make_queue(redis, settings.queue_name),
        )

    def close(self) -> None:
        """Release the database pool and the Redis connection."""
        self.engine.dispose()
        self.redis.close()
