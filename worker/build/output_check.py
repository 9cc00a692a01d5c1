"""The build's file boundary: what a build may read, and what its output may hold.

User text is data, never a path (docs/security-model.md). Pelican's intrasite links
are off (pelican/pelicanconf.py); this module checks the rest before a build goes live.
Before a full build, the content root may not hold the instance's keys or database nor
any symlink, and Pelican's settings must keep the boundary. After it, every output file
must have a known shape (generated pages, theme assets, ``media/<id>/<token>.(webp|pdf)``,
search, feeds, calendars, sitemap), no symlink, and never the bytes of a key file. A full
build checks its whole tree (before Pagefind runs, so a refused build costs no index, and
the index's folders after); an incremental publication checks only what it wrote.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from intake.config import Settings

# Folders Pelican reads below the content root (ARTICLE_PATHS, PAGE_PATHS, STATIC_PATHS).
READ_FOLDERS = ("posts", "pages", "media")
DISABLED_INTRASITE = "(?!)(?P<what>)"  # pelicanconf.INTRASITE_LINK_REGEX: never matches
_SLUG = r"[a-z0-9][a-z0-9_-]*"
_LANG = r"(?:[a-z]{2}/)?"
KNOWN_OUTPUT = re.compile(
    "|".join(
        (
            rf"{_LANG}(?:{_SLUG}/)*index\.html",  # every generated page is a folder's index
            rf"{_LANG}404\.html",
            rf"{_LANG}(?:events|recruitment|notices)/\d+/event\.ics",
            rf"{_LANG}calendar/(?:{_SLUG}/)*{_SLUG}\.ics",
            rf"{_LANG}feeds/(?:{_SLUG}/)*{_SLUG}\.atom\.xml",
            r"media/\d+/[0-9a-f]{32}(?:-\d+\.webp|\.pdf)",
            r"search/(?:index|delta)\.json",
            r"pagefind/pagefind[a-z.-]*\.(?:js|css|json)",
            r"pagefind/wasm\.[a-z-]+\.pagefind",
            r"pagefind/pagefind\.[a-z-]+_[0-9a-f]+\.pf_meta",
            r"pagefind/(?:index|fragment|filter)/[a-z-]+_[0-9a-f]+\.pf_(?:index|fragment|filter)",
            r"sitemap\.xml",
            r"robots\.txt",
        )
    )
)


class OutputRefused(Exception):
    """A build read or wrote something outside the boundary; the message says what."""


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def database_file(settings: Settings) -> Path:
    """Return where an SQLite database lives (the default one for another database)."""
    url = settings.database_url
    if url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        return Path(url[len("sqlite:///") :])
    return settings.home / "hiroba.db"


def secret_files(settings: Settings) -> list[Path]:
    """Return the instance's files no build may read or publish: keys and the database."""
    keys = settings.keys_dir
    found = [p for p in keys.glob("*") if p.is_file()] if keys.is_dir() else []
    database = database_file(settings)
    return [*found, database] if database.is_file() else found


def check_inputs(settings: Settings, pelican: dict[str, Any]) -> None:
    """Refuse a full build whose content root or settings could reach beyond what the worker
    wrote: keys or database inside it, a symlink in a folder Pelican reads, intrasite links."""
    content = settings.content_dir.resolve()
    if Path(pelican["PATH"]).resolve() != content:
        raise OutputRefused(f"Pelican's PATH {pelican['PATH']} is not the content root")
    if pelican.get("INTRASITE_LINK_REGEX") != DISABLED_INTRASITE:
        raise OutputRefused("Pelican's intrasite links ({attach}, {static}...) are not off")
    if list(pelican.get("STATIC_PATHS") or []) != ["media"] or pelican.get("EXTRA_PATH_METADATA"):
        raise OutputRefused("Pelican's STATIC_PATHS must be exactly ['media']")
    for secret in [settings.keys_dir, database_file(settings), *secret_files(settings)]:
        if _inside(secret.resolve(), content) or _inside(content, secret.resolve()):
            raise OutputRefused(f"the content root {content} reaches {secret}")
    for name in READ_FOLDERS:
        for folder, dirs, files in os.walk(content / name):
            for entry in (*dirs, *files):
                if os.path.islink(os.path.join(folder, entry)):
                    link = Path(folder, entry).relative_to(content)
                    raise OutputRefused(f"the content root holds a symlink: {link}")


def theme_assets(settings: Settings) -> set[str]:
    """Return the output paths of the theme's static files (THEME_STATIC_DIR "theme")."""
    static = settings.theme_dir / "static"
    return {f"theme/{p.relative_to(static).as_posix()}" for p in static.rglob("*") if p.is_file()}


class _Boundary:
    """The known output set and the key files' bytes, looked up by size (a copy is byte
    for byte the same)."""

    def __init__(self, settings: Settings) -> None:
        self.assets = theme_assets(settings)
        self.by_size: dict[int, list[tuple[str, bytes]]] = {}
        for path in secret_files(settings):
            data = path.read_bytes()
            self.by_size.setdefault(len(data), []).append((path.name, data))

    def problem(self, path: Path, rel: str) -> str | None:
        """Return why path may not be published, or None when it may."""
        if path.is_symlink():
            return f"{rel}: a symlink"
        if rel not in self.assets and not KNOWN_OUTPUT.fullmatch(rel):
            return f"{rel}: not a file a build writes"
        candidates = self.by_size.get(path.stat().st_size)
        if candidates:
            data = path.read_bytes()
            for name, secret in candidates:
                if data == secret:
                    return f"{rel}: holds the bytes of the key file {name}"
        return None


def _refuse(problems: list[str]) -> None:
    if problems:
        shown = "; ".join(problems[:20])
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        raise OutputRefused(f"unexpected files in the build output: {shown}{more}")


# The folders the search index writes into a finished build (Pagefind's, and the delta's).
SEARCH_FOLDERS = ("pagefind", "search")


def check_tree(settings: Settings, build_dir: Path, folders: Iterable[str] = ("",)) -> None:
    """Refuse a full build's output holding a file outside the known set or a key's bytes;
    folders: only these folders of it (after the search index, what it wrote)."""
    boundary = _Boundary(settings)
    problems: list[str] = []
    walks = (os.walk(build_dir / name) for name in folders)
    for folder, dirs, files in (entry for walk in walks for entry in walk):
        for name in dirs:
            if os.path.islink(os.path.join(folder, name)):
                rel = Path(folder, name).relative_to(build_dir).as_posix()
                problems.append(f"{rel}: a symlink")
        for name in files:
            path = Path(folder, name)
            problem = boundary.problem(path, path.relative_to(build_dir).as_posix())
            if problem:
                problems.append(problem)
    _refuse(problems)


def check_files(settings: Settings, build_dir: Path, written: Iterable[str]) -> None:
    """Refuse an incremental publication that wrote a file outside the known set or a key's
    bytes (only the files it wrote are looked at: the rest is the live build's, checked)."""
    boundary = _Boundary(settings)
    problems = []
    for name in written:
        rel = name + "index.html" if name.endswith("/") else name
        path = build_dir / rel
        if path.is_file() or path.is_symlink():
            problem = boundary.problem(path, rel)
            if problem:
                problems.append(problem)
    _refuse(problems)
