"""Publish a built site folder to the bucket of HIROBA_PUBLISH_URL: upload only the files
whose digest differs from the manifest, assets first and pages after them, then delete
what the site no longer has in one DeleteObjects batch; fenced throughout (fence.py)."""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from intake import objectstore
from intake.config import Settings
from intake.runtime import Runtime
from intake.store import transaction

from . import fence, manifest, objects
from .digests import CACHE_NAME, LocalFile, site_files
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

    @property
    def uploaded(self) -> int:
        return self.assets + self.pages

    def describe(self) -> str:
        return (
            f"published revision {self.rev} to {self.where}: uploaded={self.uploaded} "
            f"(assets={self.assets} pages={self.pages}) deleted={self.deleted} "
            f"unchanged={self.unchanged} in {self.seconds:.2f} s (hashed={self.hashed}, "
            f"planned in {self.plan_s:.2f} s)"
        )


class Publication:
    """One publication: its claim, the files it writes, and the batches it has written."""

    def __init__(self, rt: Runtime, rev: int, folder: Path) -> None:
        self.rt, self.rev, self.folder = rt, rev, folder
        self.location = rt.settings.publish_location
        self.base = self.location.describe()  # the manifest's rows of this bucket and prefix
        self.s3 = objectstore.client(rt.settings)
        self.token = ""
        self.local: dict[str, LocalFile] = {}
        self.unrecorded: dict[str, LocalFile] = {}
        self.hashed = 0

    def claim(self) -> None:
        self.token = fence.claim(self.rt, self.rev)

    def plan(self) -> tuple[list[str], list[str], int]:
        """Return (files to write, keys to delete, files unchanged); the files to write are
        recorded as unknown first."""
        self.local, self.hashed = site_files(self.folder, self.rt.settings.site_dir / CACHE_NAME)
        with transaction(self.rt.sessions) as session:
            fence.check(session, self.rev, self.token)
            known = manifest.load(session, self.base)
            changed = sorted(rel for rel, f in self.local.items() if known.get(rel) != f.sha256)
            gone = sorted(set(known) - set(self.local))
            manifest.mark_unknown(session, self.base, changed, known)
        return changed, gone, len(self.local) - len(changed)

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


def warm_up(settings: Settings) -> None:
    """Make the S3 client in the worker's parent process when the site goes to a bucket, so
    each forked job starts with boto3 imported and the client made (a second or so)."""
    if settings.publish_location.is_s3:
        objectstore.client(settings)


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
    return Published(
        where=run.location.describe(),
        rev=rev,
        assets=len(assets),
        pages=len(pages),
        deleted=len(gone),
        unchanged=unchanged,
        hashed=run.hashed,
        plan_s=planned - started,
        seconds=time.perf_counter() - started,
    )


def publish_build(rt: Runtime, rev: int, folder: Path) -> tuple[bool, str]:
    """Publish a successful build for build_and_switch: (whether the bucket now holds rev,
    the line for the build log)."""
    try:
        done = publish(rt, rev, folder)
    except Fenced as exc:
        log.error("%s; the bucket keeps the newer site", exc)
        return False, f"publication refused: {exc}"
    except Exception as exc:  # any failure to write the bucket: it keeps its previous site
        log.error("publication of revision %s failed (%s)", rev, type(exc).__name__)
        return False, f"publication failed: {type(exc).__name__}: {exc}"[:4000]
    log.info("%s", done.describe())
    return True, done.describe()
