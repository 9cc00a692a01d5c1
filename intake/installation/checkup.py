"""`hiroba check`: is this instance ready to run? One finding per part, each a plain sentence.

The parts: the configuration, the key files and their modes, the database (reachable, at
the newest migration), Redis, the SMTP server (connect and EHLO), the site folders
(present, writable, a site live), where private uploads are kept (a private folder, or a
bucket that takes and deletes a probe object), a worker (registered in rq's worker registry for our
queue, with a recent heartbeat) and, when configured, the virus scanner (clamd answers;
its signatures' version and age). Nothing here changes anything (but for the bucket's probe
object, deleted at once): a missing SQLite file is reported, not created.
"""

from __future__ import annotations

import os
import smtplib
import stat
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Worker
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from .. import mail
from ..config import Settings
from ..crypto import (
    BACKUP_KEY_FILE,
    DATA_KEYS_FILE,
    INDEX_KEY_FILE,
    SECRET_KEY_FILE,
    Vault,
    load_vault,
)
from ..errors import ConfigError
from ..protection.keys import MissingKeys, missing_key_ids
from ..store import head_revision, make_engine, schema_revision, session_factory
from ..uploads.scanning import Scanner, ScannerUnavailable
from ..uploads.storage import upload_store

KEY_FILES = (SECRET_KEY_FILE, INDEX_KEY_FILE, BACKUP_KEY_FILE, DATA_KEYS_FILE)
NETWORK_TIMEOUT = 5
# clamd itself warns when its signatures are older than this; so does check_scanner.
SIGNATURES_STALE_AFTER = timedelta(days=7)


@dataclass(frozen=True)
class Finding:
    """What one check found: the part, whether it is fine, and one sentence about it."""

    part: str
    ok: bool
    text: str

    def line(self) -> str:
        return f"{self.part}: {self.text}"


