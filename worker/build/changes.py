"""What an incremental build changed against the live folder it started from: every file it
wrote or replaced and every file it deleted, so a publication to a bucket that holds that
folder uploads and deletes exactly these and need not list the whole site (41,000 files at
10,000 posts).

The build names the candidates it may have touched: the tracked files whose signature
differs from the live folder's (added, changed or gone), their posts' whole folders, the
media files, and the search delta with the Pagefind fragments it took out. Each candidate
is then decided by the files themselves: a file only in the new folder, or there with
another inode than the live one's, was written; a file only in the live folder was
deleted; the same inode is the same file (a build never writes through a shared inode).
Every other file of the new folder is a hard link to a file of an earlier build with the
live folder's signature, so it holds the live folder's bytes.

A new Pagefind index (Pagefind ran over the whole folder when the search delta grew too
large, or the re-index job brings one) is decided the same way from the files of the two
pagefind/ folders (search.index_files): Pagefind writes every file anew. So every
incremental publication has a list; only a full build compares the whole folder.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .tree import MEDIA


@dataclass(frozen=True)
class Changes:
    """The files of a build folder that differ from those of the folder it started from."""

    base: str  # the name of the live folder the build started from
    written: tuple[str, ...]  # in the new folder: added or replaced (paths under it)
    deleted: tuple[str, ...]  # in the base folder only


def files_under(root: Path, rel: str) -> list[str]:
    """Return the paths (under root) of every file in the folder root/rel (none: empty)."""
    found = []
    for folder, _dirs, names in os.walk(root / rel):
        for name in names:
            found.append(os.path.relpath(os.path.join(folder, name), root).replace(os.sep, "/"))
    return found


def _inode(path: Path) -> int | None:
    """Return the inode of the regular file at path (None: no such file)."""
    try:
        st = os.stat(path, follow_symlinks=False)
    except OSError:
        return None
    return st.st_ino if stat.S_ISREG(st.st_mode) else None


def tracked_candidates(
    live_sigs: dict[str, str], wanted: dict[str, str], prefixes: Iterable[str]
) -> set[str]:
    """Return the tracked files whose signature differs (or that came or went), and their
    translations (prefix + path)."""
    found = {rel for rel, sig in wanted.items() if live_sigs.get(rel) != sig}
    found |= {rel for rel in live_sigs if rel not in wanted}
    return found | {prefix + rel for rel in found for prefix in prefixes}


def post_folders(
    candidates: Iterable[str], post_page: re.Pattern[str], prefixes: Iterable[str]
) -> set[str]:
    """Return the folders (in every language) of the posts whose own page is a candidate."""
    folders = set()
    for rel in candidates:
        found = post_page.fullmatch(rel)
        if found:
            folder = found.group(1)
            folders |= {folder, *(prefix + folder for prefix in prefixes)}
    return folders


def decide(base: Path, target: Path, candidates: Iterable[str]) -> Changes:
    """Decide each candidate by the two folders' files (see the module's note)."""
    written, deleted = [], []
    for rel in sorted(set(candidates)):
        new, old = _inode(target / rel), _inode(base / rel)
        if new is not None and new != old:
            written.append(rel)
        elif new is None and old is not None:
            deleted.append(rel)
    return Changes(base.name, tuple(written), tuple(deleted))


def collect(
    base: Path,
    target: Path,
    tracked: set[str],
    folders: set[str],
    search: Iterable[str] | None,
) -> Changes | None:
    """Return what target changed against base, from the tracked candidates, the posts'
    folders and the search files the build touched (None: it cannot say)."""
    if search is None:
        return None
    candidates = set(tracked) | set(search)
    for folder in folders:
        candidates.update(files_under(base, folder))
        candidates.update(files_under(target, folder))
    candidates.update(files_under(base, MEDIA))
    candidates.update(files_under(target, MEDIA))
    return decide(base, target, candidates)
