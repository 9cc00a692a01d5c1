"""Database engine, sessions and migrations: the system of record."""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from .errors import ConfigError, StoreUnavailable
from .installation.resources import migrations_dir
from .validation import N_


def _create_private(path: str) -> None:
    """Create a new SQLite file readable by its owner only (its -wal and -shm files take
    the same mode); leave an existing one as it is."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def make_engine(database_url: str) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys, a busy timeout and secure delete."""
    if database_url.startswith("sqlite"):
        path = database_url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            _create_private(path.split("?", 1)[0])
        engine = create_engine(database_url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            # Erased personal data must not linger in free pages: overwrite deleted content.
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

        return engine
    engine = create_engine(database_url)
    _ping_when_idle(engine)
    return engine


# A pooled connection that rested longer than this is pinged before use (the server may
# have restarted or dropped it); a busy one is not: pinging on every checkout cost a
# round trip per transaction, two per application.
IDLE_PING_SECONDS = 5.0


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection before use only when it has been idle: SQLAlchemy's
    pool_pre_ping, minus the round trip while the pool is busy. A connection lost within
    the idle time fails its request alone (StoreUnavailable: nothing is acknowledged), and
    SQLAlchemy then replaces the pool's connections."""

    @event.listens_for(engine, "checkin")
    def _rested(_dbapi_connection, record):  # type: ignore[no-untyped-def]
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection, record, _proxy):  # type: ignore[no-untyped-def]
        rested = record.info.get("checked_in")
        if rested is None or time.monotonic() - rested < IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError(f"idle connection lost: {type(exc).__name__}") from exc


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return the session maker bound to engine."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """Run a unit of work: commit at the end, roll back on error, report commit failures."""
    session = sessions()
    try:
        yield session
        session.commit()
    except SQLAlchemyError as exc:
        session.rollback()
        raise StoreUnavailable(str(exc.__class__.__name__)) from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


_WRITER_LOCKS: dict[tuple[int, str], tuple[threading.Lock, int]] = {}
_WRITER_LOCKS_GUARD = threading.Lock()


def _writer_lock(path: str) -> tuple[threading.Lock, int]:
    """Return this process's thread lock and open lock file for path (opened after a fork)."""
    key = (os.getpid(), path)
    with _WRITER_LOCKS_GUARD:
        if key not in _WRITER_LOCKS:
            _WRITER_LOCKS[key] = (threading.Lock(), os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        return _WRITER_LOCKS[key]


@contextmanager
def serialised_writer(engine: Engine, wait: bool = True) -> Iterator[bool]:
    """On SQLite, queue this writer behind the others (threads and processes) before it asks
    for the database's write lock; elsewhere do nothing (PostgreSQL's row locks queue).
    Yield True; with wait=False, yield False at once instead of queueing when another
    writer holds it.

    SQLite's busy handler polls with growing sleeps (up to 100 ms): under a rush of
    applications the write lock sits free while the waiters sleep. An exclusive flock on
    a file beside the database wakes the next writer as soon as the last one is done.
    Correctness never rests on it: SQLite's own write lock still serialises every
    writer, and those that do not take this one (the worker, other forms) meet the busy
    timeout as before.
    """
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield True
        return
    in_process, descriptor = _writer_lock(f"{database}.writer-lock")
    if not in_process.acquire(blocking=wait):
        yield False
        return
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        in_process.release()


def alembic_config(database_url: str) -> Config:
    """Return an Alembic configuration pointing at our migrations and database_url."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["database_url"] = database_url
    return config


def migrate(database_url: str) -> None:
    """Bring the database schema to the newest migration (nothing to do when it is there)."""
    command.upgrade(alembic_config(database_url), "head")


def head_revision() -> str:
    """Return the newest migration's revision: the schema this code expects."""
    head = ScriptDirectory.from_config(alembic_config("")).get_current_head()
    if head is None:
        raise ConfigError(
            N_(
                "%(folder)s にマイグレーションがありません。Hiroba をインストールし直してください。"
            ),
            folder=migrations_dir(),
        )
    return head


def schema_revision(engine: Engine) -> str | None:
    """Return the revision the database's schema is at (None: no schema yet)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def ping(engine: Engine) -> bool:
    """Return True when the database answers a trivial query."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError:
        return False
