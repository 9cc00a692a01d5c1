"""The files of a built site folder and their SHA-256 digests, cached on this host by
(inode, size, mtime) in its copy of the manifest (snapshot.py): an incremental build
hard-links every file it did not change, so only the files it wrote are read again."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from .snapshot import Entry

CHUNK = 1024 * 1024


class LocalFile(NamedTuple):
    """One file of the built site: where it is, its digest and its size (a tuple: a site
    has tens of thousands, listed on every publication)."""

    path: str
    sha256: str
    size: int


def sha256_of(path: str) -> str:
    """Return the SHA-256 of the file at path (hex)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _walk(folder: Path) -> Iterator[tuple[str, str, os.stat_result]]:
    """Yield (relative POSIX path, path, stat) of every regular file under folder."""
    pending = [(str(folder), "")]
    while pending:
        top, prefix = pending.pop()
        with os.scandir(top) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    pending.append((entry.path, f"{prefix}{entry.name}/"))
                elif entry.is_file(follow_symlinks=False):
                    yield prefix + entry.name, entry.path, entry.stat(follow_symlinks=False)


def site_files(folder: Path, cached: dict[str, Entry]) -> tuple[dict[str, Entry], int]:
    """Return every file of the built site in folder as (inode, size, mtime, digest), and
    how many were read: a file whose inode, size and mtime are those cached for its path
    (this host's copy of what it last published, snapshot.py) has the cached digest."""
    files: dict[str, Entry] = {}
    hashed = 0
    for rel, path, st in _walk(folder):
        ino, size, mtime = st.st_ino, st.st_size, st.st_mtime_ns
        old = cached.get(rel)
        if old is not None and old[0] == ino and old[1] == size and old[2] == mtime:
            files[rel] = old
        else:
            files[rel] = (ino, size, mtime, sha256_of(path))
            hashed += 1
    return files, hashed
