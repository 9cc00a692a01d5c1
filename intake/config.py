"""Hiroba's settings: declared once, read from the environment and the instance folder."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Setting:
    """One environment setting: its name, default, parser and the sentence that documents it."""

    name: str
    default: str | None
    help: str
    parse: Callable[[str], Any] = str


def _positive_int(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ValueError("must be a positive whole number") from None
    if value <= 0:
        raise ValueError("must be a positive whole number")
    return value


def _bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("must be one of 1, 0, true, false, yes, no, on, off")


def _environment(raw: str) -> str:
    if raw not in {"development", "production"}:
        raise ValueError("must be 'development' or 'production'")
    return raw


SETTINGS: tuple[Setting, ...] = (
    Setting("HIROBA_HOME", "./instance", "Instance folder: database, keys, content and site."),
    Setting(
        "HIROBA_DATABASE_URL",
        None,
        "SQLAlchemy URL of the system of record; default SQLite at $HIROBA_HOME/hiroba.db (WAL).",
    ),
    Setting("HIROBA_REDIS_URL", "redis://127.0.0.1:6379/0", "Redis URL of the job queue."),
    Setting("HIROBA_QUEUE", "hiroba", "Name of the rq queue the intake and worker share."),
    Setting("HIROBA_CONTENT_DIR", None, "Pelican content folder; default $HIROBA_HOME/content."),
    Setting("HIROBA_SITE_DIR", None, "Built sites; default $HIROBA_HOME/site (live: current)."),
    Setting("HIROBA_THEME_DIR", None, "Pelican theme folder; default the repository's theme/."),
    Setting("HIROBA_SITE_URL", "", "Absolute URL of the public site for feeds; empty: relative."),
    Setting("HIROBA_SITE_NAME", "しんじゅく広場", "The site's name shown in the header."),
    Setting(
        "HIROBA_ENV",
        "development",
        "development or production (production refuses debug).",
        _environment,
    ),
    Setting("HIROBA_DEBUG", "0", "Flask debug mode; refused in production.", _bool),
    Setting(
        "HIROBA_TASK_LEASE_SECONDS",
        "60",
        "Seconds a started task is left to its worker before the reconciler re-enqueues it.",
        _positive_int,
    ),
    Setting(
        "HIROBA_RECONCILE_SECONDS",
        "30",
        "Seconds between two reconciler passes of a running worker (at most 60).",
        _positive_int,
    ),
    Setting(
        "HIROBA_BUILD_LOCK_SECONDS",
        "30",
        "Seconds the build lock lives without a heartbeat (a killed build frees it after this).",
        _positive_int,
    ),
    Setting(
        "HIROBA_KEEP_BUILDS",
        "3",
        "How many older site builds are kept beside current.",
        _positive_int,
    ),
)

SETTING_NAMES = frozenset(s.name for s in SETTINGS)


@dataclass(frozen=True)
class Settings:
    """The resolved settings of one deployment."""

    home: Path
    database_url: str
    redis_url: str
    queue_name: str
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
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def keys_dir(self) -> Path:
        return self.home / "keys"

    @property
    def live_dir(self) -> Path:
        return self.site_dir / "current"

    @property
    def builds_dir(self) -> Path:
        return self.site_dir / "builds"

    @property
    def pages_dir(self) -> Path:
        return REPO_ROOT / "content" / "pages"

    @property
    def pelicanconf(self) -> Path:
        return REPO_ROOT / "pelican" / "pelicanconf.py"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read every setting from environ (default os.environ); raise ConfigError on bad ones."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for setting in SETTINGS:
            raw = env.get(setting.name, setting.default)
            if raw is None:
                values[setting.name] = None
                continue
            try:
                values[setting.name] = setting.parse(raw)
            except ValueError as exc:
                raise ConfigError(f"{setting.name}={raw!r} is not valid: {exc}.") from None
        home = Path(values["HIROBA_HOME"]).expanduser().resolve()
        database_url = values["HIROBA_DATABASE_URL"] or f"sqlite:///{home / 'hiroba.db'}"
        if "://" not in database_url:
            raise ConfigError(f"HIROBA_DATABASE_URL={database_url!r} is not a database URL.")
        redis_url = values["HIROBA_REDIS_URL"]
        if not redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise ConfigError(f"HIROBA_REDIS_URL={redis_url!r} is not a redis:// URL.")
        settings = cls(
            home=home,
            database_url=database_url,
            redis_url=redis_url,
            queue_name=values["HIROBA_QUEUE"],
            content_dir=Path(values["HIROBA_CONTENT_DIR"] or home / "content").resolve(),
            site_dir=Path(values["HIROBA_SITE_DIR"] or home / "site").resolve(),
            theme_dir=Path(values["HIROBA_THEME_DIR"] or REPO_ROOT / "theme").resolve(),
            site_url=values["HIROBA_SITE_URL"].rstrip("/"),
            site_name=values["HIROBA_SITE_NAME"],
            environment=values["HIROBA_ENV"],
            debug=values["HIROBA_DEBUG"],
            task_lease_seconds=values["HIROBA_TASK_LEASE_SECONDS"],
            reconcile_seconds=min(values["HIROBA_RECONCILE_SECONDS"], 60),
            build_lock_seconds=values["HIROBA_BUILD_LOCK_SECONDS"],
            keep_builds=values["HIROBA_KEEP_BUILDS"],
        )
        if settings.environment == "production" and settings.debug:
            raise ConfigError("HIROBA_DEBUG is on while HIROBA_ENV=production; turn debug off.")
        return settings

    def secret_key(self) -> bytes:
        """Return the Flask secret key, created by `hiroba init`."""
        return read_key_file(self.keys_dir / "secret.key")


def read_key_file(path: Path) -> bytes:
    """Read a key file, refusing a missing one or one readable by others."""
    if not path.exists():
        raise ConfigError(f"The key file {path} is missing; run `hiroba init` first.")
    mode = path.stat().st_mode & 0o077
    if mode:
        raise ConfigError(f"The key file {path} is readable by others; chmod 600 it.")
    return path.read_bytes().strip()
