"""Publish a built site folder to the bucket of HIROBA_PUBLISH_URL: upload only the files
whose digest differs from the manifest, assets first and pages after them, then delete
what the site no longer has in one DeleteObjects batch; fenced throughout (fence.py)."""

from __future__ import annotations

import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from intake import objectstore
from intake.config import Settings
from intake.runtime import Runtime
from intake.site.models import BuildStatus
from intake.store import transaction

from . import fence, manifest, objects, snapshot
from .digests import LocalFile, site_files
from .errors import Fenced

log = logging.getLogger(__name__)

# Uploads in flight at once (the shared client keeps up to 32 connections).
WORKERS = 16
# Files written between two checks of the fence: a stale publisher learns it is stale
# within one batch.
BATCH = 128


@dataclass(frozen=True)
class Published:
    """What one publication did to the bucket."""

    where: str
    rev: int
    assets: int
    pages: int
    deleted: int
    unchanged: int
    hashed: int  # files read for their digest (the rest were in the host's cache)
    plan_s: float  # listing and hashing the folder, comparing with the manifest
    seconds: float
    manifest_from: str = "the database"

    @property
    def uploaded(self) -> int:
        return self.assets + self.pages

    def describe(self) -> str:
        return (
            f"published revision {self.rev} to {self.where}: uploaded={self.uploaded} "
            f"(assets={self.assets} pages={self.pages}) deleted={self.deleted} "
            f"unchanged={self.unchanged} in {self.seconds:.2f} s (hashed={self.hashed}, "
            f"planned in {self.plan_s:.2f} s from {self.manifest_from}'s manifest)"
        )


class Publication:
    """One publication: its claim, the files it writes, and the batches it has written."""

    def __init__(self, rt: Runtime, rev: int, folder: Path) -> None:
        self.rt, self.rev, self.folder = rt, rev, folder
        self.location = rt.settings.publish_location
        self.base = self.location.describe()  # the manifest's rows of this bucket and prefix
        self.s3 = objectstore.client(rt.settings)
        self.token = self.previous = ""
        self.files: dict[str, snapshot.Entry] = {}
        self.local: dict[str, LocalFile] = {}
        self.unrecorded: dict[str, LocalFile] = {}
        self.hashed = 0
        self.manifest_from = ""  # where the plan read the manifest: this host's copy or the DB

    def claim(self) -> None:
        self.token, self.previous = fence.claim(self.rt, self.rev)

    def plan(self) -> tuple[list[str], list[str], int]:
        """Return (files to write, keys to delete, files unchanged); the files to write are
        recorded as unknown first."""
        site_dir = self.rt.settings.site_dir
        copy = snapshot.load(site_dir)
        self.files, self.hashed = site_files(self.folder, copy.files)
        trusted = bool(copy.token) and copy.token == self.previous and copy.base == self.base
        with transaction(self.rt.sessions) as session:
            fence.check(session, self.rev, self.token)
            if trusted:  # no publication has written the manifest since this host's copy
                self.manifest_from = "this host's copy"
                changed, gone = _compare(self.files, copy.files)
                manifest.mark_unknown(session, self.base, changed, copy.files)
            else:
                self.manifest_from = "the database"
                known = manifest.load(session, self.base)
                changed = sorted(rel for rel, e in self.files.items() if known.get(rel) != e[3])
                gone = sorted(set(known) - set(self.files))
                manifest.mark_unknown(session, self.base, changed, known)
        folder = str(self.folder)
        for rel in changed:
            _ino, size, _mtime, digest = self.files[rel]
            self.local[rel] = LocalFile(os.path.join(folder, rel), digest, size)
        return changed, gone, len(self.files) - len(changed)

    def checkpoint(self) -> None:
        """Check the fence and record the batch written since the last checkpoint."""
        with transaction(self.rt.sessions) as session:
            fence.check(session, self.rev, self.token)
            manifest.record(session, self.base, self.unrecorded)
        self.unrecorded = {}

    def write(self, pool: ThreadPoolExecutor, files: list[str]) -> None:
        for start in range(0, len(files), BATCH):
            batch = files[start : start + BATCH]
            self.checkpoint()
            uploads = [
                pool.submit(objects.upload, self.s3, self.location, rel, self.local[rel])
                for rel in batch
            ]
            for future in uploads:
                future.result()
            self.unrecorded = {rel: self.local[rel] for rel in batch}

    def finish(self, gone: list[str]) -> None:
        self.checkpoint()
        if gone:
            objectstore.delete_keys(self.s3, self.location.bucket, map(self.location.key, gone))
        with transaction(self.rt.sessions) as session:
            fence.finish(session, self.rev, self.token)
            manifest.forget(session, self.base, gone)

    def keep_copy(self) -> None:
        """Save this host's copy of the manifest, which is now this folder's files, named
        by the token (after the bucket is complete: no reader waits for it)."""
        snapshot.save(self.rt.settings.site_dir, self.token, self.base, self.files)


