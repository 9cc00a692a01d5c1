"""The sealed stream of a backup file: a clear header, then compressed, chunked AES-GCM.

The header (magic line and a JSON line: kind, format, schema revision, time, layout) is
readable without the key. The payload is compressed and sealed with AES-256-GCM in 1 MiB
chunks; each chunk is bound to the header, its position and whether it is the last, so a
truncated, reordered or altered backup fails to open.
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..errors import HirobaError
from ..validation import N_

MAGIC = b"HIROBA-BACKUP 1\n"
CHUNK = 1 << 20


class BackupError(HirobaError):
    """A backup cannot be written, opened or restored."""


class SealedWriter:
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
            raise BackupError(N_("%(path)s は Hiroba のバックアップではありません。"), path=path)
        try:
            header: dict[str, Any] = json.loads(handle.readline())
        except ValueError:
            raise BackupError(N_("%(path)s のヘッダーが壊れています。"), path=path) from None
    return header


def open_stream(path: Path, key: bytes) -> Iterator[bytes]:
    """Yield the decrypted, decompressed payload of a backup file."""
    with path.open("rb") as handle:
        if handle.read(len(MAGIC)) != MAGIC:
            raise BackupError(N_("%(path)s は Hiroba のバックアップではありません。"), path=path)
        header_line = handle.readline()
        header = MAGIC + header_line
        prefix = handle.read(8)
        aead, unzip, index, final = AESGCM(key), zlib.decompressobj(), 0, False
        while not final:
            frame = handle.read(5)
            size, final = struct.unpack(">I?", frame) if len(frame) == 5 else (-1, False)
            sealed = handle.read(size) if size >= 0 else b""
            if len(sealed) < size or size < 0:
                raise BackupError(N_("%(path)s は途中で切れています。"), path=path)
            try:
                chunk = aead.decrypt(
                    prefix + struct.pack(">I", index),
                    sealed,
                    header + struct.pack(">I?", index, final),
                )
            except InvalidTag:
                raise BackupError(
                    N_("%(path)s はこのバックアップ鍵では開けません。"), path=path
                ) from None
            yield unzip.decompress(chunk)
            index += 1
        yield unzip.flush()
        if handle.read(1):
            raise BackupError(N_("%(path)s の最後のチャンクの後にデータがあります。"), path=path)
