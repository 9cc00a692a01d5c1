"""Scheduled backups: `hiroba backup --scheduled`, its pruning and its last outcome.

A daily timer (deploy/'s backup service) runs the command. It writes
``hiroba-scheduled-<UTC stamp>.backup`` into the managed folder (`[backup] folder`, by
default $HIROBA_HOME/backups), then prunes the scheduled backups there: it keeps the
newest of each of the latest `keep_daily` days and of each of the latest `keep_weekly`
ISO weeks (Japan time) that have one, and deletes the rest. Backups written by hand
(`hiroba backup`) are never pruned: one taken before an upgrade stays until someone
deletes it. With `[backup] offsite = "s3://bucket/prefix"` each scheduled backup is also
copied to that bucket (offsite.py), which is pruned by the same rules; a copy that fails
fails the run (the local backup stays). Every run, good or bad, rewrites
``last-backup.json`` in that folder (time, ok or failed, file, error), which
`hiroba check` and the watcher read.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine

from ..config import Settings
from ..formatting import dates
from ..validation import N_
from . import offsite
from .backup import BackupResult, backup, backups_dir, managed_folder
from .sealed_stream import BackupError

PREFIX = "hiroba-scheduled-"
OUTCOME_FILE = "last-backup.json"
_NAME = re.compile(rf"{PREFIX}(\d{{8}}T\d{{6}}\d{{6}})Z\.backup")
Item = TypeVar("Item")


def scheduled_time(path: Path) -> datetime | None:
    """Return when a scheduled backup was written (aware, UTC), read from its name."""
    match = _NAME.fullmatch(path.name)
    if match is None:
        return None
    return datetime.strptime(match.group(1), "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC)


def to_keep(stamps: dict[Item, datetime], keep_daily: int, keep_weekly: int) -> set[Item]:
    """Return the backups the policy keeps: the newest of each of the latest keep_daily
    days and of each of the latest keep_weekly ISO weeks (Japan time)."""
    newest_first = sorted(stamps, key=lambda path: stamps[path], reverse=True)
    kept: set[Item] = set()
    for count, bucket in ((keep_daily, _day), (keep_weekly, _week)):
        seen: set[tuple[int, int]] = set()
        for path in newest_first:
            key = bucket(dates.japan_time(stamps[path]).date())
            if key in seen:
                continue
            if len(seen) == count:
                break
            seen.add(key)
            kept.add(path)
    return kept


def _day(day: date) -> tuple[int, int]:
    return day.year, day.toordinal()


def _week(day: date) -> tuple[int, int]:
    year, week, _ = day.isocalendar()
    return year, week


def prune(folder: Path, keep_daily: int, keep_weekly: int) -> list[Path]:
    """Delete the scheduled backups in folder that the policy does not keep; return them."""
    stamps = {
        path: when
        for path in folder.iterdir()
        if path.is_file() and (when := scheduled_time(path)) is not None
    }
    kept = to_keep(stamps, keep_daily, keep_weekly)
    removed = sorted(path for path in stamps if path not in kept)
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def prune_offsite(settings: Settings, url: str, keep_daily: int, keep_weekly: int) -> list[str]:
    """Delete the scheduled backups under the bucket URL that the policy does not keep;
    return their keys."""
    location = offsite.bucket_location("backup.offsite", url)
    stamps = {
        key: when
        for name, key in offsite.names(settings, location).items()
        if (when := scheduled_time(Path(name))) is not None
    }
    kept = to_keep(stamps, keep_daily, keep_weekly)
    removed = sorted(key for key in stamps if key not in kept)
    offsite.delete(settings, location, removed)
    return removed


@dataclass
class ScheduledResult:
    """A scheduled backup, what pruning deleted, and its off-site copy (if configured)."""

    backup: BackupResult
    pruned: list[Path]
    offsite: str = ""  # the copy's s3:// URL
    offsite_pruned: list[str] = field(default_factory=list)


def run_scheduled(settings: Settings, engine: Engine) -> ScheduledResult:
    """Write a scheduled backup, prune the old ones and record the outcome; a failure is
    recorded too, then raised."""
    policy = settings.deployment.backup
    result: BackupResult | None = None
    try:
        result = backup(settings, engine, prefix=PREFIX)
        done = ScheduledResult(
            result, prune(result.path.parent, policy.keep_daily, policy.keep_weekly)
        )
        if policy.offsite:
            location = offsite.bucket_location("backup.offsite", policy.offsite)
            done.offsite = offsite.push(settings, result.path, location)
            done.offsite_pruned = prune_offsite(
                settings, policy.offsite, policy.keep_daily, policy.keep_weekly
            )
    except Exception as exc:
        # Any failure at all must reach the record the alerts read, whatever raised it.
        file = result.path if result is not None else None
        record_outcome(settings, ok=False, file=file, error=f"{type(exc).__name__}: {exc}")
        raise
    if not record_outcome(settings, ok=True, file=result.path, error=""):
        raise BackupError(
            N_("%(path)s は書き込みましたが、%(outcome)s を書き込めませんでした。"),
            path=result.path,
            outcome=OUTCOME_FILE,
        )
    return done


def record_outcome(settings: Settings, ok: bool, file: Path | None, error: str) -> bool:
    """Write last-backup.json in the managed folder atomically; False when it cannot be."""
    record = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "ok": ok,
        "file": str(file) if file else "",
        "error": error.splitlines()[0][:500] if error else "",
    }
    try:
        folder = managed_folder(settings)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".last-backup-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(record, handle, ensure_ascii=False)
        os.replace(tmp, folder / OUTCOME_FILE)
    except OSError:
        return False  # the folder itself is the failure; the command's exit code reports it
    return True


def last_outcome(settings: Settings) -> dict[str, Any] | None:
    """Return the last scheduled backup's record (at, ok, file, error), or None if none."""
    path = backups_dir(settings) / OUTCOME_FILE
    try:
        record: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {"at": "", "ok": False, "file": "", "error": f"{path} cannot be read"}
    return record
