"""Every environment setting, declared once: its name, default, parser and the sentence that
documents it (the Settings dataclass in intake.config resolves them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import parsers


@dataclass(frozen=True)
class Setting:
    """One environment setting: its name, default, parser and the sentence that documents it."""

    name: str
    default: str | None
    help: str
    parse: Callable[[str], Any] = str


SETTINGS: tuple[Setting, ...] = (
    Setting("HIROBA_HOME", "./instance", "Instance folder: database, keys, content and site."),
    Setting(
        "HIROBA_DATABASE_URL",
        None,
        "SQLAlchemy URL of the system of record; default SQLite at $HIROBA_HOME/hiroba.db (WAL).",
    ),
    Setting("HIROBA_REDIS_URL", "redis://127.0.0.1:6379/0", "Redis URL of the job queue."),
    Setting(
        "HIROBA_REDIS_PREFIX",
        "hiroba",
        "Prefix of every Redis key, rq queue name and job id (instances sharing a Redis differ).",
        parsers.redis_prefix,
    ),
    Setting("HIROBA_CONTENT_DIR", None, "Pelican content folder; default $HIROBA_HOME/content."),
    Setting("HIROBA_SITE_DIR", None, "Built sites; default $HIROBA_HOME/site (live: current)."),
    Setting("HIROBA_THEME_DIR", None, "Pelican theme folder; default Hiroba's own theme/."),
    Setting("HIROBA_SITE_URL", "", "Absolute URL of the public site for feeds; empty: relative."),
    Setting("HIROBA_SITE_NAME", "しんじゅく広場", "The site's name shown in the header."),
    Setting(
        "HIROBA_ENV",
        "development",
        "development or production (production refuses debug).",
        parsers.environment,
    ),
    Setting("HIROBA_DEBUG", "0", "Flask debug mode; refused in production.", parsers.flag),
    Setting(
        "HIROBA_TRUSTED_PROXIES",
        "0",
        "How many proxies in front of the intake set X-Forwarded-For/-Proto (0: trust none).",
        parsers.whole_number,
    ),
    Setting(
        "HIROBA_SESSION_IDLE_SECONDS",
        "1800",
        "A session unused this long is ended (everyone).",
        parsers.positive_int,
    ),
    Setting(
        "HIROBA_SESSION_STAFF_SECONDS",
        "43200",
        "Absolute lifetime of a moderator's or ward staff's session.",
        parsers.positive_int,
    ),
    Setting(
        "HIROBA_SESSION_MEMBER_SECONDS",
        "1209600",
        "Absolute lifetime of an individual's or group's session.",
        parsers.positive_int,
    ),
    Setting(
        "HIROBA_SIGNIN_MAX_FAILURES",
        "5",
        "Consecutive failed sign-ins that lock an account's sign-in.",
        parsers.positive_int,
    ),
    Setting(
        "HIROBA_SIGNIN_LOCKOUT_SECONDS",
        "900",
        "How long a locked sign-in stays locked (and how long failures are counted).",
        parsers.positive_int,
    ),
    Setting(
        "HIROBA_SIGNIN_ADDRESS_MAX_FAILURES",
        "20",
        "Failed sign-ins from one client address that block its sign-ins for the lockout time.",
        parsers.positive_int,
    ),
    Setting(
        "HIROBA_RATE_LIMIT_FORMS",
        "30 per minute",
        "Rate limit of each form's POSTs per client address.",
        parsers.rate_limit,
    ),
    Setting(
        "HIROBA_RATE_LIMIT_SIGNIN",
        "10 per minute",
        "Rate limit of sign-in POSTs (both steps) per client address.",
        parsers.rate_limit,
    ),
    Setting(
        "HIROBA_RATE_LIMIT_APPLY",
        "10 per minute;60 per hour",
        "Rate limit of event-application POSTs (apply, cancel) per client address.",
        parsers.rate_limit,
    ),
    Setting(
        "HIROBA_RESET_MAILS_PER_HOUR",
        "3",
        "Password-reset mails per account and per mail address in an hour; more asks send none.",
        parsers.positive_int,
    ),
    Setting(
        "HIROBA_REGISTRATION_ID_REFUSALS_PER_HOUR",
        "5",
        "Times a client address may be told a login ID is not available in an hour; then pause.",
        parsers.positive_int,
    ),
    Setting(
        "HIROBA_APPLY_MIN_SECONDS",
        "3",
        "Seconds an application form must be open before it is accepted (0: no check).",
        parsers.whole_number,
    ),
    Setting(
        "HIROBA_IMAGE_DECODERS",
        "1",
        "Uploaded images decoded at once on this host (further uploads are asked to resend).",
        parsers.positive_int,
    ),
    Setting(
        "HIROBA_IMAGE_DECODE_SECONDS",
        "20",
        "CPU seconds one uploaded image's decoding process may use before it is stopped.",
        parsers.positive_int,
    ),
    Setting(
        "HIROBA_IMAGE_DECODE_MEGABYTES",
        "2048",
        "Memory (MB of address space) one uploaded image's decoding process may add.",
        parsers.positive_int,
    ),
    Setting(
        "HIROBA_CLAMD_SOCKET",
        None,
        "Unix socket of ClamAV's clamd; set it (or HIROBA_CLAMD_HOST) and every upload is scanned.",
    ),
    Setting(
        "HIROBA_CLAMD_HOST",
        None,
        "Host of ClamAV's clamd over TCP (instead of HIROBA_CLAMD_SOCKET); unset: no scanning.",
    ),
    Setting(
        "HIROBA_CLAMD_PORT", "3310", "TCP port of clamd on HIROBA_CLAMD_HOST.", parsers.positive_int
    ),
    Setting(
        "HIROBA_CLAMD_TIMEOUT",
        "30",
        "Seconds clamd may take to answer a scan; later, the upload is refused (fail closed).",
        parsers.positive_int,
    ),
    Setting(
        "HIROBA_UPLOADS_URL",
        None,
        "Private uploads: file:///folder (default $HIROBA_HOME/uploads) or s3://bucket/prefix.",
    ),
    Setting(
        "HIROBA_PUBLISH_URL",
        None,
        "The published site: file:///folder (default $HIROBA_SITE_DIR/current) or s3://bucket/prefix.",
    ),
    Setting(
        "HIROBA_S3_ENDPOINT_URL", None, "S3 endpoint of a provider other than AWS (https://…)."
    ),
    Setting("HIROBA_S3_REGION", None, "S3 region (ap-northeast-1, …); unset: boto3's default."),
    Setting(
        "HIROBA_TASK_LEASE_SECONDS",
        "60",
        "Seconds a started task is left to its worker before the reconciler re-enqueues it.",
        parsers.positive_int,
    ),
    Setting(
        "HIROBA_RECONCILE_SECONDS",
        "30",
        "Seconds between two reconciler passes of a running worker (at most 60).",
        parsers.positive_int,
    ),
    Setting(
        "HIROBA_BUILD_LOCK_SECONDS",
        "30",
        "Seconds the build lock lives without a heartbeat (a killed build frees it after this).",
        parsers.positive_int,
    ),
    Setting(
        "HIROBA_KEEP_BUILDS",
        "2",
        "Build folders kept: the live one, and from 2 the incremental publisher's spare.",
        parsers.positive_int,
    ),
    Setting(
        "HIROBA_SEARCH_REINDEX_SECONDS",
        "5",
        "Seconds after a publication before search is fully re-indexed (0: at once).",
        parsers.whole_number,
    ),
    Setting(
        "HIROBA_SEARCH_DELTA_MAX_PAGES",
        "400",
        "Pages the search delta may hold in each language; a publication past it runs Pagefind.",
        parsers.positive_int,
    ),
    Setting(
        "HIROBA_PAGEFIND_BINARY",
        "",
        "Pagefind binary to run (empty: the one the pagefind-bin-extended wheel installs).",
        parsers.one_line,
    ),
    Setting(
        "HIROBA_OFFICE_HOURS",
        "08:00-20:00",
        "Office hours (JST) of `hiroba audit report`; access outside them is flagged.",
        parsers.clock_range,
    ),
    Setting(
        "HIROBA_OFFICE_DAYS",
        "mon-fri",
        "Office days of `hiroba audit report`; access on other days is flagged.",
        parsers.weekdays,
    ),
    Setting(
        "HIROBA_AUDIT_BULK_THRESHOLD",
        "50",
        "Personal-data records one user may view or export in an hour before it is flagged.",
        parsers.positive_int,
    ),
    Setting(
        "HIROBA_AUDIT_SIGNIN_FAILURES",
        "10",
        "Failed sign-ins within one hour that `hiroba audit report` flags as a burst.",
        parsers.positive_int,
    ),
    Setting("HIROBA_SMTP_HOST", "127.0.0.1", "SMTP server the worker sends mail through."),
    Setting("HIROBA_SMTP_PORT", "25", "Port of the SMTP server.", parsers.positive_int),
    Setting(
        "HIROBA_SMTP_TLS",
        "off",
        "TLS to the SMTP server: starttls, tls (implicit, port 465) or off (a local relay).",
        parsers.smtp_tls,
    ),
    Setting("HIROBA_SMTP_USER", "", "User name for SMTP AUTH (empty: no login).", parsers.one_line),
    Setting("HIROBA_SMTP_PASSWORD", "", "Password for SMTP AUTH (or HIROBA_SMTP_PASSWORD_FILE)."),
    Setting(
        "HIROBA_SMTP_PASSWORD_FILE",
        "",
        "File holding the SMTP password (mode 0600), instead of HIROBA_SMTP_PASSWORD.",
    ),
    Setting(
        "HIROBA_SMTP_CA_FILE",
        "",
        "CA certificates (PEM) that verify the SMTP server; empty: the system's.",
    ),
    Setting(
        "HIROBA_MAIL_FROM",
        None,
        "Sender of Hiroba's mail, with a display name; default `<site name> 事務局 <office@host>`.",
        parsers.sender,
    ),
    Setting(
        "HIROBA_PUBLIC_URL",
        "http://127.0.0.1:8000",
        "Absolute URL of the intake's origin, used for links in mail (password reset).",
    ),
    Setting(
        "HIROBA_RETENTION_DAYS",
        "90",
        "Days to keep applicants past an event.",
        parsers.positive_int,
    ),
    Setting(
        "HIROBA_LOG_FORMAT",
        "text",
        "Log lines of the web and worker processes: text or json (one object per line).",
        parsers.log_format,
    ),
    Setting(
        "HIROBA_METRICS_ALLOW",
        "",
        "Addresses or networks (comma-separated) besides loopback that may read /metrics.",
        parsers.networks,
    ),
    Setting(
        "HIROBA_WORKER_SILENCE_SECONDS",
        "300",
        "A worker without a heartbeat this long is silent: /healthz says degraded, an alert goes.",
        parsers.positive_int,
    ),
    Setting(
        "HIROBA_OWED_TASK_SECONDS",
        "900",
        "An owed task older than this is stale: /healthz says degraded (503 with ?strict=1).",
        parsers.positive_int,
    ),
)
