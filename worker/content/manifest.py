"""What this host's content/ holds, kept beside it: a cache record, never the truth.

``<content>.manifest.json`` maps each post file this host wrote to the post's
``published_hash`` it is in line with, and says up to which site revision its
``groups.json`` is known to be current (``groups_rev``) and whether the sync wrote it
ahead of its publish job (``groups_ahead``, the file's digest). The content sync
(worker/content/sync.py) compares it with the database at the start of every build, so
a host only rewrites what another host published. Lost or unreadable, it is made again
from the post files on disk (their digest is the hash the publish job records).

Whoever writes this host's content/ (the publish jobs, the content sync, republish) does
it inside ``updating``: an exclusive lock on a file beside the manifest, held while the
files are written and the manifest changed with them, so a record never claims a file
another writer on this host replaced meanwhile. No database lock is waited for before
taking it (the jobs take it before they change any row the sync also changes).
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from intake.config import Settings

from ..build import setaside
from .posts import post_path, write_atomically

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
UNKNOWN = -1  # not even revision 0: the first publication must not claim groups.json


@dataclass
class Manifest:
    """{post id: the published_hash its file is in line with}, and groups.json's revision."""

    posts: dict[str, str] = field(default_factory=dict)
    groups_rev: int = UNKNOWN  # a revision at which groups.json was current
    groups_ahead: str = ""  # digest of a groups.json the sync wrote before any job did


def manifest_path(settings: Settings) -> Path:
    """Return where the manifest lives: beside content/, so Pelican never reads it."""
    content = settings.content_dir
    return content.with_name(content.name + ".manifest.json")


def file_digest(path: Path) -> str:
    """Return the digest of a post file as the publish job records it (sha256 of its text)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def post_files(settings: Settings) -> dict[str, Path]:
    """Return {post id: its file} of the post files in content/posts."""
    folder = post_path(settings.content_dir, 0).parent
    return {post_id: folder / f"{post_id}.md" for post_id in post_ids(settings)}


def post_ids(settings: Settings) -> set[str]:
    """Return the post ids of the post files in content/posts (one directory read, no path
    objects: every build starts with it, at 10,000 posts a glob took 0.17 s)."""
    try:
        with os.scandir(post_path(settings.content_dir, 0).parent) as entries:
            names = [entry.name for entry in entries]
    except (FileNotFoundError, NotADirectoryError):
        return set()
    return {name[:-3] for name in names if name.endswith(".md") and name[:-3].isdigit()}


def recompute(settings: Settings) -> Manifest:
    """Return a manifest made from the post files on disk, those set aside here included
    (groups.json: unknown)."""
    files = post_files(settings)
    aside = setaside.folder(settings)
    for path in aside.glob("*.md") if aside.is_dir() else ():
        if path.stem.isdigit():
            files.setdefault(path.stem, path)
    return Manifest(posts={pid: file_digest(path) for pid, path in files.items()})


def load(settings: Settings) -> Manifest:
    """Return this host's manifest, made again from disk when it is missing or unreadable."""
    try:
        data = json.loads(manifest_path(settings).read_bytes())
        if data.get("version") != FORMAT_VERSION:
            raise ValueError("another format")
        posts = {str(k): str(v) for k, v in data["posts"].items()}
        return Manifest(posts, int(data["groups_rev"]), str(data["groups_ahead"]))
    except FileNotFoundError:
        return recompute(settings)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("content manifest unreadable (%s); made again from content/", exc)
        return recompute(settings)


def save(settings: Settings, manifest: Manifest) -> None:
    """Write the manifest atomically."""
    data = {"version": FORMAT_VERSION, **dataclasses.asdict(manifest)}
    write_atomically(manifest_path(settings), json.dumps(data, sort_keys=True) + "\n")


@contextlib.contextmanager
def updating(settings: Settings) -> Iterator[Manifest]:
    """Yield the manifest under this host's lock; save it when the block ends without error."""
    path = manifest_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        manifest = load(settings)
        before = dataclasses.replace(manifest, posts=dict(manifest.posts))
        yield manifest
        if manifest != before or not path.exists():
            save(settings, manifest)


def note_own_revision(settings: Settings, rev: int, groups: bool = False) -> None:
    """After this host's job committed revision rev: if groups.json was current at rev - 1,
    it still is at rev (the change was this host's own); groups: the job published
    groups.json, which is no longer ahead. Never fails the job."""
    try:
        with updating(settings) as manifest:
            if manifest.groups_rev == rev - 1:
                manifest.groups_rev = rev
            if groups:
                manifest.groups_ahead = ""
    except OSError as exc:  # the next build then renders groups.json once more
        log.warning("content manifest not updated (%s)", exc)
