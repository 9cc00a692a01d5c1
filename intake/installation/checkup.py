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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
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
from ..errors import ConfigError, HirobaError
from ..protection.keys import MissingKeys, missing_key_ids
from ..store import head_revision, make_engine, schema_revision, session_factory
from ..uploads.scanning import Scanner, ScannerUnavailable
from ..uploads.storage import upload_store
from ..validation import N_

KEY_FILES = (SECRET_KEY_FILE, INDEX_KEY_FILE, BACKUP_KEY_FILE, DATA_KEYS_FILE)
NETWORK_TIMEOUT = 5
# clamd itself warns when its signatures are older than this; so does check_scanner.
SIGNATURES_STALE_AFTER = timedelta(days=7)


PARTS = {  # with their colon: "ワーカー:" reads "worker:" in English
    "configuration": N_("設定:"),
    "keys": N_("鍵:"),
    "database": N_("データベース:"),
    "redis": N_("Redis:"),
    "smtp": N_("SMTP:"),
    "site": N_("サイト:"),
    "uploads": N_("添付ファイル:"),
    "worker": N_("ワーカー:"),
    "scanner": N_("ウイルス検査:"),
}

UNREACHABLE = N_("%(where)s に接続できません（%(error)s）")


def _same(message: str) -> str:
    return message


@dataclass(frozen=True)
class Finding:
    """What one check found: the part, whether it is fine, and one sentence about it (a
    Japanese message id with its values, put in the command's language by line())."""

    part: str
    ok: bool
    text: str
    values: dict[str, object] = field(default_factory=dict)

    def line(self, translate: Callable[[str], str] = _same) -> str:
        """Return "part: sentence", each through translate (the CLI's gettext)."""
        # A value that is an error (its own message id and values) is said in the same language.
        values = {
            key: value.said(translate) if isinstance(value, HirobaError) else value
            for key, value in self.values.items()
        }
        text = translate(self.text) % values if values else translate(self.text)
        return f"{translate(PARTS.get(self.part, self.part + ':'))} {text}"


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


Problem = tuple[str, dict[str, object]]  # a message id and its values


def _private(path: Path, wanted: int) -> Problem | None:
    """Return a sentence when path is reachable by group or others (None: it is not)."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        return N_(
            "%(path)s のモードが %(mode)s で、他の利用者が読めます。chmod %(wanted)s してください"
        ), {"path": path, "mode": f"{mode:04o}", "wanted": f"{wanted:o}"}
    return None


def _as_is(text: str) -> Problem:
    """Return another part's sentence (already in its words) as a problem."""
    return "%(text)s", {"text": text}


def check_configuration(settings: Settings) -> Iterator[Finding]:
    """Production needs the public origin for the links in mail."""
    if settings.environment == "production":
        parts = urlsplit(settings.public_url)
        if parts.scheme != "https" or parts.hostname in (None, "127.0.0.1", "localhost"):
            yield Finding(
                "configuration",
                False,
                N_(
                    "HIROBA_PUBLIC_URL が %(url)r です。本番では受付アプリの公開の https:// "
                    "オリジンにしてください（メールのリンクに使います）"
                ),
                {"url": settings.public_url},
            )
            return
    yield Finding(
        "configuration",
        True,
        N_("%(environment)s、フォルダー %(home)s"),
        {"environment": settings.environment, "home": settings.home},
    )
    deployment = settings.deployment
    missing = [key for key in deployment.audiences if key not in deployment.audiences_en]
    if missing:
        yield Finding(
            "configuration",
            True,
            N_(
                "注意: [audiences] の %(keys)s に英語の名前がありません。英語のページには"
                '日本語の名前が出ます（hiroba.toml に key = { ja = "…", en = "…" } と書きます）'
            ),
            {"keys": ", ".join(missing)},
        )


def check_keys(settings: Settings) -> Iterator[Finding]:
    """The keys folder (0700) and each key file (0600, present, well formed)."""
    folder = settings.keys_dir
    if not folder.is_dir():
        yield Finding(
            "keys", False, N_("%(path)s がありません。`hiroba init` を実行してください"),
            {"path": folder},
        )  # fmt: skip
        return
    problems = [text for text in [_private(folder, 0o700)] if text]
    for name in KEY_FILES:
        path = folder / name
        if not path.is_file():
            problems.append((
                N_("%(path)s がありません。戻すか、`hiroba init` を実行してください"),
                {"path": path},
            ))  # fmt: skip
        elif text := _private(path, 0o600):
            problems.append(text)
    vault = None
    if not problems:
        try:
            settings.secret_key()
            vault = load_vault(folder)
        except ConfigError as exc:
            problems.append((exc.message, exc.params))  # a settings error, said as the CLI says it
    if vault is not None and (missing := _missing_key_ids(settings, vault)):
        lacking = MissingKeys(missing, folder / DATA_KEYS_FILE)
        problems.append((lacking.message, lacking.params))  # said in the command's language
    if problems:
        yield from (Finding("keys", False, text, values) for text, values in problems)
    else:
        yield Finding(
            "keys", True, N_("鍵ファイル %(count)s 個、非公開"), {"count": len(KEY_FILES)}
        )


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
            yield Finding(
                "database", False,
                N_("%(path)s は存在しません。`hiroba init` を実行してください"),
                {"path": path},
            )  # fmt: skip
            return
    engine = make_engine(settings.database_url)
    try:
        current = schema_revision(engine)
    except SQLAlchemyError as exc:
        yield Finding("database", False, UNREACHABLE, {"where": shown, "error": type(exc).__name__})
        return
    finally:
        engine.dispose()
    head = head_revision()
    if current is None:
        yield Finding(
            "database", False,
            N_("%(where)s にスキーマがありません。`hiroba migrate` を実行してください"),
            {"where": shown},
        )  # fmt: skip
    elif current != head:
        yield Finding(
            "database",
            False,
            N_(
                "%(where)s はリビジョン %(current)s です。この Hiroba には %(head)s が必要です。"
                "`hiroba migrate` を実行してください"
            ),
            {"where": shown, "current": current, "head": head},
        )
    else:
        yield Finding(
            "database", True, N_("%(where)s はリビジョン %(current)s（最新）"),
            {"where": shown, "current": current},
        )  # fmt: skip


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
        yield Finding("redis", False, UNREACHABLE, {"where": shown, "error": type(exc).__name__})
        return
    yield Finding("redis", True, "%(where)s", {"where": shown})


