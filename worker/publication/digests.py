"""The files of a built site folder and their SHA-256 digests, cached on this host by
(inode, size, mtime): an incremental build hard-links every file it did not change, so
only the files it wrote are read again."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

# Beside the build folders (site/), never inside one: it is not part of the site.
CACHE_NAME = ".publish-digests.json"
CHUNK = 1024 * 1024


class LocalFile(NamedTuple):
    """One file of the built site: where it is, its digest and its size (a tuple: a site
    has tens of thousands, listed on every publication)."""

    path: str
    sha256: str
    size: int


def _sha256(path: str) -> str:
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


def _load(cache: Path) -> dict[str, str]:
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def site_files(folder: Path, cache: Path) -> tuple[dict[str, LocalFile], int]:
    """Return every file of the built site in folder with its digest, and how many were
    read (not in cache, the host's digest cache, rewritten with the files seen now so it
    never grows past one site)."""
    known = _load(cache)
    seen: dict[str, str] = {}
    files: dict[str, LocalFile] = {}
    hashed = 0
    for rel, path, st in _walk(folder):
        key = f"{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"
        digest = seen.get(key) or known.get(key)
        if digest is None:
            digest, hashed = _sha256(path), hashed + 1
        seen[key] = digest
        files[rel] = LocalFile(path, digest, st.st_size)
    tmp = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(seen, separators=(",", ":")), encoding="utf-8")
        os.replace(tmp, cache)
    except OSError:  # only a cache: the next publication hashes again
        with contextlib.suppress(OSError):
            tmp.unlink()
    return files, hashed
