"""The deployment's configuration file, `$HIROBA_HOME/hiroba.toml`: what each ward chooses.

It holds the choices that are policy rather than plumbing: which optional personal
fields are collected (all off by default: collect only what is configured), what
happens to a withdrawn user's posts, how scheduled backups are kept and how long refused
registrations are. A missing file
means the defaults; a bad one stops start-up with one sentence that names the key.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import ConfigError
from .taxonomy import AUDIENCES, AUDIENCES_EN
from .uploads.limits import UploadLimits, load_upload_limits
from .validation import N_, InvalidInput, email

# Messages several keys share (Japanese gettext ids; the `hiroba` command translates them).
TRUE_OR_FALSE = N_("%(path)s: %(key)s は true か false にしてください。")
DAYS = N_("%(path)s: %(key)s は日数の整数で、1 から 3650 にしてください。")
WHOLE_NUMBER = N_("%(path)s: %(key)s は %(low)s から %(high)s の整数にしてください。")

FILE_NAME = "hiroba.toml"
NIGHTLY_BUILD = dt.time(0, 10)  # [publishing] nightly_build by default
DIGEST_MINUTES = 60  # [operator] digest_minutes by default

# Optional personal fields per kind of registrant: (switch in [personal_fields], field name).
OPTIONAL_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "individual": (
        ("individual_occupation", "occupation"),
        ("individual_gender", "gender"),
        ("individual_birth_date", "birth_date"),
    ),
    "group": (
        ("group_title", "title"),
        ("group_gender", "gender"),
        ("group_birth_date", "birth_date"),
    ),
}
SWITCHES = tuple(switch for pairs in OPTIONAL_FIELDS.values() for switch, _ in pairs)
WITHDRAWAL_POSTS = ("unpublish", "keep_anonymous")
CONTACT_FIELDS = ("phone", "email")


@dataclass(frozen=True)
class PersonalFields:
    """Which optional personal fields this deployment collects."""

    individual_occupation: bool = False
    individual_gender: bool = False
    individual_birth_date: bool = False
    group_title: bool = False
    group_gender: bool = False
    group_birth_date: bool = False
    minimum_age: int = 0

    def optional_for(self, kind: str) -> frozenset[str]:
        """Return the optional field names switched on for an individual or a group."""
        return frozenset(name for switch, name in OPTIONAL_FIELDS[kind] if getattr(self, switch))


@dataclass(frozen=True)
class BackupPolicy:
    """Where `hiroba backup --scheduled` writes and how many of its backups it keeps."""

    folder: Path | None = None  # None: $HIROBA_HOME/backups
    keep_daily: int = 7  # the newest backup of each of this many latest days (Japan time)
    keep_weekly: int = 4  # and of each of this many latest ISO weeks
    pg_dump: bool = False  # PostgreSQL: seal pg_dump's archive instead of the JSON rows
    offsite: str = ""  # "s3://bucket/prefix": each scheduled backup is copied there too


@dataclass(frozen=True)
class Operator:
    """Who runs the site (運営事務局), as the footer and the contact page show them: text."""

    name: str = ""
    address: str = ""
    phone: str = ""
    hours: str = ""
    email: str = ""

    def public(self) -> dict[str, str]:
        """Return the details as a plain mapping (what the site build hands the theme)."""
        return {key: getattr(self, key) for key in OPERATOR_DETAILS}


# [operator] keys shown to the public, each one line of text of at most this many characters.
OPERATOR_DETAILS = ("name", "address", "phone", "hours", "email")
OPERATOR_DETAIL_MAX = 200
# [retention] keys: whole numbers of days, with their defaults.
RETENTION_DAYS = {"inquiry_days": 365, "refused_registration_days": 30, "audit_days": 365}


@dataclass(frozen=True)
class Deployment:
    """The resolved contents of hiroba.toml."""

    personal_fields: PersonalFields = field(default_factory=PersonalFields)
    withdrawal_posts: str = "unpublish"
    # Which contact fields an event's application form may ask; each post picks among them.
    application_contact: tuple[str, ...] = CONTACT_FIELDS
    # Who posts may be for (対象): key (a URL segment) to label; [audiences] replaces it.
    audiences: dict[str, str] = field(default_factory=lambda: dict(AUDIENCES))
    # Their English labels ([audiences] key = { ja = "…", en = "…" }); a key without one
    # shows its Japanese label on English pages (`hiroba check` says which).
    audiences_en: dict[str, str] = field(default_factory=lambda: dict(AUDIENCES_EN))
    # Old content: past events leave the site this many days after they end, and a poster
    # asked to remove stale content has this many days before moderators may remove it.
    archive_after_days: int = 180
    stale_deadline_days: int = 14
    # Flyers and images a post may carry ([uploads], see upload_limits.py).
    uploads: UploadLimits = field(default_factory=UploadLimits)
    # When the worker rebuilds the whole site each night (Japan time), or None for never:
    # right after midnight, so what is "upcoming" and what is past turn over on time.
    nightly_build: dt.time | None = NIGHTLY_BUILD
    backup: BackupPolicy = field(default_factory=BackupPolicy)
    # Who gets the alert mail of `hiroba watch` ([operator] alert_email); empty: nobody.
    alert_email: tuple[str, ...] = ()
    # The operator's contact details ([operator] name, address, phone, hours, email).
    operator: Operator = field(default_factory=Operator)
    # The worker mails the moderators a digest of waiting work at most this often
    # ([operator] digest_minutes, 0 to 10080; 0: never).
    digest_minutes: int = DIGEST_MINUTES
    # Inquiries to the operator are deleted this many days after their last activity.
    inquiry_days: int = RETENTION_DAYS["inquiry_days"]
    # Registrations refused, or never decided, are erased (rows and sealed personal data)
    # this many days after the refusal or the registration.
    refused_registration_days: int = RETENTION_DAYS["refused_registration_days"]
    # The client address sealed in each audit entry is cleared this many days after the
    # entry (the entry itself stays, and its hash does not cover the address).
    audit_days: int = RETENTION_DAYS["audit_days"]


def _table(doc: dict[str, Any], name: str, path: Path) -> dict[str, Any]:
    value = doc.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(
            N_("%(path)s: [%(name)s] は表（テーブル）にしてください。"), path=path, name=name
        )
    return value


def _unknown(table: dict[str, Any], known: tuple[str, ...], section: str, path: Path) -> None:
    for key in table:
        if key not in known:
            raise ConfigError(
                N_("%(path)s: %(key)s は知られていないキーです。"),
                path=path,
                key=f"{section}.{key}",
            )


def load_deployment(home: Path) -> Deployment:
    """Read $HIROBA_HOME/hiroba.toml; a missing file gives the defaults."""
    path = home / FILE_NAME
    if not path.exists():
        return Deployment()
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        reason = str(exc).rstrip(".")  # the parser's own words, with the line and column
        raise ConfigError(
            N_("%(path)s は正しい TOML ではありません（%(reason)s）。"), path=path, reason=reason
        ) from None
    known_sections = (
        "personal_fields", "withdrawal", "applications", "content", "audiences", "uploads",
        "publishing", "backup", "operator", "retention",
    )  # fmt: skip
    for section in doc:
        if section not in known_sections:
            raise ConfigError(
                N_("%(path)s: [%(section)s] は知られていない節です。"), path=path, section=section
            )
    personal = _table(doc, "personal_fields", path)
    _unknown(personal, (*SWITCHES, "minimum_age"), "personal_fields", path)
    switches: dict[str, Any] = {}
    for switch in SWITCHES:
        value = personal.get(switch, False)
        if not isinstance(value, bool):
            raise ConfigError(TRUE_OR_FALSE, path=path, key=f"personal_fields.{switch}")
        switches[switch] = value
    minimum_age = personal.get("minimum_age", 0)
    if isinstance(minimum_age, bool) or not isinstance(minimum_age, int):
        raise ConfigError(
            N_("%(path)s: personal_fields.minimum_age は整数にしてください。"), path=path
        )
    if not 0 <= minimum_age <= 120:
        raise ConfigError(
            N_("%(path)s: personal_fields.minimum_age は 0 から 120 にしてください。"), path=path
        )
    withdrawal = _table(doc, "withdrawal", path)
    _unknown(withdrawal, ("posts",), "withdrawal", path)
    posts = withdrawal.get("posts", "unpublish")
    if posts not in WITHDRAWAL_POSTS:
        raise ConfigError(
            N_('%(path)s: withdrawal.posts は "unpublish" か "keep_anonymous" にしてください。'),
            path=path,
        )
    audiences, audiences_en = _audiences(doc, path)
    return Deployment(
        personal_fields=PersonalFields(minimum_age=minimum_age, **switches),
        withdrawal_posts=posts,
        application_contact=_application_contact(doc, path),
        **_content(doc, path),
        audiences=audiences,
        audiences_en=audiences_en,
        uploads=load_upload_limits(doc, path),
        nightly_build=_nightly_build(doc, path),
        backup=_backup(doc, path, home),
        alert_email=_alert_email(doc, path),
        operator=_operator(doc, path),
        digest_minutes=_digest_minutes(doc, path),
        **_retention(doc, path),
    )


def _operator(doc: dict[str, Any], path: Path) -> Operator:
    """Read [operator] name, address, phone, hours, email: one line of text each."""
    table = _table(doc, "operator", path)
    details: dict[str, str] = {}
    for key in OPERATOR_DETAILS:
        value = table.get(key, "")
        if not isinstance(value, str) or len(value) > OPERATOR_DETAIL_MAX or "\n" in value:
            raise ConfigError(
                N_("%(path)s: operator.%(key)s は %(max)s 文字以内の 1 行にしてください。"),
                path=path,
                key=key,
                max=OPERATOR_DETAIL_MAX,
            )
        details[key] = value.strip()
    if details["email"]:
        try:
            details["email"] = email(details["email"])
        except InvalidInput:
            raise ConfigError(
                N_(
                    '%(path)s: operator.email は "office@example.jp" のような'
                    "アドレスにしてください。"
                ),
                path=path,
            ) from None
    return Operator(**details)


def _retention(doc: dict[str, Any], path: Path) -> dict[str, int]:
    """Read [retention]: how many days each kind of record is kept, 1 to 3650."""
    table = _table(doc, "retention", path)
    _unknown(table, tuple(RETENTION_DAYS), "retention", path)
    values: dict[str, int] = {}
    for key, default in RETENTION_DAYS.items():
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 3650:
            raise ConfigError(DAYS, path=path, key=f"retention.{key}")
        values[key] = value
    return values


def _backup(doc: dict[str, Any], path: Path, home: Path) -> BackupPolicy:
    """Read [backup]: folder (absolute, or relative to $HIROBA_HOME), keep_daily, keep_weekly,
    pg_dump, offsite (s3://bucket/prefix)."""
    table = _table(doc, "backup", path)
    known = ("folder", "keep_daily", "keep_weekly", "pg_dump", "offsite")
    _unknown(table, known, "backup", path)
    folder = table.get("folder")
    if folder is not None and (not isinstance(folder, str) or not folder.strip()):
        raise ConfigError(
            N_("%(path)s: backup.folder はフォルダーのパスにしてください。"), path=path
        )
    counts = {"keep_daily": (7, 1, 3650), "keep_weekly": (4, 0, 520)}
    keep: dict[str, int] = {}
    for key, (default, low, high) in counts.items():
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ConfigError(WHOLE_NUMBER, path=path, key=f"backup.{key}", low=low, high=high)
        keep[key] = value
    pg_dump = table.get("pg_dump", False)
    if not isinstance(pg_dump, bool):
        raise ConfigError(TRUE_OR_FALSE, path=path, key="backup.pg_dump")
    offsite = table.get("offsite", "")
    parts = urlsplit(offsite) if isinstance(offsite, str) and offsite else None
    if offsite != "" and (parts is None or parts.scheme != "s3" or not parts.netloc):
        raise ConfigError(
            N_('%(path)s: backup.offsite はバケットの URL（"s3://bucket/prefix"）にしてください。'),
            path=path,
        )
    return BackupPolicy(
        folder=(home / Path(folder).expanduser()).resolve() if folder else None,
        pg_dump=pg_dump,
        offsite=offsite,
        **keep,
    )


def _alert_email(doc: dict[str, Any], path: Path) -> tuple[str, ...]:
    """Read [operator] alert_email: one address, or a list of addresses."""
    table = _table(doc, "operator", path)
    _unknown(table, ("alert_email", "digest_minutes", *OPERATOR_DETAILS), "operator", path)
    value = table.get("alert_email", [])
    addresses = [value] if isinstance(value, str) else value
    message = N_(
        '%(path)s: operator.alert_email は "it@example.jp" のようなアドレスか、その並び（リスト）'
        "にしてください。"
    )
    if not isinstance(addresses, list) or not all(isinstance(a, str) for a in addresses):
        raise ConfigError(message, path=path)
    try:
        checked = tuple(email(address) for address in addresses)
    except InvalidInput:
        raise ConfigError(message, path=path) from None
    if not all(address.isascii() for address in checked):
        raise ConfigError(message, path=path)
    return checked


def _digest_minutes(doc: dict[str, Any], path: Path) -> int:
    """Read [operator] digest_minutes: a whole number of minutes, 0 (no digest) to 10080."""
    value = _table(doc, "operator", path).get("digest_minutes", DIGEST_MINUTES)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10080:
        raise ConfigError(
            N_(
                "%(path)s: operator.digest_minutes は分数の整数で、0（まとめて送らない）から "
                "10080 にしてください。"
            ),
            path=path,
        )
    return value


def _nightly_build(doc: dict[str, Any], path: Path) -> dt.time | None:
    """Read [publishing] nightly_build: "HH:MM" (Japan time), or false for none."""
    table = _table(doc, "publishing", path)
    _unknown(table, ("nightly_build",), "publishing", path)
    value = table.get("nightly_build", NIGHTLY_BUILD.strftime("%H:%M"))
    if value is False:
        return None
    try:
        if not isinstance(value, str) or not re.fullmatch(r"\d\d:\d\d", value):
            raise ValueError(value)
        return dt.time.fromisoformat(value)
    except ValueError:
        raise ConfigError(
            N_(
                '%(path)s: publishing.nightly_build は "00:10" のような時刻か false に'
                "してください。"
            ),
            path=path,
        ) from None


AUDIENCE_KEY = re.compile(r"[a-z0-9][a-z0-9-]{0,29}")


def _audiences(doc: dict[str, Any], path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Read [audiences]: key = "label" or key = { ja = "label", en = "English label" } pairs
    that replace the default list of 対象 (a key of the default list keeps its English)."""
    if "audiences" not in doc:
        return dict(AUDIENCES), dict(AUDIENCES_EN)
    table = _table(doc, "audiences", path)
    if not table:
        raise ConfigError(
            N_("%(path)s: [audiences] には対象を 1 つ以上書いてください。"), path=path
        )
    labels, english = {}, {}
    for key, value in table.items():
        if not AUDIENCE_KEY.fullmatch(key):
            raise ConfigError(
                N_("%(path)s: audiences.%(key)s のキーは英小文字、数字と - にしてください。"),
                path=path,
                key=key,
            )
        names = value if isinstance(value, dict) else {"ja": value}
        unknown = sorted(set(names) - {"ja", "en"})
        if unknown:
            raise ConfigError(
                N_(
                    "%(path)s: audiences.%(key)s の %(name)r は使えません"
                    "（ja と en を使ってください）。"
                ),
                path=path,
                key=key,
                name=unknown[0],
            )
        for lang in ("ja", "en"):
            label = names.get(lang, "" if lang == "en" else None)
            empty = lang == "ja" and isinstance(label, str) and not label.strip()
            if not isinstance(label, str) or len(label) > 40 or empty:
                raise ConfigError(
                    N_("%(path)s: %(key)s は 1 から 40 文字の名前にしてください。"),
                    path=path,
                    key=f"audiences.{key}.{lang}"
                    if isinstance(value, dict)
                    else f"audiences.{key}",
                )
        labels[key] = names["ja"].strip()
        own = str(names.get("en", "")).strip() or AUDIENCES_EN.get(key, "")
        if own:
            english[key] = own
    return labels, english


def _content(doc: dict[str, Any], path: Path) -> dict[str, int]:
    """Read [content]: archive_after_days and stale_deadline_days, whole numbers of days."""
    table = _table(doc, "content", path)
    known = ("archive_after_days", "stale_deadline_days")
    _unknown(table, known, "content", path)
    values = {"archive_after_days": 180, "stale_deadline_days": 14}
    for key in known:
        value = table.get(key, values[key])
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 3650:
            raise ConfigError(DAYS, path=path, key=f"content.{key}")
        values[key] = value
    return values


def _application_contact(doc: dict[str, Any], path: Path) -> tuple[str, ...]:
    """Read [applications] contact: a non-empty list drawn from "phone" and "email"."""
    table = _table(doc, "applications", path)
    _unknown(table, ("contact",), "applications", path)
    contact = table.get("contact", list(CONTACT_FIELDS))
    if (
        not isinstance(contact, list)
        or not contact
        or any(item not in CONTACT_FIELDS for item in contact)
    ):
        raise ConfigError(
            N_('%(path)s: applications.contact には "phone"、"email" かその両方を並べてください。'),
            path=path,
        )
    return tuple(name for name in CONTACT_FIELDS if name in contact)
