"""Encrypted backups of the database, the config file and the private uploads; restore.

SQLite is copied with its online backup API (a consistent snapshot while the app runs);
PostgreSQL is dumped table by table as JSON lines inside one REPEATABLE READ, read-only
transaction (a consistent snapshot without pg_dump), or, when asked, by pg_dump itself
(pg_dump.py). Any payload is sealed under $HIROBA_HOME/keys/backup.key (sealed_stream.py).
hiroba.toml and the files of $HIROBA_HOME/uploads/ follow the database inside the same
stream (backup_sections.py), read after the database snapshot: files are written before
their row commits, so an upload row the snapshot holds has its files in the backup unless
an erasure removed them in between.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, func, insert, inspect, select, text

from ..config import Settings, read_key_file
from ..crypto import BACKUP_KEY_FILE, NOT_A_KEY_FILE
from ..errors import ConfigError
from ..models import Base, utcnow
from ..office import records  # noqa: F401 - its tables join Base.metadata: backed up too
from ..validation import N_
from . import pg_dump
from .backup_sections import (
    LAYOUT,
    DatabaseFrames,
    SectionReader,
    Sink,
    UploadsRestore,
    write_config,
    write_uploads,
)
from .sealed_stream import CHUNK, BackupError, SealedWriter, open_stream, read_header

INSERT_BATCH = 500
BACKUPS_DIR = "backups"
SKIP_WHEN_COUNTING = {"site_state"}  # written by any worker start; not user data


class DatabaseNotEmpty(BackupError):
    """Restore would overwrite data; the operator must say --force."""


def backups_dir(settings: Settings) -> Path:
    """Return the folder of managed backups (the ones erasure deletes): `[backup] folder`
    of hiroba.toml, by default $HIROBA_HOME/backups."""
    return settings.deployment.backup.folder or settings.home / BACKUPS_DIR


def backup_key(settings: Settings) -> bytes:
    """Return the 256-bit backup key made by `hiroba init`."""
    path = settings.keys_dir / BACKUP_KEY_FILE
    try:
        key = bytes.fromhex(read_key_file(path).decode())
    except ValueError:
        raise ConfigError(NOT_A_KEY_FILE, path=path) from None
    if len(key) != 32:
        raise ConfigError(N_("鍵ファイル %(path)s には 32 バイトの鍵を書いてください。"), path=path)
    return key


def _kind(engine: Engine) -> str:
    return "sqlite" if engine.dialect.name == "sqlite" else "postgresql"


def _revision(engine: Engine) -> str:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return ""
        return str(conn.scalar(text("SELECT version_num FROM alembic_version")) or "")


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError(
            N_("バックアップできるのはファイルに置いた SQLite データベースだけです。")
        )
    return Path(database)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _dump_postgresql(engine: Engine, out: Sink) -> dict[str, int]:
    counts: dict[str, int] = {}
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        conn.execute(text("SET TRANSACTION READ ONLY"))
        revision = conn.scalar(text("SELECT version_num FROM alembic_version"))
        out.write(json.dumps({"t": "alembic_version", "r": {"version_num": revision}}).encode())
        out.write(b"\n")
        for table in Base.metadata.sorted_tables:
            counts[table.name] = 0
            result = conn.execution_options(yield_per=INSERT_BATCH).execute(
                select(table).order_by(*table.primary_key.columns)
            )
            for row in result.mappings():
                record = {k: _json_value(v) for k, v in row.items()}
                line = json.dumps({"t": table.name, "r": record}, ensure_ascii=False)
                out.write(line.encode() + b"\n")
                counts[table.name] += 1
    return counts


@dataclass
class BackupResult:
    """Where a backup went and what it holds."""

    path: Path
    kind: str
    revision: str
    size: int
    files: int = 0


def managed_folder(settings: Settings) -> Path:
    """Return the managed backups' folder, made (mode 0700) if it is missing."""
    folder = backups_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    return folder


