"""The sections of a backup's sealed payload: the database, the config file, the uploads.

Inside the encrypted, compressed stream (backup.py) a backup made since uploads are
included is a sequence of frames: one kind byte, an 8-byte big-endian length, the body.
``D`` frames carry the database payload (the SQLite file, the JSON lines or pg_dump's
archive); one ``C`` frame, when the instance has one, carries ``$HIROBA_HOME/hiroba.toml``;
each ``F`` frame carries one kept upload file (``$HIROBA_HOME/uploads/`` or the uploads
bucket: uploads/storage.py): its path ``<token>/<name>``, a NUL byte, and its bytes. Files
are streamed in blocks, never read whole. Older
backups, without frames, hold only the database and still restore; backups without a ``C``
frame leave the config file alone.

A restore writes the files into a fresh folder first and swaps it for the uploads folder
(or, with a bucket, uploads them and then deletes the objects the backup does not hold)
only when the whole backup has been read and the database restored, so a damaged backup
leaves the uploads as they were. The config file is put in place only where the new
instance has none; one that differs stays, and the backup's is written beside it.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Protocol

from ..config import Settings
from ..deployment import FILE_NAME as CONFIG_FILE
from ..errors import HirobaError
from ..uploads.storage import upload_store
from ..validation import N_

LAYOUT = "sections"
DATABASE, CONFIG, FILE = b"D", b"C", b"F"
CONFIG_LIMIT = 1 << 20  # a hiroba.toml is a few kilobytes; a bigger C frame is refused
CONFIG_ASIDE = f"{CONFIG_FILE}.from-backup"
FRAME = struct.Struct(">cQ")
BLOCK = 1 << 20
# Upload paths are <token>/<name>; anything else in a backup is refused, not written.
_PART = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}")


class SectionError(HirobaError):
    """A backup's sections are malformed (it was written by something else)."""


class Sink(Protocol):
    def write(self, data: bytes) -> None: ...


class DatabaseFrames:
    """Writes the database payload as D frames of up to BLOCK bytes."""

    def __init__(self, out: Sink) -> None:
        self._out = out
        self._buffer = bytearray()

    def write(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) >= BLOCK:
            self._emit(bytes(self._buffer[:BLOCK]))
            del self._buffer[:BLOCK]

    def close(self) -> None:
        if self._buffer:
            self._emit(bytes(self._buffer))
            self._buffer.clear()

    def _emit(self, data: bytes) -> None:
        self._out.write(FRAME.pack(DATABASE, len(data)) + data)


def write_config(settings: Settings, out: Sink) -> bool:
    """Write $HIROBA_HOME/hiroba.toml as a C frame when there is one; return whether."""
    path = settings.home / CONFIG_FILE
    if not path.is_file():
        return False
    data = path.read_bytes()
    if len(data) > CONFIG_LIMIT:
        raise SectionError(
            N_("%(path)s が %(limit)s バイトを超えています。"), path=path, limit=CONFIG_LIMIT
        )
    out.write(FRAME.pack(CONFIG, len(data)) + data)
    return True


def write_uploads(settings: Settings, out: Sink) -> int:
    """Write every upload file as an F frame; return how many."""
    count = 0
    store = upload_store(settings)
    for token, file_name in store.files():
        name = f"{token}/{file_name}"
        with store.opened(token, file_name) as (size, handle):
            label = name.encode() + b"\0"
            out.write(FRAME.pack(FILE, len(label) + size) + label)
            left = size
            while left:
                block = handle.read(min(BLOCK, left))
                if not block:
                    raise SectionError(
                        N_("アップロードファイル %(name)s がバックアップ中に小さくなりました。"),
                        name=name,
                    )
                out.write(block)
                left -= len(block)
        count += 1
    return count


