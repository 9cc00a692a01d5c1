"""Contract end: export every personal record for return, then erase it everywhere.

The export is a password-protected AES-256 ZIP of UTF-8 (with BOM) CSV files, and each
export is written to the hand-over ledger. The erasure nulls every sealed column and
blind index, erases the private flyers and images of every post not on the site, disables
every sign-in, cancels owed work, compacts the database, deletes the managed backups (and
those Hiroba named under `[backup] offsite`, with the same credentials) and the queue's
jobs, replaces the data keys (so copies of old ciphertext anywhere can no longer be opened)
and writes a deletion report.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import pyzipper
from redis.exceptions import RedisError
from sqlalchemy import func, or_, select, text, update

from ..accounts.models import AccountStatus
from ..accounts.services import PERSON_FIELDS, open_person
from ..crypto import DATA_KEYS_FILE
from ..models import (
    BLIND_INDEX_COLUMNS,
    SEALED_COLUMNS,
    Account,
    Application,
    ChangeRequest,
    Person,
    Post,
    Task,
    TaskState,
    utcnow,
)
from ..posts.models import POST_LIVE
from ..runtime import Runtime
from ..spreadsheet import BOM, spreadsheet_csv
from ..store import transaction
from ..uploads.erasure import delete_upload_rows, remove_folders, sweep_orphans
from . import audit, ledger, offsite
from .backup import backups_dir
from .backup_schedule import OUTCOME_FILE
from .keys import write_data_keys

REPORTS_DIR = "reports"
ERASED_PASSWORD = "!erased"  # noqa: S105 - a marker no Argon2 hash matches, not a password


@dataclass
class ExportResult:
    """Where the export went, what it holds and its ledger entry."""

    path: Path
    counts: dict[str, int]
    ledger_id: int


def _stamp(at: datetime | None) -> str:
    return at.isoformat(sep=" ", timespec="seconds") if at else ""


def _personal_tables(rt: Runtime) -> tuple[dict[str, bytes], dict[str, int]]:
    """Return every personal record, decrypted, as CSV files, with their counts."""
    vault = rt.vault
    files: dict[str, bytes] = {}
    with rt.sessions() as session:
        accounts = list(session.scalars(select(Account).order_by(Account.id)))
        files["accounts.csv"] = spreadsheet_csv(
            ["account_id", "kind", "status", "source", "login_id", "public_name", "created_at"],
            [
                (
                    a.id,
                    a.kind,
                    a.status,
                    a.source,
                    vault.open(a.login_enc, "accounts.login"),
                    a.public_name,
                    _stamp(a.created_at),
                )
                for a in accounts
            ],
        )
        persons = list(session.scalars(select(Person).order_by(Person.id)))
        files["persons.csv"] = spreadsheet_csv(
            ["person_id", "account_id", "role", *PERSON_FIELDS],
            [
                (p.id, p.account_id, p.role, *asdict(open_person(vault, p)).values())
                for p in persons
            ],
        )
        titles = dict(session.execute(select(Post.id, Post.title)).tuples().all())
        applications = list(session.scalars(select(Application).order_by(Application.id)))
        files["applications.csv"] = spreadsheet_csv(
            [
                "application_id",
                "post_id",
                "event_title",
                "status",
                "party_size",
                "name",
                "address",
                "phone",
                "email",
                "created_at",
            ],
            [
                (
                    a.id,
                    a.post_id,
                    titles.get(a.post_id, ""),
                    a.status,
                    a.party_size,
                    *(
                        vault.open(getattr(a, f"{name}_enc"), f"applications.{name}")
                        for name in ("name", "address", "phone", "email")
                    ),
                    _stamp(a.created_at),
                )
                for a in applications
            ],
        )
        changes = list(session.scalars(select(ChangeRequest).order_by(ChangeRequest.id)))
        files["change_requests.csv"] = spreadsheet_csv(
            ["request_id", "account_id", "person_role", "status", "proposed", "created_at"],
            [
                (
                    c.id,
                    c.account_id,
                    c.person_role,
                    c.status,
                    vault.open(c.proposed_enc, "change_requests.proposed"),
                    _stamp(c.created_at),
                )
                for c in changes
            ],
        )
    counts = {
        "accounts": len(accounts),
        "persons": len(persons),
        "applications": len(applications),
        "change_requests": len(changes),
    }
    return files, counts


def export_for_return(
    rt: Runtime, output: Path, password: str, handler: str, recipient: str = ""
) -> ExportResult:
    """Write all personal data into an encrypted ZIP at output and record the hand-over."""
    files, counts = _personal_tables(rt)
    manifest = "\n".join(
        [
            "Hiroba: personal data exported for return at contract end",
            f"exported at (UTC): {_stamp(utcnow())}",
            f"handler: {handler}",
            *(f"{name}: {n} records" for name, n in counts.items()),
        ]
    )
    output = output.resolve()
    partial = output.with_name(f".{output.name}.partial")
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    try:
        with pyzipper.AESZipFile(
            partial, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
        ) as archive:
            archive.setpassword(password.encode("utf-8"))
            archive.setencryption(pyzipper.WZ_AES, nbits=256)
            for name, data in files.items():
                archive.writestr(name, data)
            archive.writestr("README.txt", (BOM + manifest + "\n").encode("utf-8"))
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    with transaction(rt.sessions) as session:
        entry = ledger.record_handover(
            session,
            handler=handler,
            action="export_for_return",
            content="all personal data (accounts, persons, applications, change requests)",
            counts=counts,
            recipient=recipient,
            file_name=output.name,
        )
        audit.record(
            session,
            None,
            "export_personal_data",
            "all",
            None,
            count=sum(counts.values()),
            detail=f"export-for-return by {handler}; ledger {entry.id}",
        )
        ledger_id = entry.id
    return ExportResult(output, counts, ledger_id)


@dataclass
class DeletionReport:
    """What the contract-end erasure removed, for the ward (削除報告書)."""

    erased_at: str
    operator: str
    counts: dict[str, int] = field(default_factory=dict)
    text_path: Path | None = None
    json_path: Path | None = None


def _count_personal(rt: Runtime) -> dict[str, int]:
    counts: dict[str, int] = {}
    with rt.sessions() as session:
        for model in dict.fromkeys(model for model, _ in SEALED_COLUMNS):
            sealed = [getattr(model, c) for m, c in SEALED_COLUMNS if m is model]
            indexes = [getattr(model, c) for m, c in BLIND_INDEX_COLUMNS if m is model]
            holding = or_(*(col.is_not(None) for col in [*sealed, *indexes]))
            counts[model.__tablename__] = (
                session.scalar(select(func.count()).select_from(model).where(holding)) or 0
            )
        counts["sealed_values"] = sum(
            session.scalar(select(func.count()).where(getattr(m, c).is_not(None))) or 0
            for m, c in SEALED_COLUMNS
        )
        counts["blind_indexes"] = sum(
            session.scalar(select(func.count()).where(getattr(m, c).is_not(None))) or 0
            for m, c in BLIND_INDEX_COLUMNS
        )
    return counts


def _null_everything(rt: Runtime, operator: str, counts: dict[str, int]) -> list[int]:
    """Null every sealed value and blind index, disable sign-in, cancel owed work; audit it."""
    with transaction(rt.sessions) as session:
        for model in dict.fromkeys(model for model, _ in SEALED_COLUMNS):
            cleared = {c: None for m, c in [*SEALED_COLUMNS, *BLIND_INDEX_COLUMNS] if m is model}
            session.execute(update(model).values(cleared))
        account_ids = list(session.scalars(select(Account.id)))
        session.execute(
            update(Account).values(password_hash=ERASED_PASSWORD, status=AccountStatus.ERASED)
        )
        cancelled = session.execute(
            update(Task).where(Task.state == TaskState.PENDING).values(state=TaskState.CANCELLED)
        )
        counts["tasks_cancelled"] = int(getattr(cancelled, "rowcount", 0) or 0)
        audit.record(
            session,
            None,
            "erase_personal_data",
            "all",
            None,
            count=counts["sealed_values"],
            detail=f"contract end by {operator}; "
            + "; ".join(f"{k}={v}" for k, v in sorted(counts.items())),
        )
    return account_ids


def _erase_uploads(rt: Runtime) -> int:
    """Erase the private files of every post not on the site, and any stray folder; count them.

    The files of live posts stay: they are public already, and the site is rebuilt from them.
    """
    with transaction(rt.sessions) as session:
        off_site = session.scalars(select(Post.id).where(Post.status.not_in(POST_LIVE)))
        tokens = delete_upload_rows(session, list(off_site))
    remove_folders(rt.settings, tokens)
    with rt.sessions() as session:  # the app is stopped: no submission is in progress
        strays = sweep_orphans(rt.settings, session, grace_seconds=0)
    return len(tokens) + strays


def _compact(rt: Runtime) -> None:
    """Rewrite the database so erased ciphertext does not linger in free pages or the WAL."""
    if rt.engine.dialect.name == "sqlite":
        with rt.engine.connect() as conn:
            conn.exec_driver_sql("VACUUM")
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return
    with rt.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for model in dict.fromkeys(model for model, _ in SEALED_COLUMNS):
            conn.execute(text(f'VACUUM "{model.__tablename__}"'))


def _delete_backups(rt: Runtime) -> int:
    """Delete the managed backups: every file of $HIROBA_HOME/backups, or of a `[backup]
    folder` only what Hiroba wrote there (it may be shared with other files)."""
    folder = backups_dir(rt.settings)
    if not folder.is_dir():
        return 0
    shared = rt.settings.deployment.backup.folder is not None
    removed = 0
    for path in folder.iterdir():
        ours = path.name.endswith((".backup", ".backup.partial")) or path.name == OUTCOME_FILE
        if path.is_file() and (ours or not shared):
            path.unlink()
            removed += 1
    return removed


def _delete_offsite_backups(rt: Runtime) -> int:
    """Delete the backups Hiroba named under `[backup] offsite` (never another object there);
    audit it; return how many, 0 with no offsite copy, -1 when the bucket did not answer."""
    url = rt.settings.deployment.backup.offsite
    if not url:
        return 0
    location = offsite.bucket_location("backup.offsite", url)
    try:
        keys = offsite.own_backups(rt.settings, location)
        deleted = offsite.delete(rt.settings, location, keys)
        detail = f"{location.describe()}: the backups Hiroba named"
    except offsite.OffsiteError as exc:
        deleted, detail = -1, f"{location.describe()}: {exc}"
    with transaction(rt.sessions) as session:
        audit.record(
            session, None, "erase_offsite_backups", "backup", None, max(deleted, 0), detail
        )
    return deleted


def _empty_queue(rt: Runtime, account_ids: list[int]) -> int:
    """Remove every job of the queue and its registries, and every sign-in session."""
    from ..accounts.sessions import revoke_sessions

    queue = rt.queue
    removed = queue.count
    queue.empty()
    for registry in (
        queue.started_job_registry,
        queue.finished_job_registry,
        queue.failed_job_registry,
        queue.deferred_job_registry,
        queue.scheduled_job_registry,
        queue.canceled_job_registry,
    ):
        for job_id in registry.get_job_ids():
            registry.remove(job_id, delete_job=True)
            removed += 1
    for account_id in account_ids:
        revoke_sessions(rt.redis, rt.settings.redis_prefix, account_id)
    return removed


def _replace_data_keys(rt: Runtime) -> None:
    """Drop every old data key: copies of old ciphertext anywhere become unreadable."""
    path = rt.settings.keys_dir / DATA_KEYS_FILE
    fresh = f"e{utcnow().strftime('%Y%m%d%H%M%S')}"
    write_data_keys(path, {fresh: os.urandom(32)}, fresh)
    rt.vault.refresh()


def erase_personal_data(rt: Runtime, operator: str) -> DeletionReport:
    """Erase every personal field everywhere Hiroba keeps one; write the deletion report."""
    counts = _count_personal(rt)
    counts["uploads_erased"] = _erase_uploads(rt)
    account_ids = _null_everything(rt, operator, counts)
    _compact(rt)
    counts["backups_deleted"] = _delete_backups(rt)
    counts["offsite_backups_deleted"] = _delete_offsite_backups(rt)
    try:
        counts["queued_jobs_removed"] = _empty_queue(rt, account_ids)
    except RedisError:
        counts["queued_jobs_removed"] = -1  # Redis down: the report says so
    remaining = _count_personal(rt)["sealed_values"]
    counts["data_keys_replaced"] = 0 if remaining else 1
    if not remaining:  # the app was stopped, as it should be: nothing new was sealed meanwhile
        _replace_data_keys(rt)
    report = DeletionReport(erased_at=utcnow().isoformat() + "Z", operator=operator, counts=counts)
    write_report(rt.settings.home / REPORTS_DIR, report)
    return report


LABELS = {
    "accounts": "アカウント（ログインID）",
    "persons": "登録者（個人・代表者・連絡担当者）",
    "applications": "イベント申込者",
    "change_requests": "登録情報変更申請",
    "password_reset_tokens": "パスワード再設定トークン",
    "sealed_values": "消去した暗号化項目の数",
    "uploads_erased": "削除した非公開の添付ファイル（チラシ・画像）",
    "blind_indexes": "消去した検索用ハッシュの数",
    "tasks_cancelled": "取り消した未処理の作業",
    "backups_deleted": "削除した管理下のバックアップ",
    "offsite_backups_deleted": "[backup] offsite から削除したバックアップ（-1: 接続できず）",
    "queued_jobs_removed": "キューから削除したジョブ（-1: Redis に接続できず）",
    "data_keys_replaced": "データ鍵の置き換え（1: 済み）",
}


# What the erasure cannot reach: the report and the command both say so.
LEFT_BEHIND = (
    "Hiroba からは消せないため、別途廃棄し、この報告書に記録してください:",
    "  - 鍵の控え（hiroba backup-keys の書庫）",
    "  - hiroba backup --to で [backup] offsite 以外の場所に置いたバックアップ、"
    "コピーや移動したバックアップ",
    "  - [backup] offsite の下の、Hiroba の名前（hiroba-…Z.backup）でないファイル",
    "  - バケットのバージョニングや複製で残る旧版",
)


def write_report(folder: Path, report: DeletionReport) -> DeletionReport:
    """Write the deletion report as text (Japanese) and JSON; set and return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"deletion-report-{report.erased_at.replace(':', '').replace('-', '')[:15]}"
    report.json_path = folder / f"{stem}.json"
    report.text_path = folder / f"{stem}.txt"
    payload = {"erased_at": report.erased_at, "operator": report.operator, **report.counts}
    report.json_path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    lines = [
        "個人情報削除報告書（Hiroba）",
        "",
        f"削除日時（UTC）: {report.erased_at}",
        f"作業者: {report.operator}",
        "",
        "削除した件数:",
        *(f"  {LABELS.get(k, k)}: {v}" for k, v in report.counts.items()),
        "",
        "データベースの暗号化項目と検索用ハッシュをすべて消去し、全アカウントのログインを無効にしました。",
        "データ鍵を新しい鍵に置き換えたため、旧鍵で暗号化された複製は復号できません。",
        *LEFT_BEHIND,
    ]
    report.text_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return report