def _compare(
    files: dict[str, snapshot.Entry], copy: dict[str, snapshot.Entry]
) -> tuple[list[str], list[str]]:
    """Return (files whose digest differs from the copy's, the copy's files not in files);
    a file the folder listing took from the copy unchanged is the copy's very entry."""
    changed = []
    for rel, entry in files.items():
        old = copy.get(rel)
        if old is not entry and (old is None or old[3] != entry[3]):
            changed.append(rel)
    return sorted(changed), sorted(rel for rel in copy if rel not in files)


def warm_up(settings: Settings) -> None:
    """Make the S3 client in the worker's parent process when the site goes to a bucket, so
    each forked job starts with boto3 imported and the client made (a second or so)."""
    if settings.publish_location.is_s3:
        objectstore.client(settings)
        snapshot.preload(settings.site_dir)


def after_build(settings: Settings) -> None:
    """In the worker's parent after a build job: read this host's manifest copy the build
    saved, while it waits for the next job (whose horse then starts with it)."""
    if settings.publish_location.is_s3:
        snapshot.preload(settings.site_dir)


def publish(rt: Runtime, rev: int, folder: Path) -> Published:
    """Publish the built site in folder as revision rev; raise Fenced when a newer
    publication holds the bucket (nothing more is written), or the S3 client's error."""
    started = time.perf_counter()
    run = Publication(rt, rev, folder)
    run.claim()
    changed, gone, unchanged = run.plan()
    planned = time.perf_counter()
    assets = [rel for rel in changed if not objects.is_page(rel)]
    pages = [rel for rel in changed if objects.is_page(rel)]
    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="publish") as pool:
        run.write(pool, assets)
        run.write(pool, pages)
    run.finish(gone)
    seconds = time.perf_counter() - started
    run.keep_copy()
    return Published(
        where=run.location.describe(),
        rev=rev,
        assets=len(assets),
        pages=len(pages),
        deleted=len(gone),
        unchanged=unchanged,
        hashed=run.hashed,
        plan_s=planned - started,
        seconds=seconds,
        manifest_from=run.manifest_from,
    )


def publish_build(rt: Runtime, rev: int, folder: Path) -> tuple[BuildStatus, str]:
    """Publish a successful build for build_and_switch: (the build's status: OK when the
    bucket now holds rev, FAILED when a newer publication holds it, UNPUBLISHED when the
    bucket could not be written (retried); the line for the build log)."""
    try:
        done = publish(rt, rev, folder)
    except Fenced as exc:
        log.error("%s; the bucket keeps the newer site", exc)
        return BuildStatus.FAILED, f"publication refused: {exc}"
    except Exception as exc:  # any failure to write the bucket: it keeps its previous site
        log.error("publication of revision %s failed (%s); retried", rev, type(exc).__name__)
        return BuildStatus.UNPUBLISHED, f"publication failed: {type(exc).__name__}: {exc}"[:4000]
    log.info("%s", done.describe())
    return BuildStatus.OK, done.describe()