def check_smtp(settings: Settings) -> Iterator[Finding]:
    """The SMTP server accepts a connection and answers EHLO (nothing is sent)."""
    if not settings.smtp_host:
        if settings.environment == "production":
            yield Finding("smtp", False, N_("HIROBA_SMTP_HOST が空です。メールは送られません"))
        else:
            yield Finding("smtp", True, N_("使いません（HIROBA_SMTP_HOST が空）"))
        return
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    try:
        code = mail.probe(settings)  # with HIROBA_SMTP_TLS and the login, as mail is sent
    except mail.MailLoginRefused as exc:
        yield Finding("smtp", False, *_as_is(str(exc)))
        return
    except (OSError, smtplib.SMTPException) as exc:
        yield Finding("smtp", False, UNREACHABLE, {"where": where, "error": type(exc).__name__})
        return
    if code != 250:
        yield Finding(
            "smtp", False, N_("%(where)s は EHLO に %(code)s と答えました"),
            {"where": where, "code": code},
        )  # fmt: skip
        return
    yield Finding("smtp", True, "%(where)s", {"where": where})


def check_site(settings: Settings) -> Iterator[Finding]:
    """The content and site folders exist and are writable, and a site is live."""
    problems: list[Problem] = []
    for folder in (settings.content_dir, settings.site_dir):
        if not folder.is_dir():
            problems.append((
                N_("%(path)s がありません。`hiroba init` を実行してください"), {"path": folder}
            ))  # fmt: skip
        elif not os.access(folder, os.W_OK | os.X_OK):
            problems.append((N_("%(path)s にこの利用者は書き込めません"), {"path": folder}))
    live = settings.live_dir
    if not problems and not (live / "index.html").is_file():
        problems.append((
            N_("%(path)s に公開中のサイトがありません。`hiroba build` を実行してください"),
            {"path": live},
        ))  # fmt: skip
    if problems:
        yield from (Finding("site", False, text, values) for text, values in problems)
    else:
        yield Finding("site", True, N_("%(path)s で公開中"), {"path": live})


def check_uploads(settings: Settings) -> Iterator[Finding]:
    """Private uploads: their folder is 0700, or their bucket takes and deletes an object."""
    fine, text, values = upload_store(settings).check()
    yield Finding("uploads", fine, text, values)


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
        values: dict[str, object] = {"queue": settings.queue_name, "count": len(ages)}
        yield Finding(
            "worker",
            False,
            N_(
                "キュー %(queue)s で動いているワーカーがありません（登録 %(count)s、応答なし）。"
                "`hiroba worker` を起動してください"
            )
            if ages
            else N_(
                "キュー %(queue)s で動いているワーカーがありません。"
                "`hiroba worker` を起動してください"
            ),
            values,
        )
        return
    newest = max(0, round(min(alive)))
    yield Finding(
        "worker",
        True,
        N_("キュー %(queue)s に %(count)s、最後の応答は %(seconds)s 秒前"),
        {"queue": settings.queue_name, "count": len(alive), "seconds": newest},
    )


def check_scanner(settings: Settings, now: datetime | None = None) -> Iterator[Finding]:
    """The virus scanner (clamd), when configured, answers, and its signatures are fresh."""
    scanner = Scanner.from_settings(settings)
    if scanner is None:
        yield Finding(
            "scanner", True, N_("使いません（HIROBA_CLAMD_SOCKET も HIROBA_CLAMD_HOST もなし）")
        )
        return
    try:
        quick = replace(scanner.clamd, timeout=min(scanner.clamd.timeout, NETWORK_TIMEOUT))
        database = Scanner(quick).database()
    except ScannerUnavailable as exc:
        yield Finding(
            "scanner", False, N_("%(reason)s。clamd が答えるまで添付ファイルは受け付けません"),
            {"reason": exc},
        )  # fmt: skip
        return
    values: dict[str, object] = {"where": scanner.describe(), "engine": database.engine}
    if database.date is None:
        yield Finding(
            "scanner", False,
            N_(
                "%(where)s の clamd（%(engine)s）が定義の日付を返しません。"
                "freshclam を実行してください"
            ),
            values,
        )  # fmt: skip
        return
    age = (now or datetime.now()) - database.date  # clamd writes its local time
    values |= {
        "version": database.version,
        "date": f"{database.date:%Y-%m-%d %H:%M}",
        "days": max(age.days, 0),
    }
    if age > SIGNATURES_STALE_AFTER:
        yield Finding(
            "scanner", False,
            N_(
                "%(where)s の clamd（%(engine)s）、定義 %(version)s（%(date)s、%(days)s 日前）。"
                "freshclam（clamav-freshclam）を確かめてください"
            ),
            values,
        )  # fmt: skip
        return
    yield Finding(
        "scanner", True,
        N_("%(where)s の clamd（%(engine)s）、定義 %(version)s（%(date)s、%(days)s 日前）"),
        values,
    )  # fmt: skip


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