def shown_url(url: str) -> str:
    """Return url with any password replaced by ***, fit to print."""
    if "://" in url and not url.startswith(("redis", "unix")):
        return make_url(url).render_as_string(hide_password=True)
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _private(path: Path, wanted: int) -> str | None:
    """Return a sentence when path is reachable by group or others (None: it is not)."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        return f"{path} is mode {mode:04o}, readable by others; chmod {wanted:o} it"
    return None


def check_configuration(settings: Settings) -> Iterator[Finding]:
    """Production needs the public origin for the links in mail."""
    if settings.environment == "production":
        parts = urlsplit(settings.public_url)
        if parts.scheme != "https" or parts.hostname in (None, "127.0.0.1", "localhost"):
            yield Finding(
                "configuration",
                False,
                f"HIROBA_PUBLIC_URL is {settings.public_url!r}; in production it must be "
                "the intake's public https:// origin (links in mail use it)",
            )
            return
    yield Finding("configuration", True, f"{settings.environment}, home {settings.home}")
    deployment = settings.deployment
    missing = [key for key in deployment.audiences if key not in deployment.audiences_en]
    if missing:
        yield Finding(
            "configuration",
            True,
            f"note: [audiences] {', '.join(missing)} have no English label; English pages "
            'show the Japanese one (write key = { ja = "…", en = "…" } in hiroba.toml)',
        )


def check_keys(settings: Settings) -> Iterator[Finding]:
    """The keys folder (0700) and each key file (0600, present, well formed)."""
    folder = settings.keys_dir
    if not folder.is_dir():
        yield Finding("keys", False, f"{folder} is missing; run `hiroba init`")
        return
    problems = [text for text in [_private(folder, 0o700)] if text]
    for name in KEY_FILES:
        path = folder / name
        if not path.is_file():
            problems.append(f"{path} is missing; restore it or run `hiroba init`")
        elif text := _private(path, 0o600):
            problems.append(text)
    vault = None
    if not problems:
        try:
            settings.secret_key()
            vault = load_vault(folder)
        except ConfigError as exc:
            problems.append(str(exc).rstrip("."))
    if vault is not None and (missing := _missing_key_ids(settings, vault)):
        problems.append(str(MissingKeys(missing, folder / DATA_KEYS_FILE)).rstrip("."))
    if problems:
        yield from (Finding("keys", False, text) for text in problems)
    else:
        yield Finding("keys", True, f"{len(KEY_FILES)} key files, private")


def _missing_key_ids(settings: Settings, vault: Vault) -> list[str]:
    """Return the key ids the database uses that vault lacks ([] when it cannot be asked:
    check_database says why)."""
    if settings.is_sqlite:
        path = settings.database_url.split(":///", 1)[-1]
        if path and path != ":memory:" and not Path(path).is_file():
            return []  # asking would create the file; check_database reports it
    engine = make_engine(settings.database_url)
    try:
        with session_factory(engine)() as session:
            return missing_key_ids(session, vault)
    except SQLAlchemyError:
        return []
    finally:
        engine.dispose()


def check_database(settings: Settings) -> Iterator[Finding]:
    """The database answers and its schema is at the newest migration."""
    shown = shown_url(settings.database_url)
    if settings.is_sqlite:
        path = settings.database_url.split(":///", 1)[-1]
        if path and path != ":memory:" and not Path(path).is_file():
            yield Finding("database", False, f"{path} does not exist; run `hiroba init`")
            return
    engine = make_engine(settings.database_url)
    try:
        current = schema_revision(engine)
    except SQLAlchemyError as exc:
        yield Finding("database", False, f"cannot reach {shown} ({type(exc).__name__})")
        return
    finally:
        engine.dispose()
    head = head_revision()
    if current is None:
        yield Finding("database", False, f"{shown} has no schema; run `hiroba migrate`")
    elif current != head:
        yield Finding(
            "database",
            False,
            f"{shown} is at revision {current}, this Hiroba needs {head}; run `hiroba migrate`",
        )
    else:
        yield Finding("database", True, f"{shown} at revision {current} (newest)")


def _redis(settings: Settings) -> Redis:
    return Redis.from_url(
        settings.redis_url, socket_connect_timeout=NETWORK_TIMEOUT, socket_timeout=NETWORK_TIMEOUT
    )


def check_redis(settings: Settings) -> Iterator[Finding]:
    """Redis answers a PING."""
    shown = shown_url(settings.redis_url)
    try:
        with _redis(settings) as redis:
            redis.ping()
    except RedisError as exc:
        yield Finding("redis", False, f"cannot reach {shown} ({type(exc).__name__})")
        return
    yield Finding("redis", True, shown)


def check_smtp(settings: Settings) -> Iterator[Finding]:
    """The SMTP server accepts a connection and answers EHLO (nothing is sent)."""
    if not settings.smtp_host:
        if settings.environment == "production":
            yield Finding("smtp", False, "HIROBA_SMTP_HOST is empty: no mail would be sent")
        else:
            yield Finding("smtp", True, "off (HIROBA_SMTP_HOST is empty)")
        return
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    try:
        code = mail.probe(settings)  # with HIROBA_SMTP_TLS and the login, as mail is sent
    except mail.MailLoginRefused as exc:
        yield Finding("smtp", False, str(exc))
        return
    except (OSError, smtplib.SMTPException) as exc:
        yield Finding("smtp", False, f"cannot reach {where} ({type(exc).__name__})")
        return
    if code != 250:
        yield Finding("smtp", False, f"{where} answered EHLO with {code}")
        return
    yield Finding("smtp", True, where)


def check_site(settings: Settings) -> Iterator[Finding]:
    """The content and site folders exist and are writable, and a site is live."""
    problems = []
    for folder in (settings.content_dir, settings.site_dir):
        if not folder.is_dir():
            problems.append(f"{folder} is missing; run `hiroba init`")
        elif not os.access(folder, os.W_OK | os.X_OK):
            problems.append(f"{folder} is not writable by this user")
    live = settings.live_dir
    if not problems and not (live / "index.html").is_file():
        problems.append(f"no site is live at {live}; run `hiroba build`")
    if problems:
        yield from (Finding("site", False, text) for text in problems)
    else:
        yield Finding("site", True, f"live at {live}")


def check_uploads(settings: Settings) -> Iterator[Finding]:
    """Private uploads: their folder is 0700, or their bucket takes and deletes an object."""
    fine, text = upload_store(settings).check()
    yield Finding("uploads", fine, text)


def check_worker(settings: Settings, now: datetime | None = None) -> Iterator[Finding]:
    """A worker is registered on our queue and its last heartbeat is recent."""
    try:
        with _redis(settings) as redis:
            workers = Worker.all(queue=Queue(settings.queue_name, connection=redis))
    except RedisError:
        return  # check_redis has said so
    now = now or datetime.now(UTC)
    ages = []
    for worker in workers:
        if worker.last_heartbeat is None:
            continue
        beat = worker.last_heartbeat
        beat = beat if beat.tzinfo else beat.replace(tzinfo=UTC)
        ages.append((now - beat).total_seconds())
    # Silent longer than HIROBA_WORKER_SILENCE_SECONDS, as /healthz and `hiroba watch` say,
    # a worker is gone whatever its registry entry still says.
    alive = [age for age in ages if age < settings.worker_silence_seconds]
    if not alive:
        silent = f" ({len(ages)} registered, silent)" if ages else ""
        yield Finding(
            "worker",
            False,
            f"no worker is running on queue {settings.queue_name}{silent}; start `hiroba worker`",
        )
        return
    newest = max(0, round(min(alive)))
    text = f"{len(alive)} on queue {settings.queue_name}, heartbeat {newest} s ago"
    yield Finding("worker", True, text)


def check_scanner(settings: Settings, now: datetime | None = None) -> Iterator[Finding]:
    """The virus scanner (clamd), when configured, answers, and its signatures are fresh."""
    scanner = Scanner.from_settings(settings)
    if scanner is None:
        yield Finding("scanner", True, "off (no HIROBA_CLAMD_SOCKET or HIROBA_CLAMD_HOST)")
        return
    try:
        quick = replace(scanner.clamd, timeout=min(scanner.clamd.timeout, NETWORK_TIMEOUT))
        database = Scanner(quick).database()
    except ScannerUnavailable as exc:
        yield Finding("scanner", False, f"{exc.reason}; uploads are refused until clamd answers")
        return
    where = f"clamd at {scanner.describe()} ({database.engine})"
    if database.date is None:
        yield Finding("scanner", False, f"{where} reports no signature date; run freshclam")
        return
    age = (now or datetime.now()) - database.date  # clamd writes its local time
    text = (
        f"{where}, signatures {database.version} of {database.date:%Y-%m-%d %H:%M} "
        f"({max(age.days, 0)} days old)"
    )
    if age > SIGNATURES_STALE_AFTER:
        yield Finding("scanner", False, f"{text}; check freshclam (clamav-freshclam)")
        return
    yield Finding("scanner", True, text)


def run_checks(settings: Settings) -> list[Finding]:
    """Return every finding, in the order an operator fixes them."""
    checks = (
        check_configuration,
        check_keys,
        check_database,
        check_redis,
        check_smtp,
        check_site,
        check_uploads,
        check_worker,
        check_scanner,
    )
    return [finding for check in checks for finding in check(settings)]