class SectionReader:
    """Reads the frames of a decrypted payload given as an iterator of blocks."""

    def __init__(self, blocks: Iterator[bytes]) -> None:
        self._blocks = blocks
        self._buffer = bytearray()
        self.config: bytes | None = None  # the C frame's hiroba.toml, once read

    def _fill(self, size: int) -> bool:
        while len(self._buffer) < size:
            block = next(self._blocks, None)
            if block is None:
                return False
            self._buffer += block
        return True

    def _take(self, size: int) -> bytes:
        if not self._fill(size):
            raise SectionError(N_("バックアップがセクションの途中で終わっています。"))
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def _next_kind(self) -> bytes | None:
        """Return the next frame's kind without consuming it; None at the end."""
        if not self._fill(1):
            return None
        return bytes(self._buffer[:1])

    def database(self) -> Iterator[bytes]:
        """Yield the database payload, frame by frame, up to the first file."""
        while self._next_kind() == DATABASE:
            _, size = FRAME.unpack(self._take(FRAME.size))
            yield self._take(size)

    def restore_files(self, folder: Path) -> int:
        """Write every remaining F frame under folder; read to the end; return how many."""
        count = 0
        while (kind := self._next_kind()) is not None:
            if kind not in (FILE, CONFIG):
                raise SectionError(N_("想定外のセクション %(kind)s があります。"), kind=repr(kind))
            _, size = FRAME.unpack(self._take(FRAME.size))
            if kind == CONFIG:
                if size > CONFIG_LIMIT or self.config is not None:
                    raise SectionError(N_("バックアップの設定セクションが壊れています。"))
                self.config = self._take(size)
                continue
            name, left = self._label(size)
            target = folder / name
            target.parent.mkdir(mode=0o700, exist_ok=True)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                self._copy(handle, left)
            count += 1
        return count

    def _label(self, size: int) -> tuple[str, int]:
        """Read a file frame's path; return it and how many bytes of the file follow."""
        self._fill(min(size, 512))
        end = self._buffer.find(b"\0", 0, min(size, len(self._buffer)))
        if end < 0:
            raise SectionError(N_("ファイルセクションに名前がありません。"))
        name = self._take(end + 1)[:-1].decode("utf-8", errors="replace")
        parts = name.split("/")
        if len(parts) != 2 or not all(_PART.fullmatch(part) for part in parts):
            raise SectionError(N_("ファイルセクションの名前「%(name)s」が不正です。"), name=name)
        return name, size - end - 1

    def _copy(self, handle: IO[bytes], size: int) -> None:
        while size:
            if not self._buffer and not self._fill(1):
                raise SectionError(N_("バックアップがファイルの途中で終わっています。"))
            piece = bytes(self._buffer[:size])
            del self._buffer[: len(piece)]
            handle.write(piece)
            size -= len(piece)


class UploadsRestore:
    """Stages a backup's upload files beside the uploads folder, then swaps them in."""

    def __init__(self, settings: Settings, reader: SectionReader | None) -> None:
        self._settings = settings
        self._reader = reader
        self._store = upload_store(settings)
        self._staging = self._store.staging_folder(settings)
        self.files = 0

    def stage(self) -> None:
        """Read the rest of the backup into the staging folder (nothing for older backups)."""
        if self._reader is None:
            return
        self._staging.mkdir(mode=0o700)
        self.files = self._reader.restore_files(self._staging)

    def swap(self) -> None:
        """Make the staged files the uploads; the previous ones are deleted."""
        if self._reader is None:
            return
        self._store.replace_all(self._staging)

    def place_config(self) -> str:
        """Put the backup's hiroba.toml in place where there is none; return what was done:
        "" (none in the backup, or the same file), "restored", or "set aside" (a different
        one is here: the backup's is written beside it as hiroba.toml.from-backup)."""
        data = self._reader.config if self._reader is not None else None
        if data is None:
            return ""
        target = self._settings.home / CONFIG_FILE
        if target.exists():
            if target.read_bytes() == data:
                return ""
            target = self._settings.home / CONFIG_ASIDE
        fd, tmp = tempfile.mkstemp(dir=self._settings.home, prefix=".restore-config-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
        return "restored" if target.name == CONFIG_FILE else "set aside"

    def discard(self) -> None:
        """Delete what was staged and not swapped in (a failed restore)."""
        shutil.rmtree(self._staging, ignore_errors=True)
