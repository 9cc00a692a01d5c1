"""Reuse each post's Markdown rendering across full builds, keyed by the file's bytes.

Stateless Pelican plugin. When the build code sets ``HIROBA_READ_CACHE`` (a file path:
the worker's full builds), Markdown files are read by ``CachedMarkdownReader``: the HTML
that Python-Markdown makes of a file, and the raw metadata lines it found, are kept in a
SQLite file under a key that covers everything they depend on: the file's bytes, the
MARKDOWN setting, and the versions of Markdown, Pelican and this cache's format. A
nightly full build then converts only the files that changed. Everything after the
conversion (metadata parsing, dates, the sanitizer, the publish-boundary checks) runs as
before on every build, so a cached post is published exactly as a converted one.

The cache holds JSON text, never pickles; a file that is not a cache of this format and
fingerprint (corrupt, foreign, older) is ignored and replaced, and an entry not used for
``MAX_IDLE_DAYS`` is dropped, so it does not grow with every edit.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import sqlite3
import time
from importlib.metadata import version
from typing import Any

from markdown import Markdown
from pelican import signals
from pelican.readers import DUPLICATES_DEFINITIONS_ALLOWED, MarkdownReader

logger = logging.getLogger(__name__)

FORMAT = "hiroba-markdown-cache 1"
MAX_IDLE_DAYS = 30
FLUSH_EVERY = 1000  # new entries written in one transaction


def fingerprint(settings: dict[str, Any]) -> str:
    """Return what, besides a file's bytes, Markdown's output depends on."""
    parts = {
        "format": FORMAT,
        "markdown": version("markdown"),
        "pelican": version("pelican"),
        "settings": settings.get("MARKDOWN") or {},
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=repr).encode()).hexdigest()


class ReadCache:
    """The cache file: key -> (HTML, raw metadata), with each entry's last use."""

    def __init__(self, path: str, fingerprint: str) -> None:
        self.path, self.fingerprint = path, fingerprint
        self.pending: list[tuple[str, str, int]] = []
        self.used: list[str] = []
        self.db = self._open()

    def _open(self) -> sqlite3.Connection | None:
        for _attempt in (1, 2):
            try:
                db = sqlite3.connect(self.path, isolation_level=None)
                db.execute("CREATE TABLE IF NOT EXISTS about (name TEXT PRIMARY KEY, value TEXT)")
                db.execute(
                    "CREATE TABLE IF NOT EXISTS entries "
                    "(key TEXT PRIMARY KEY, value TEXT NOT NULL, used INTEGER NOT NULL)"
                )
                found = dict(db.execute("SELECT name, value FROM about").fetchall())
                if found != {"format": FORMAT, "fingerprint": self.fingerprint}:
                    db.execute("DELETE FROM entries")  # another format or configuration
                    db.execute("DELETE FROM about")
                    db.executemany(
                        "INSERT INTO about VALUES (?, ?)",
                        [("format", FORMAT), ("fingerprint", self.fingerprint)],
                    )
                return db
            except sqlite3.Error as exc:  # not a cache of ours: start a new one
                logger.info("read cache %s unusable (%s); starting afresh", self.path, exc)
                try:
                    os.unlink(self.path)
                except OSError:
                    return None
        return None

    def get(self, key: str) -> tuple[str, dict[str, list[str]]] | None:
        """Return the cached (HTML, raw metadata) for key, or None."""
        if self.db is None:
            return None
        try:
            row = self.db.execute("SELECT value FROM entries WHERE key = ?", (key,)).fetchone()
            if row is None:
                return None
            html, meta = json.loads(row[0])
        except (sqlite3.Error, ValueError, TypeError):
            return None
        if not isinstance(html, str) or not _is_meta(meta):
            return None
        self.used.append(key)
        return html, meta

    def put(self, key: str, html: str, meta: dict[str, list[str]]) -> None:
        """Remember an entry (written in batches, and at the end of reading)."""
        value = json.dumps([html, meta], ensure_ascii=False)
        self.pending.append((key, value, int(time.time())))
        if len(self.pending) >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        """Write the new entries, mark the used ones, drop the long-unused ones."""
        if self.db is None:
            return
        now = int(time.time())
        try:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?)", self.pending)
            self.db.executemany(
                "UPDATE entries SET used = ? WHERE key = ?", [(now, key) for key in self.used]
            )
            self.db.execute("DELETE FROM entries WHERE used < ?", (now - MAX_IDLE_DAYS * 86400,))
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:  # a cache: the build goes on without it
            logger.info("read cache %s not written (%s)", self.path, exc)
        self.pending, self.used = [], []


def _is_meta(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(x, str) for x in v)
        for k, v in value.items()
    )


class CachedMarkdownReader(MarkdownReader):
    """Pelican's Markdown reader, converting only files the cache does not hold."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cache = ReadCache(self.settings["HIROBA_READ_CACHE"], fingerprint(self.settings))
        self.prefix = self.cache.fingerprint.encode()
        signals.all_generators_finalized.connect(self._flush, weak=False)

    def _flush(self, generators: Any) -> None:
        signals.all_generators_finalized.disconnect(self._flush)
        self.cache.flush()

    def read(self, source_path: str) -> tuple[str, dict[str, Any]]:
        """Return the file's HTML and metadata, from the cache when it holds the file."""
        with open(source_path, "rb") as handle:
            raw = handle.read()
        key = hashlib.sha256(self.prefix + b"\0" + raw).hexdigest()
        self._source_path = source_path
        formatted = {name.lower() for name in self.settings["FORMATTED_FIELDS"]}
        cached = self.cache.get(key)
        if cached is not None and not formatted & {name.lower() for name in cached[1]}:
            html, meta = cached
            return html, self._metadata(meta)
        # What MarkdownReader.read does, from the bytes the key was made of (pelican_open
        # decodes as utf-8-sig, with universal newlines).
        text = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8-sig").read()
        self._md = Markdown(**self.settings["MARKDOWN"])
        content = self._md.convert(text)
        found = getattr(self._md, "Meta", None)
        raw_meta = {name: list(lines) for name, lines in (found or {}).items()}
        metadata = self._parse_metadata(found) if found is not None else {}
        self.cache.put(key, content, raw_meta)
        return content, metadata

    def _metadata(self, meta: dict[str, list[str]]) -> dict[str, Any]:
        """Do what MarkdownReader._parse_metadata does with fields that are not formatted."""
        output = {}
        for name, value in meta.items():
            name = name.lower()
            if not DUPLICATES_DEFINITIONS_ALLOWED.get(name, True):
                if len(value) > 1:
                    logger.warning(
                        "Duplicate definition of `%s` for %s. Using first one.",
                        name,
                        self._source_path,
                    )
                output[name] = self.process_metadata(name, value[0])
            elif len(value) > 1:
                output[name] = self.process_metadata(name, value)
            else:
                output[name] = self.process_metadata(name, value[0])
        return output


def use_cached_reader(readers: Any) -> None:
    """Read Markdown through the cache when the build gives one (HIROBA_READ_CACHE)."""
    if not readers.settings.get("HIROBA_READ_CACHE"):
        return
    for ext in MarkdownReader.file_extensions:
        if readers.reader_classes.get(ext) is MarkdownReader:
            readers.reader_classes[ext] = CachedMarkdownReader


def register() -> None:
    signals.readers_init.connect(use_cached_reader)
