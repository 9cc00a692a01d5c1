"""Encrypted backups of the database and the private uploads, and their restore.

SQLite is copied with its online backup API (a consistent snapshot while the app runs);
PostgreSQL is dumped table by table as JSON lines inside one REPEATABLE READ, read-only
transaction (a consistent snapshot without pg_dump). Either payload is compressed and
sealed with AES-256-GCM under $HIROBA_HOME/keys/backup.key in 1 MiB chunks; each chunk is
bound to the file's header, its position and whether it is the last, so a truncated,
reordered or altered backup fails to open. The files of $HIROBA_HOME/uploads/ follow the
database inside the same stream (backup_sections.py), read after the database snapshot:
files are written before their row commits, so an upload row the snapshot holds has its
files in the backup unless an erasure removed them in between.
"""

from __future__ import annotations

import json
import os
import sqlite3
import struct
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import DateTime, Engine, func, insert, inspect, select, text

from ..config import Settings, read_key_file
from ..crypto import BACKUP_KEY_FILE
from ..errors import ConfigError, HirobaError
from ..models import Base, utcnow
from .backup_sections import (
    LAYOUT,
    DatabaseFrames,
    SectionReader,
    Sink,
    UploadsRestore,
    write_uploads,
)

MAGIC = b"HIROBA-BACKUP 1\n"
CHUNK = 1 << 20
INSERT_BATCH = 500
BACKUPS_DIR = "backups"
SKIP_WHEN_COUNTING = {"site_state"}  # written by any worker start; not user data


class BackupError(HirobaError):
    """A backup cannot be written, opened or restored."""


class DatabaseNotEmpty(BackupError):
    """Restore would overwrite data; the operator must say --force."""


def backups_dir(settings: Settings) -> Path:
    """Return the folder of managed backups (the ones erasure deletes)."""
    return settings.home / BACKUPS_DIR


def backup_key(settings: Settings) -> bytes:
    """Return the 256-bit backup key made by `hiroba init`."""
    path = settings.keys_dir / BACKUP_KEY_FILE
    try:
        key = bytes.fromhex(read_key_file(path).decode())
    except ValueError:
        raise ConfigError(f"{path} is not a valid key file.") from None
    if len(key) != 32:
        raise ConfigError(f"{path} must hold a 32-byte key.")
    return key


class _SealedWriter:
    """Writes a compressed, chunked AES-GCM stream after a header."""

    def __init__(self, handle: IO[bytes], key: bytes, header: dict[str, Any]) -> None:
        self._handle = handle
        self._aead = AESGCM(key)
        self._prefix = os.urandom(8)
        self._header = MAGIC + json.dumps(header, sort_keys=True).encode() + b"\n"
        self._zip = zlib.compressobj(6)
        self._buffer = bytearray()
        self._index = 0
        handle.write(self._header + self._prefix)

    def write(self, data: bytes) -> None:
        self._buffer += self._zip.compress(data)
        while len(self._buffer) >= CHUNK:
            self._emit(bytes(self._buffer[:CHUNK]), final=False)
            del self._buffer[:CHUNK]

    def close(self) -> None:
        self._buffer += self._zip.flush()
        while len(self._buffer) > CHUNK:
            self._emit(bytes(self._buffer[:CHUNK]), final=False)
            del self._buffer[:CHUNK]
        self._emit(bytes(self._buffer), final=True)

    def _emit(self, chunk: bytes, final: bool) -> None:
        nonce = self._prefix + struct.pack(">I", self._index)
        aad = self._header + struct.pack(">I?", self._index, final)
        sealed = self._aead.encrypt(nonce, chunk, aad)
        self._handle.write(struct.pack(">I?", len(sealed), final) + sealed)
        self._index += 1


def read_header(path: Path) -> dict[str, Any]:
    """Return the clear header of a backup file (kind, date, schema revision)."""
    with path.open("rb") as handle:
        if handle.read(len(MAGIC)) != MAGIC:
            raise BackupError(f"{path} is not a Hiroba backup")
        try:
            header: dict[str, Any] = json.loads(handle.readline())
        except ValueError:
            raise BackupError(f"{path} has a damaged header") from None
    return header


def _open_stream(path: Path, key: bytes) -> Iterator[bytes]:
    """Yield the decrypted, decompressed payload of a backup file."""
    with path.open("rb") as handle:
        if handle.read(len(MAGIC)) != MAGIC:
            raise BackupError(f"{path} is not a Hiroba backup")
        header_line = handle.readline()
        header = MAGIC + header_line
        prefix = handle.read(8)
        aead, unzip, index, final = AESGCM(key), zlib.decompressobj(), 0, False
        while not final:
            frame = handle.read(5)
            if len(frame) < 5:
                raise BackupError(f"{path} is truncated")
            size, final = struct.unpack(">I?", frame)
            sealed = handle.read(size)
            try:
                chunk = aead.decrypt(
                    prefix + struct.pack(">I", index),
                    sealed,
                    header + struct.pack(">I?", index, final),
                )
            except InvalidTag:
                raise BackupError(f"{path} does not open with this backup key") from None
            yield unzip.decompress(chunk)
            index += 1
        yield unzip.flush()
        if handle.read(1):
            raise BackupError(f"{path} has data after its last chunk")


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
        raise BackupError("only a SQLite database in a file can be backed up")
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


def backup(settings: Settings, engine: Engine, output: Path | None = None) -> BackupResult:
    """Write a consistent, encrypted backup of the database and the uploads; return where."""
    key = backup_key(settings)
    kind, revision = _kind(engine), _revision(engine)
    if output is None:
        folder = backups_dir(settings)
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
        output = folder / f"hiroba-{utcnow().strftime('%Y%m%dT%H%M%S%fZ')}.backup"
    output = output.resolve()
    header = {
        "kind": kind,
        "format": "sqlite-file" if kind == "sqlite" else "jsonl",
        "revision": revision,
        "created_at": utcnow().isoformat() + "Z",
        "layout": LAYOUT,
    }
    partial = output.with_name(f".{output.name}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            writer = _SealedWriter(handle, key, header)
            database = DatabaseFrames(writer)
            if kind == "sqlite":
                _dump_sqlite(settings, engine, database)
            else:
                _dump_postgresql(engine, database)
            database.close()
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
    """Bring a backup back into this database and uploads folder; refuse to overwrite data
    unless force. Returns the rows per table and, as "upload files", the files restored.

    A backup from before uploads were included leaves the uploads folder as it is.
    """
    key = backup_key(settings)
    header = read_header(path)
    if header.get("kind") != _kind(engine):
        raise BackupError(
            f"{path} is a {header.get('kind')} backup; this database is {_kind(engine)}"
        )
    if row_count(engine) and not force:
        raise DatabaseNotEmpty("the database holds data; restore only with --force")
    stream = _open_stream(path, key)
    reader = SectionReader(stream) if header.get("layout") == LAYOUT else None
    blocks = reader.database() if reader is not None else stream
    uploads = UploadsRestore(settings, reader)
    try:
        if header["kind"] == "sqlite":
            counts = _restore_sqlite(settings, engine, path, blocks, uploads)
        else:
            counts = _restore_postgresql(engine, path, blocks, header.get("revision", ""), uploads)
        uploads.swap()
    finally:
        uploads.discard()
    return {**counts, "upload files": uploads.files}


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
                raise BackupError(f"{path} holds a damaged database")
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
    from ..store import migrate

    migrate(engine.url.render_as_string(hide_password=False))
    if _revision(engine) != revision:
        raise BackupError(f"{path} has schema {revision!r}; this code has {_revision(engine)!r}")
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