def backup(
    settings: Settings,
    engine: Engine,
    output: Path | None = None,
    use_pg_dump: bool | None = None,
    prefix: str = "hiroba-",
) -> BackupResult:
    """Write a consistent, encrypted backup of the database, hiroba.toml and the uploads;
    return where. use_pg_dump (PostgreSQL only) defaults to `[backup] pg_dump`."""
    key = backup_key(settings)
    kind, revision = _kind(engine), _revision(engine)
    if use_pg_dump is None:
        use_pg_dump = settings.deployment.backup.pg_dump
    if use_pg_dump and kind != "postgresql":
        raise BackupError(
            N_(
                "pg_dump でバックアップできるのは PostgreSQL だけです。"
                "このデータベースは SQLite です。"
            )
        )
    if output is None:
        stamp = utcnow().strftime("%Y%m%dT%H%M%S%fZ")
        output = managed_folder(settings) / f"{prefix}{stamp}.backup"
    output = output.resolve()
    payload = "sqlite-file" if kind == "sqlite" else "jsonl"
    header = {
        "kind": kind,
        "format": pg_dump.FORMAT if use_pg_dump else payload,
        "revision": revision,
        "created_at": utcnow().isoformat() + "Z",
        "layout": LAYOUT,
    }
    partial = output.with_name(f".{output.name}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            writer = SealedWriter(handle, key, header)
            database = DatabaseFrames(writer)
            if kind == "sqlite":
                _dump_sqlite(settings, engine, database)
            elif use_pg_dump:
                with tempfile.TemporaryDirectory(dir=settings.home, prefix=".backup-") as tmp:
                    pg_dump.dump(engine, database, Path(tmp))
            else:
                _dump_postgresql(engine, database)
            database.close()
            write_config(settings, writer)
            files = write_uploads(settings, writer)  # after the snapshot: see the docstring
            writer.close()
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    return BackupResult(output, kind, revision, output.stat().st_size, files)


def _dump_sqlite(settings: Settings, engine: Engine, writer: Sink) -> None:
    source = _sqlite_path(engine)
    with tempfile.TemporaryDirectory(dir=settings.home, prefix=".backup-") as tmp:
        copy = Path(tmp) / "copy.db"
        src, dst = sqlite3.connect(source), sqlite3.connect(copy)
        try:
            src.backup(dst)  # a consistent snapshot, even while the app writes
        finally:
            dst.close()
            src.close()
        with copy.open("rb") as handle:
            while block := handle.read(CHUNK):
                writer.write(block)


def row_count(engine: Engine) -> int:
    """Return how many rows the database's tables hold (0 for a fresh database)."""
    with engine.connect() as conn:
        existing = set(inspect(conn).get_table_names())
        return sum(
            conn.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
            if table.name in existing and table.name not in SKIP_WHEN_COUNTING
        )


def restore(settings: Settings, engine: Engine, path: Path, force: bool = False) -> dict[str, int]:
    """Bring a backup back into this database, uploads folder and hiroba.toml; refuse to
    overwrite data unless force. Returns the rows per table, as "upload files" the files
    restored, and "config file" or "config file set aside" (hiroba.toml.from-backup) as 1.

    A backup from before uploads were included leaves the uploads folder as it is.
    """
    key = backup_key(settings)
    header = read_header(path)
    if header.get("kind") != _kind(engine):
        raise BackupError(
            N_("%(path)s は %(kind)s のバックアップですが、このデータベースは %(this)s です。"),
            path=path,
            kind=header.get("kind"),
            this=_kind(engine),
        )
    if row_count(engine) and not force:
        raise DatabaseNotEmpty(
            N_("データベースにはデータがあります。復元するなら --force を付けてください。")
        )
    stream = open_stream(path, key)
    reader = SectionReader(stream) if header.get("layout") == LAYOUT else None
    blocks = reader.database() if reader is not None else stream
    uploads = UploadsRestore(settings, reader)
    try:
        revision = header.get("revision", "")
        if header["kind"] == "sqlite":
            counts = _restore_sqlite(settings, engine, path, blocks, uploads)
        elif header.get("format") == pg_dump.FORMAT:
            counts = _restore_pg_dump(settings, engine, path, blocks, revision, uploads)
        else:
            counts = _restore_postgresql(engine, path, blocks, revision, uploads)
        uploads.swap()
        config = uploads.place_config()
    finally:
        uploads.discard()
    extra = {f"config file{' set aside' if config == 'set aside' else ''}": 1} if config else {}
    return {**counts, "upload files": uploads.files, **extra}


def _same_schema(engine: Engine, path: Path, revision: str) -> None:
    """Migrate this database to the code's schema; refuse a backup of another schema."""
    from ..store import migrate

    migrate(engine.url.render_as_string(hide_password=False))
    if _revision(engine) != revision:
        raise BackupError(
            N_(
                "%(path)s のスキーマは %(revision)s ですが、"
                "このコードのスキーマは %(current)s です。"
            ),
            path=path,
            revision=revision,
            current=_revision(engine),
        )


def _restore_pg_dump(
    settings: Settings,
    engine: Engine,
    path: Path,
    blocks: Iterator[bytes],
    revision: str,
    uploads: UploadsRestore,
) -> dict[str, int]:
    _same_schema(engine, path, revision)
    with tempfile.TemporaryDirectory(dir=settings.home, prefix=".restore-") as tmp:
        archive = pg_dump.write_archive(blocks, Path(tmp))
        uploads.stage()  # the rest of the backup is read (and verified) before any change
        engine.dispose()  # pg_restore drops tables: no pooled connection may hold them
        pg_dump.load(engine, archive, Path(tmp))
    return _table_counts(engine)


def _restore_sqlite(
    settings: Settings, engine: Engine, path: Path, blocks: Iterator[bytes], uploads: UploadsRestore
) -> dict[str, int]:
    target = _sqlite_path(engine)
    with tempfile.TemporaryDirectory(dir=settings.home, prefix=".restore-") as tmp:
        copy = Path(tmp) / "restore.db"
        with copy.open("wb") as handle:
            for block in blocks:
                handle.write(block)
        uploads.stage()  # the rest of the backup is read (and verified) before any change
        src = sqlite3.connect(copy)
        try:
            if src.execute("PRAGMA integrity_check").fetchone() != ("ok",):
                raise BackupError(N_("%(path)s のデータベースは壊れています。"), path=path)
            engine.dispose()  # our pooled connections must not keep the old pages
            dst = sqlite3.connect(target, timeout=30)
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
    return _table_counts(engine)


def _rows(blocks: Iterator[bytes]) -> Iterator[tuple[str, dict[str, Any]]]:
    pending = b""
    for block in blocks:
        pending += block
        *lines, pending = pending.split(b"\n")
        for line in lines:
            item = json.loads(line)
            yield item["t"], item["r"]
    if pending.strip():
        item = json.loads(pending)
        yield item["t"], item["r"]


def _restore_postgresql(
    engine: Engine, path: Path, blocks: Iterator[bytes], revision: str, uploads: UploadsRestore
) -> dict[str, int]:
    _same_schema(engine, path, revision)
    tables = {t.name: t for t in Base.metadata.sorted_tables}
    with engine.begin() as conn:
        names = ", ".join(f'"{name}"' for name in tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        batch: list[dict[str, Any]] = []
        current = ""
        for name, row in _rows(blocks):
            if name == "alembic_version":
                continue
            if name != current and batch:
                conn.execute(insert(tables[current]), batch)
                batch = []
            current = name
            batch.append(_typed(tables[name], row))
            if len(batch) >= INSERT_BATCH:
                conn.execute(insert(tables[name]), batch)
                batch = []
        if batch:
            conn.execute(insert(tables[current]), batch)
        uploads.stage()  # a damaged file section rolls the rows back
        for table in tables.values():
            if "id" in table.c:  # table names come from our own models, never from input
                reset = (
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
                    f'COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM "{table.name}"'
                )
                conn.execute(text(reset))
    return _table_counts(engine)


def _typed(table: Any, row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for name, value in row.items():
        if isinstance(value, str) and isinstance(table.c[name].type, DateTime):
            out[name] = datetime.fromisoformat(value)
    return out


def _table_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table.name: conn.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }
