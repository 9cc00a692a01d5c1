"""Build folders, their hard-link copies, and what the incremental publisher knows about them.

Each build folder ``site/builds/<name>`` may have a state file beside it,
``<name>.state.pickle``, written by the listings plugin (full build) or the incremental
publisher: the public entry of every post, the stat of every post file, and the
signature of every tracked output file. A folder without a state file (or with a state
of another configuration fingerprint) is never reused.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import pickle
import shutil
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

from intake import formatting
from intake.config import Settings
from intake.taxonomy import AREAS, AREAS_EN, TOPICS, TOPICS_EN

MEDIA = "media"  # the content folder Pelican copies as it is (STATIC_PATHS)
PUBLIC_FILE = 0o644  # what anyone may read: nginx runs as another user

STATE_SUFFIX = ".state.pickle"  # written by the listings plugin's save_state
SIGNATURES_SUFFIX = ".sigs.json"
SEARCH_SUFFIX = ".search.json"  # written by the listings plugin's searchfresh module
FINGERPRINT_VERSION = "1"


def state_prefix(build_dir: Path) -> Path:
    """Return the path prefix of a build folder's state files (beside the folder)."""
    return build_dir.with_name(build_dir.name)


def state_path(build_dir: Path) -> Path:
    """Return the state file of a build folder: the posts and their public entries."""
    return build_dir.with_name(build_dir.name + STATE_SUFFIX)


def signatures_path(build_dir: Path) -> Path:
    """Return the signatures file of a build folder: a digest per tracked output file."""
    return build_dir.with_name(build_dir.name + SIGNATURES_SUFFIX)


def _load(path: Path) -> dict[str, Any] | None:
    try:
        with open(path, "rb") as handle:
            data = json.loads(handle.read())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


class _StateUnpickler(pickle.Unpickler):
    """Reads a saved state: plain values and dates, nothing else.

    Only the worker writes these files, but a pickle may name any callable; refusing all
    but datetime.date means a state file planted by someone who can write to the site
    folder cannot run code in the worker, which holds the keys to personal data.
    """

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("datetime", "date"):
            return datetime.date
        raise pickle.UnpicklingError(f"a saved state may not hold {module}.{name}")


def load_state(build_dir: Path) -> dict[str, Any] | None:
    """Return the posts state of a build folder, or None when it has none.

    Each post's "entry" is a snapshot: the listings plugin's Entry.restore rebuilds it.
    """
    try:
        with open(state_path(build_dir), "rb") as handle:
            state = _StateUnpickler(handle).load()
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError):
        return None
    return state if isinstance(state, dict) and isinstance(state.get("posts"), dict) else None


def load_signatures(build_dir: Path) -> dict[str, Any] | None:
    """Return {"fingerprint", "signatures"} of a build folder, or None when it has none."""
    sigs = _load(signatures_path(build_dir))
    return sigs if sigs and "signatures" in sigs else None


def drop_state(build_dir: Path) -> None:
    """Forget a build folder's state (it is about to change, or it is being deleted)."""
    signatures_path(build_dir).unlink(missing_ok=True)
    state_path(build_dir).unlink(missing_ok=True)
    search_path(build_dir).unlink(missing_ok=True)


def load_search(build_dir: Path) -> dict[str, Any] | None:
    """Return the search state of a build folder, or None when it has none."""
    search = _load(search_path(build_dir))
    return search if search and "index" in search else None


def search_path(build_dir: Path) -> Path:
    """Return the search state of a build folder: which Pagefind index it holds and what
    changed since (see pelican/plugins/listings/searchfresh.py)."""
    return build_dir.with_name(build_dir.name + SEARCH_SUFFIX)


def _hash_tree(digest: Any, root: Path) -> None:
    if not root.exists():
        return
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")


def fingerprint(settings: Settings) -> str:
    """Return a digest of everything besides the posts that shapes the site.

    The Pelican configuration and plugins, the theme, the hand-written pages, the
    deployment's names and lists, and Pelican's version: when any of these changes,
    the next publication is a full build.
    """
    from pelican import __version__ as pelican_version

    digest = hashlib.sha256(f"{FINGERPRINT_VERSION}\0{pelican_version}\0".encode())
    conf = settings.pelicanconf
    digest.update(conf.read_bytes())
    _hash_tree(digest, conf.parent / "plugins")
    _hash_tree(digest, settings.theme_dir)
    _hash_tree(digest, settings.pages_dir)
    names = [settings.site_url, settings.site_name, TOPICS, AREAS]
    names += [TOPICS_EN, AREAS_EN]  # the English pages' labels
    names.append(settings.deployment.audiences)  # 対象: hiroba.toml [audiences]
    names.append(settings.deployment.audiences_en)
    names.append(settings.deployment.operator.public())  # the footer: [operator]
    digest.update(json.dumps(names, ensure_ascii=False, sort_keys=True).encode())
    # What else shapes the output files: the libraries that render and index them, the
    # project's date formatter (the jadates plugin's), and the Pagefind binary; a full
    # build reuses unchanged files of a build of the same fingerprint (full.reuse_source).
    _hash_tree(digest, Path(formatting.__file__).parent)
    digest.update(json.dumps([_version(name) for name in RENDERING_LIBRARIES]).encode())
    binary = Path(settings.pagefind_binary) if settings.pagefind_binary else None
    if binary is not None and binary.is_file():
        digest.update(f"{binary}\0{binary.stat().st_size}\0{binary.stat().st_mtime_ns}".encode())
    return digest.hexdigest()


RENDERING_LIBRARIES = ("jinja2", "markupsafe", "markdown", "nh3", "babel", "feedgenerator",
                       "icalendar", "jpholiday", "pagefind-bin-extended")  # fmt: skip


def _version(name: str) -> str:
    try:
        return f"{name} {metadata.version(name)}"
    except metadata.PackageNotFoundError:
        return f"{name} -"


def scan_posts(content_dir: Path) -> dict[str, list[int]]:
    """Return {"posts/<name>.md": [inode, size, mtime_ns]} for every post file."""
    found: dict[str, list[int]] = {}
    folder = content_dir / "posts"
    if not folder.is_dir():
        return found
    with os.scandir(folder) as entries:
        for entry in entries:
            # A symlink is never read (a full build refuses it: output_check.py).
            if (
                entry.name.endswith(".md")
                and not entry.name.startswith(".")
                and not entry.is_symlink()
            ):
                st = entry.stat(follow_symlinks=False)
                found[f"posts/{entry.name}"] = [st.st_ino, st.st_size, st.st_mtime_ns]
    return found


def link_copy(src: Path, dst: Path) -> None:
    """Make dst a copy of the tree src whose files are hard links to src's files."""
    os.mkdir(dst)
    stack = [(str(src), str(dst))]
    while stack:
        source, target = stack.pop()
        with os.scandir(source) as entries:
            for entry in entries:
                path = os.path.join(target, entry.name)
                if entry.is_dir(follow_symlinks=False):
                    os.mkdir(path)
                    stack.append((entry.path, path))
                else:
                    os.link(entry.path, path, follow_symlinks=False)


def remove_file(root: Path, rel: str) -> None:
    """Delete root/rel and the folders it leaves empty (up to root)."""
    path = root / rel
    path.unlink(missing_ok=True)
    folder = path.parent
    while folder != root:
        try:
            folder.rmdir()
        except OSError:  # not empty (or already gone): stop climbing
            break
        folder = folder.parent


def link_from(source_root: Path, root: Path, rel: str) -> None:
    """Make root/rel a hard link to source_root/rel, replacing what was there."""
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.link")
    tmp.unlink(missing_ok=True)
    os.link(source_root / rel, tmp)
    os.replace(tmp, target)


def build_folder_path(settings: Settings, rev: int) -> Path:
    """Return the path for a new build folder: a sortable local stamp to the microsecond and
    the revision (2026…T101500123456-r42), so build_folders lists them oldest first."""
    stamp = datetime.datetime.now().strftime("%Y%m%dT%H%M%S%f")
    return settings.builds_dir / f"{stamp}-r{rev}"


def build_folders(settings: Settings) -> list[Path]:
    """Return the build folders, oldest first."""
    if not settings.builds_dir.is_dir():
        return []
    return sorted(p for p in settings.builds_dir.iterdir() if p.is_dir())


def kept_folders(settings: Settings, live: Path) -> set[Path]:
    """Return the build folders to keep: the live one and the spare the incremental
    publisher would start from (the newest other one of the same fingerprint)."""
    kept = {live}
    live_sigs = load_signatures(live)
    if settings.keep_builds < 2 or live_sigs is None:
        return kept
    for folder in reversed(build_folders(settings)):
        sigs = load_signatures(folder) if folder != live else None
        if sigs and sigs.get("fingerprint") == live_sigs.get("fingerprint"):
            kept.add(folder)
            break
    return kept


def remove_build(build_dir: Path) -> None:
    """Delete a build folder and its state."""
    drop_state(build_dir)
    shutil.rmtree(build_dir, ignore_errors=True)


def copy_file(source: Path, target: Path) -> None:
    """Copy a public file so that readers of the content tree never see half of it.

    Published files are for everyone: 0644, so nginx (another user) can read them. mkstemp
    makes 0600, and Pelican's copy into the site keeps a file's mode.
    """
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    os.fchmod(fd, PUBLIC_FILE)
    os.close(fd)
    shutil.copyfile(source, tmp)
    os.replace(tmp, target)


def _listing(root: Path) -> dict[str, int]:
    """Return {path relative to root: size} of every file under root (none: empty)."""
    found: dict[str, int] = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            # A copy in progress (see copy_file) starts with a dot; a symlink is never followed
            # (the full build refuses a content root holding one: output_check.py).
            if not name.startswith(".") and not path.is_symlink():
                found[str(path.relative_to(root))] = path.stat().st_size
    return found


def mirror_media(content_dir: Path, live: Path, target: Path) -> list[str]:
    """Make a build folder's media/ hold exactly what Pelican would copy from content/media.

    Called by the incremental publisher on a spare build folder (never the live one).
    File names are unique per upload and files never change, so a name with the same
    size is the same file. A file the live build already has is hard-linked from it;
    another is copied. Returns the paths (under target) it added or replaced, for the
    output check.
    """
    want = _listing(content_dir / MEDIA)
    have = _listing(target / MEDIA)
    written: list[str] = []
    for rel in set(have) - set(want):
        remove_file(target, f"{MEDIA}/{rel}")
    for rel, size in want.items():
        if have.get(rel) == size:
            continue
        name = f"{MEDIA}/{rel}"
        live_file = live / name
        if live_file.is_file() and live_file.stat().st_size == size:
            link_from(live, target, name)
        else:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).unlink(missing_ok=True)  # never write through a shared inode
            copy_file(content_dir / name, target / name)
        written.append(name)
    return written


def prune_builds(settings: Settings) -> None:
    """Delete every build folder (and its state) but the live one and the spare.

    An older folder is an older site: it may still hold what a takedown removed.
    """
    if not settings.live_dir.exists():
        return
    kept = kept_folders(settings, settings.live_dir.resolve())
    for old in build_folders(settings):
        if old not in kept:
            remove_build(old)
    for suffix in (STATE_SUFFIX, SIGNATURES_SUFFIX, SEARCH_SUFFIX):
        for state in settings.builds_dir.glob("*" + suffix):
            if not state.with_name(state.name[: -len(suffix)]).is_dir():
                state.unlink(missing_ok=True)
