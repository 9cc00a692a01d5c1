"""Hiroba's settings: declared once, read from the environment and the instance folder."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Network, IPv6Network
from pathlib import Path
from typing import Any

from .. import redis_keys
from ..deployment import Deployment, load_deployment
from ..errors import ConfigError
from ..installation import resources
from ..validation import N_
from .declared import SETTINGS
from .smtp import default_sender, smtp_login
from .storage import Location, storage_settings

# The checkout's root, for tests and development tools; the code reads its own files
# (pages, theme, Pelican config, migrations) through intake.installation.resources.
REPO_ROOT = resources.CHECKOUT


INVALID = N_("%(name)s=%(raw)r は正しくありません: %(problem)s。")


def _reason(exc: ValueError) -> dict[str, object]:
    """Return a parser's reason (a message id, and its values when it has some)."""
    values = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], dict) else {}
    return {"problem": str(exc.args[0]) if exc.args else str(exc), "problem_values": values}


MIN_SECRET_KEY_LENGTH = 32


@dataclass(frozen=True)
class Settings:
    """The resolved settings of one deployment."""

    home: Path
    database_url: str
    redis_url: str
    redis_prefix: str
    content_dir: Path
    site_dir: Path
    theme_dir: Path
    site_url: str
    site_name: str
    environment: str
    debug: bool
    task_lease_seconds: int
    reconcile_seconds: int
    build_lock_seconds: int
    keep_builds: int
    search_reindex_seconds: int = 5
    search_delta_max_pages: int = 400
    pagefind_binary: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)
    office_hours: tuple[int, int] = (8 * 60, 20 * 60)
    office_days: frozenset[int] = frozenset(range(5))
    audit_bulk_threshold: int = 50
    audit_signin_failures: int = 10
    trusted_proxies: int = 0
    session_idle_seconds: int = 1800
    session_staff_seconds: int = 43200
    session_member_seconds: int = 1209600
    signin_max_failures: int = 5
    signin_lockout_seconds: int = 900
    signin_address_max_failures: int = 20
    rate_limit_forms: str = "30 per minute"
    rate_limit_signin: str = "10 per minute"
    rate_limit_apply: str = "10 per minute;60 per hour"
    reset_mails_per_hour: int = 3
    registration_id_refusals_per_hour: int = 5
    apply_min_seconds: int = 3
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_tls: str = "off"
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_ca_file: str = ""
    mail_from: str = "しんじゅく広場 事務局 <office@localhost>"
    log_format: str = "text"
    metrics_allow: tuple[IPv4Network | IPv6Network, ...] = ()
    worker_silence_seconds: int = 300
    owed_task_seconds: int = 900
    public_url: str = "http://127.0.0.1:8000"
    retention_days: int = 90
    image_decoders: int = 1
    image_decode_seconds: int = 20
    image_decode_megabytes: int = 2048
    clamd_socket: str = ""
    clamd_host: str = ""
    clamd_port: int = 3310
    clamd_timeout: int = 30
    # from_env always sets both (see storage.py); the defaults only keep the field order legal.
    uploads_location: Location = field(default_factory=lambda: Location("file"))
    publish_location: Location = field(default_factory=lambda: Location("file"))
    s3_endpoint_url: str = ""
    s3_region: str = ""
    deployment: Deployment = field(default_factory=Deployment)

    @property
    def queue_name(self) -> str:
        return redis_keys.queue(self.redis_prefix)

    @property
    def keys_dir(self) -> Path:
        return self.home / "keys"

    @property
    def live_dir(self) -> Path:
        """The symlink to the live build: HIROBA_PUBLISH_URL's file:// path, else (a bucket)
        site/current, the host's copy the next build starts from."""
        location = self.publish_location
        if location.kind == "file" and location.path is not None:
            return location.path
        return self.site_dir / "current"

    @property
    def builds_dir(self) -> Path:
        return self.site_dir / "builds"

    @property
    def pages_dir(self) -> Path:
        return resources.pages_dir()

    @property
    def pelicanconf(self) -> Path:
        return resources.pelicanconf()

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read every setting from environ (default os.environ); raise ConfigError on bad ones."""
        env = os.environ if environ is None else environ
        if "HIROBA_QUEUE" in env:
            raise ConfigError(
                N_("HIROBA_QUEUE は HIROBA_REDIS_PREFIX（キューの名前）に替わりました。")
            )
        values: dict[str, Any] = {}
        for setting in SETTINGS:
            raw = env.get(setting.name, setting.default)
            if raw is None:
                values[setting.name] = None
                continue
            try:
                values[setting.name] = setting.parse(raw)
            except ValueError as exc:
                raise ConfigError(INVALID, name=setting.name, raw=raw, **_reason(exc)) from None
        home = Path(values["HIROBA_HOME"]).expanduser().resolve()
        site_dir = Path(values["HIROBA_SITE_DIR"] or home / "site").resolve()
        database_url = values["HIROBA_DATABASE_URL"] or f"sqlite:///{home / 'hiroba.db'}"
        if "://" not in database_url:
            raise ConfigError(
                N_("HIROBA_DATABASE_URL=%(url)r はデータベースの URL ではありません。"),
                url=database_url,
            )
        redis_url = values["HIROBA_REDIS_URL"]
        if not redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise ConfigError(
                N_("HIROBA_REDIS_URL=%(url)r は redis:// の URL ではありません。"), url=redis_url
            )
        settings = cls(
            home=home,
            database_url=database_url,
            redis_url=redis_url,
            redis_prefix=values["HIROBA_REDIS_PREFIX"],
            content_dir=Path(values["HIROBA_CONTENT_DIR"] or home / "content").resolve(),
            site_dir=site_dir,
            theme_dir=Path(values["HIROBA_THEME_DIR"] or resources.theme_dir()).resolve(),
            site_url=values["HIROBA_SITE_URL"].rstrip("/"),
            site_name=values["HIROBA_SITE_NAME"],
            environment=values["HIROBA_ENV"],
            debug=values["HIROBA_DEBUG"],
            task_lease_seconds=values["HIROBA_TASK_LEASE_SECONDS"],
            reconcile_seconds=min(values["HIROBA_RECONCILE_SECONDS"], 60),
            build_lock_seconds=values["HIROBA_BUILD_LOCK_SECONDS"],
            keep_builds=values["HIROBA_KEEP_BUILDS"],
            search_reindex_seconds=values["HIROBA_SEARCH_REINDEX_SECONDS"],
            search_delta_max_pages=values["HIROBA_SEARCH_DELTA_MAX_PAGES"],
            pagefind_binary=values["HIROBA_PAGEFIND_BINARY"],
            office_hours=values["HIROBA_OFFICE_HOURS"],
            office_days=values["HIROBA_OFFICE_DAYS"],
            audit_bulk_threshold=values["HIROBA_AUDIT_BULK_THRESHOLD"],
            audit_signin_failures=values["HIROBA_AUDIT_SIGNIN_FAILURES"],
            trusted_proxies=values["HIROBA_TRUSTED_PROXIES"],
            session_idle_seconds=values["HIROBA_SESSION_IDLE_SECONDS"],
            session_staff_seconds=values["HIROBA_SESSION_STAFF_SECONDS"],
            session_member_seconds=values["HIROBA_SESSION_MEMBER_SECONDS"],
            signin_max_failures=values["HIROBA_SIGNIN_MAX_FAILURES"],
            signin_lockout_seconds=values["HIROBA_SIGNIN_LOCKOUT_SECONDS"],
            signin_address_max_failures=values["HIROBA_SIGNIN_ADDRESS_MAX_FAILURES"],
            rate_limit_forms=values["HIROBA_RATE_LIMIT_FORMS"],
            rate_limit_signin=values["HIROBA_RATE_LIMIT_SIGNIN"],
            rate_limit_apply=values["HIROBA_RATE_LIMIT_APPLY"],
            reset_mails_per_hour=values["HIROBA_RESET_MAILS_PER_HOUR"],
            registration_id_refusals_per_hour=values["HIROBA_REGISTRATION_ID_REFUSALS_PER_HOUR"],
            apply_min_seconds=values["HIROBA_APPLY_MIN_SECONDS"],
            smtp_host=values["HIROBA_SMTP_HOST"],
            smtp_port=values["HIROBA_SMTP_PORT"],
            **smtp_login(values),
            mail_from=values["HIROBA_MAIL_FROM"]
            or default_sender(values["HIROBA_SITE_NAME"], values["HIROBA_PUBLIC_URL"]),
            log_format=values["HIROBA_LOG_FORMAT"],
            metrics_allow=values["HIROBA_METRICS_ALLOW"],
            worker_silence_seconds=values["HIROBA_WORKER_SILENCE_SECONDS"],
            owed_task_seconds=values["HIROBA_OWED_TASK_SECONDS"],
            public_url=values["HIROBA_PUBLIC_URL"].rstrip("/"),
            retention_days=values["HIROBA_RETENTION_DAYS"],
            image_decoders=values["HIROBA_IMAGE_DECODERS"],
            image_decode_seconds=values["HIROBA_IMAGE_DECODE_SECONDS"],
            image_decode_megabytes=values["HIROBA_IMAGE_DECODE_MEGABYTES"],
            clamd_socket=values["HIROBA_CLAMD_SOCKET"] or "",
            clamd_host=values["HIROBA_CLAMD_HOST"] or "",
            clamd_port=values["HIROBA_CLAMD_PORT"],
            clamd_timeout=values["HIROBA_CLAMD_TIMEOUT"],
            **storage_settings(values, home, site_dir),
            deployment=load_deployment(home),
        )
        if settings.clamd_socket and settings.clamd_host:
            raise ConfigError(
                N_(
                    "HIROBA_CLAMD_SOCKET と HIROBA_CLAMD_HOST の両方が設定されているので、"
                    "clamd が待ち受けている方だけを残してください。"
                )
            )
        if settings.environment == "production" and settings.debug:
            raise ConfigError(N_("HIROBA_ENV=production では HIROBA_DEBUG をオフにしてください。"))
        return settings

    def secret_key(self) -> bytes:
        """Return the Flask secret key, created by `hiroba init` (at least 32 characters)."""
        path = self.keys_dir / "secret.key"
        key = read_key_file(path)
        if len(key) < MIN_SECRET_KEY_LENGTH:
            raise ConfigError(
                N_(
                    "鍵ファイル %(path)s が %(length)s 文字より短いので、"
                    "もっと長いランダムな鍵に替えてください。"
                ),
                path=path,
                length=MIN_SECRET_KEY_LENGTH,
            )
        return key


def read_key_file(path: Path) -> bytes:
    """Read a key file, refusing a missing one or one readable by others."""
    if not path.exists():
        raise ConfigError(
            N_("鍵ファイル %(path)s がないので、先に `hiroba init` を実行してください。"),
            path=path,
        )
    mode = path.stat().st_mode & 0o077
    if mode:
        raise ConfigError(
            N_("鍵ファイル %(path)s を他の利用者が読めるので、chmod 600 してください。"), path=path
        )
    return path.read_bytes().strip()
