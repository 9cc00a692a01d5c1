"""This host's copy of the bucket's manifest, tagged by the fence token of the publication
that wrote it, so a publication need not read the whole manifest from the database.

After a publication from this host finishes, it saves beside the build folders (site/,
never inside one) every file of the folder it published with its inode, size, mtime and
SHA-256. The next publication claims the bucket and learns the token of the previous
claim (fence.claim): when that is the token saved here, no other publication has written
the bucket or its manifest since, so the manifest in the database is exactly this copy.
Otherwise (another host published, a publication stopped half-way, no copy) the manifest
is read from the database as before; the copy then still serves as this host's digest
cache (a file with the same inode, size and mtime has the same bytes: an incremental
build hard-links the files it did not change and never writes through a shared inode).

The copy also names the build folder whose files the bucket now holds: an incremental
build that started from that folder lists what it changed (worker/build/changes.py), and
the next publication then writes exactly those files without listing the folder.

The worker's parent reads the copy after each job (preload) so the next job's horse
starts with it; the horse uses it only when it is the file on disk now. The copy is a
pickle of plain values (read by an unpickler that refuses every class), written without
a memo: at 10,000 posts (51,000 files) it is saved in a twentieth of a second and read in
a fifth, where JSON took half a second each way.
"""

from __future__ import annotations

import contextlib
import gc
import io
import logging
import os
import pickle
from pathlib import Path
from typing import Any, NamedTuple

log = logging.getLogger(__name__)

NAME = ".publish-manifest.pickle"
OLD_NAMES = (".publish-manifest.json",)  # an earlier format's file, removed when saving
VERSION = 3
# (inode, size, mtime in ns, SHA-256) of one file of the published folder.
Entry = tuple[int, int, int, str]


class Snapshot(NamedTuple):
    """The saved copy: the token that wrote it, the manifest's base address, the files, and
    the name of the build folder they are (the bucket holds that folder's files)."""

    token: str
    base: str
    files: dict[str, Entry]
    folder: str = ""


EMPTY = Snapshot("", "", {})
# (the file's inode, size and mtime) and the copy, read in the worker's parent.
_loaded: tuple[tuple[int, int, int], Snapshot] | None = None


def path(site_dir: Path) -> Path:
    return site_dir / NAME


def _identity(file: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(file)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class _PlainUnpickler(pickle.Unpickler):
    """Reads plain values only: the copy names no class, and one planted by someone who
    can write to site/ must not run code in the worker (it holds the keys)."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"the manifest copy may not hold {module}.{name}")


def _read(file: Path) -> Snapshot:
    # Some 100,000 objects, none in a cycle: the collector would only rescan them.
    gc.disable()
    try:
        with open(file, "rb") as handle:
            data: Any = _PlainUnpickler(handle).load()
        if data.get("version") != VERSION:
            return EMPTY
        files = data["files"]
        if not isinstance(files, dict):
            return EMPTY
        return Snapshot(str(data["token"]), str(data["base"]), files, str(data["folder"]))
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, KeyError, TypeError,
            AttributeError, IndexError):  # fmt: skip
        return EMPTY  # only a cache: the publication reads the database and hashes
    finally:
        gc.enable()


def load(site_dir: Path) -> Snapshot:
    """Return the saved copy (the preloaded one when it is still the file), or EMPTY."""
    file = path(site_dir)
    identity = _identity(file)
    if identity is None:
        return EMPTY
    if _loaded is not None and _loaded[0] == identity:
        return _loaded[1]
    return _read(file)


def preload(site_dir: Path) -> None:
    """Read the saved copy into this process (the worker's parent) unless it has it."""
    global _loaded
    file = path(site_dir)
    identity = _identity(file)
    if identity is None or (_loaded is not None and _loaded[0] == identity):
        return
    found = _read(file)
    _loaded = (identity, found) if _identity(file) == identity and found.files else None
    # Out of the collector's way, here and in every horse forked from here (as the state
    # worker/build/preload.py reads).
    gc.freeze()


def save(site_dir: Path, done: Snapshot) -> None:
    """Save the copy of a finished publication (replacing the file in one rename)."""
    file = path(site_dir)
    tmp = file.with_name(f"{file.name}.{os.getpid()}.tmp")
    data: dict[str, Any] = {"version": VERSION, "token": done.token, "base": done.base}
    data.update(folder=done.folder, files=done.files)
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True  # no memo: plain values, nothing shared (ten times faster)
    try:
        pickler.dump(data)
        tmp.write_bytes(buffer.getbuffer())
        os.replace(tmp, file)
        for old in OLD_NAMES:
            with contextlib.suppress(OSError):
                (site_dir / old).unlink()
    except OSError as exc:  # only a cache: the next publication reads the database
        log.warning("could not save the publication's manifest copy (%s)", exc)
        with contextlib.suppress(OSError):
            tmp.unlink()


def forget(site_dir: Path) -> None:
    """Remove the copy (before a publication writes: a stale copy must never be trusted)."""
    for name in (NAME, *OLD_NAMES):
        with contextlib.suppress(OSError):
            (site_dir / name).unlink()
