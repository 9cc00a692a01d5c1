"""Publish a built site folder to the bucket of HIROBA_PUBLISH_URL: upload only the files
whose digest differs from the manifest, assets first and pages after them, then delete
what the site no longer has in one DeleteObjects batch; fenced throughout (fence.py).

An incremental build names every file it changed against the folder it started from
(worker/build/changes.py). When the bucket holds exactly that folder (this host published
it and no publication has written since: snapshot.py), only those files are written and
deleted. Otherwise (a full build, a new search index, another host's publication) the
whole folder is compared with the manifest: the nightly full build does so every night.

The fence is checked before each batch, not with each PUT: a publisher that stalls after a
check (its build lock expired meanwhile) may write its batch over a newer publication's
objects. When it then finds itself refused, it marks what it wrote since its last check
unknown, voids every claim and asks for a new revision, whose publication compares the
whole folder with the manifest and rewrites them (Publication.disown)."""

from __future__ import annotations

import logging
import os
import stat
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from redis.exceptions import RedisError

from intake import objectstore
from intake.config import Settings
from intake.outbox import enqueue_rebuild
from intake.runtime import Runtime
from intake.site.models import BuildStatus
from intake.store import transaction
from worker.build.changes import Changes
from worker.build.revisions import request_rebuild

from . import fence, manifest, objects, snapshot
from .digests import LocalFile, sha256_of, site_files
from .errors import Fenced

log = logging.getLogger(__name__)

# Uploads in flight at once (the shared client keeps up to 32 connections).
WORKERS = 16
# Files written between two checks of the fence: a stale publisher learns it is stale
# within one batch.
BATCH = 128
ONLY_CHANGES = "only the changes the build listed"  # in the build log: nothing was listed


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
    first: int = 0  # of the uploads, those the build named, written before the listing
    first_s: float = 0.0  # when those were in the bucket
    listed: bool = True  # whether the whole folder was compared (else the build's changes)
    claim_s: float = 0.0  # claiming the bucket and taking this host's copy of the manifest

    @property
    def uploaded(self) -> int:
        return self.assets + self.pages

    def describe(self) -> str:
        return (
            f"published revision {self.rev} to {self.where}: uploaded={self.uploaded} "
            f"(assets={self.assets} pages={self.pages}) deleted={self.deleted} "
            f"unchanged={self.unchanged} in {self.seconds:.2f} s (hashed={self.hashed}; "
            f"first {self.first} the build named, in {self.first_s:.2f} s; "
            f"{'the whole folder compared' if self.listed else ONLY_CHANGES}; "
            f"planned in {self.plan_s:.2f} s from {self.manifest_from}'s manifest, "
            f"claimed in {self.claim_s:.2f} s)"
        )


class Publication:
    """One publication: its claim, the files it writes, and the batches it has written."""

    def __init__(self, rt: Runtime, rev: int, folder: Path) -> None:
        self.rt, self.rev, self.folder = rt, rev, folder
        self.location = rt.settings.publish_location
        self.base = self.location.describe()  # the manifest's rows of this bucket and prefix
        self.s3 = objectstore.client(rt.settings)
        self.token = self.previous = ""
        self.copy = snapshot.EMPTY
        self.trusted = False  # whether the copy is the manifest (see claim)
        self.files: dict[str, snapshot.Entry] = {}
        self.early: dict[str, snapshot.Entry] = {}  # written before the listing (first)
        self.local: dict[str, LocalFile] = {}
        self.unrecorded: dict[str, LocalFile] = {}
        self.hashed = 0
        self.manifest_from = ""  # where the plan read the manifest: this host's copy or the DB
        # The fence was checked in a transaction that committed after the last batch was
        # written (so the next batch need not check it again).
        self.checked = False
        # Keys written or deleted since the fence was last found holding (disown).
        self.exposed: set[str] = set()

    def claim(self) -> None:
        self.token, self.previous = fence.claim(self.rt, self.rev)
        self.copy = snapshot.load(self.rt.settings.site_dir)
        # No publication has written the manifest since the one that left this copy.
        self.trusted = bool(self.copy.token) and self.copy.token == self.previous
        self.trusted = self.trusted and self.copy.base == self.base
        self.manifest_from = "this host's copy" if self.trusted else "the database"

    def _entry(self, rel: str) -> snapshot.Entry | None:
        """Return the entry of one file of the folder (None: not a file there)."""
        path = os.path.join(self.folder, rel)
        try:
            st = os.stat(path, follow_symlinks=False)
        except OSError:
            return None
        if not stat.S_ISREG(st.st_mode):
            return None
        old = self.copy.files.get(rel)
        if old is not None and old[:3] == (st.st_ino, st.st_size, st.st_mtime_ns):
            return old
        self.hashed += 1
        return (st.st_ino, st.st_size, st.st_mtime_ns, sha256_of(path))

    def first(self, pool: ThreadPoolExecutor, hint: Iterable[str]) -> tuple[int, int]:
        """Write the files the build says it wrote (those whose digest differs from the
        manifest), assets before pages, before listing the whole folder: a reader sees the
        change sooner. The plan then writes whatever else differs. Return (assets, pages)."""
        wanted = {rel: e for rel in sorted(set(hint)) if (e := self._entry(rel)) is not None}
        if not wanted:
            return 0, 0
        with transaction(self.rt.sessions) as session:
            fence.check(session, self.rev, self.token)
            if self.trusted:
                known: dict[str, str | None] = {
                    r: self.copy.files[r][3] for r in wanted if r in self.copy.files
                }
            else:
                known = manifest.digests(session, self.base, list(wanted))
            changed = sorted(rel for rel, e in wanted.items() if known.get(rel) != e[3])
            manifest.mark_unknown(session, self.base, changed, known)
        self._held()
        self.early = {rel: wanted[rel] for rel in changed}
        self._locals(self.early)
        assets = [rel for rel in changed if not objects.is_page(rel)]
        pages = [rel for rel in changed if objects.is_page(rel)]
        self.write(pool, assets)
        self.write(pool, pages)
        self.checkpoint()
        return len(assets), len(pages)

    def follows(self, changes: Changes | None) -> bool:
        """Whether changes say all that differs from the bucket: they are against the
        folder the bucket holds, by the copy this host trusts (claim)."""
        return changes is not None and self.trusted and self.copy.folder == changes.base

    def apply(self, pool: ThreadPoolExecutor, changes: Changes) -> tuple[int, int, list[str]]:
        """Write the files the build changed (those whose digest differs from the copy's),
        assets before pages; return (assets, pages, keys to delete). The folder is not
        listed: the copy, with these changes, is its files (follows)."""
        files = dict(self.copy.files)
        entries = {rel: e for rel in changes.written if (e := self._entry(rel)) is not None}
        changed = sorted(
            rel for rel, e in entries.items() if (old := files.get(rel)) is None or old[3] != e[3]
        )
        vanished = (rel for rel in changes.written if rel not in entries)
        gone = sorted(rel for rel in {*changes.deleted, *vanished} if rel in files)
        with transaction(self.rt.sessions) as session:
            fence.check(session, self.rev, self.token)
            manifest.mark_unknown(session, self.base, changed, files)
        self._held()
        files.update(entries)
        for rel in gone:
            del files[rel]
        self.files = files
        self._locals({rel: entries[rel] for rel in changed})
        assets = [rel for rel in changed if not objects.is_page(rel)]
        pages = [rel for rel in changed if objects.is_page(rel)]
        self.write(pool, assets)
        self.write(pool, pages)  # recorded by finish, in the transaction that commits
        return len(assets), len(pages), gone

    def _locals(self, entries: dict[str, snapshot.Entry]) -> None:
        folder = str(self.folder)
        for rel, (_ino, size, _mtime, digest) in entries.items():
            self.local[rel] = LocalFile(os.path.join(folder, rel), digest, size)

    def plan(self) -> tuple[list[str], list[str], int]:
        """Return (files to write, keys to delete, files unchanged); the files to write are
        recorded as unknown first."""
        cache = dict(self.copy.files, **self.early) if self.early else self.copy.files
        self.files, hashed = site_files(self.folder, cache)
        self.hashed += hashed
        with transaction(self.rt.sessions) as session:
            fence.check(session, self.rev, self.token)
            if self.trusted:  # the copy, with what first() wrote
                changed, gone = _compare(self.files, cache)
                manifest.mark_unknown(session, self.base, changed, cache)
            else:
                known = manifest.load(session, self.base)
                changed = sorted(rel for rel, e in self.files.items() if known.get(rel) != e[3])
                gone = sorted(set(known) - set(self.files))
                manifest.mark_unknown(session, self.base, changed, known)
        self._held()  # (first() recorded its batch)
        self._locals({rel: self.files[rel] for rel in changed})
        return changed, gone, len(self.files) - len(changed) - len(self.early)

    def checkpoint(self) -> None:
        """Check the fence and record the batch written since the last checkpoint."""
        with transaction(self.rt.sessions) as session:
            fence.check(session, self.rev, self.token)
            manifest.record(session, self.base, self.unrecorded)
        self.unrecorded = {}
        self._held()

    def _held(self) -> None:
        """The fence was found holding in a transaction that committed: nothing written
        before it can have overwritten a newer publication."""
        self.checked = True
        self.exposed.clear()

    def write(self, pool: ThreadPoolExecutor, files: list[str]) -> None:
        """Write files in batches, each after a check of the fence (a checkpoint, unless
        the fence was checked with nothing written since)."""
        for start in range(0, len(files), BATCH):
            batch = files[start : start + BATCH]
            if not self.checked or self.unrecorded:
                self.checkpoint()
            self.checked = False
            self.exposed.update(batch)
            uploads = [
                pool.submit(objects.upload, self.s3, self.location, rel, self.local[rel])
                for rel in batch
            ]
            for future in uploads:
                future.result()
            self.unrecorded = {rel: self.local[rel] for rel in batch}

    def finish(self, gone: list[str]) -> None:
        """Delete gone (after a checkpoint: every write is in the bucket and recorded),
        then commit the revision; with nothing to delete, the last batch is recorded in
        that same transaction."""
        if gone:
            self.checkpoint()
            self.exposed.update(gone)
            objectstore.delete_keys(self.s3, self.location.bucket, map(self.location.key, gone))
        with transaction(self.rt.sessions) as session:
            fence.finish(session, self.rev, self.token)
            manifest.record(session, self.base, self.unrecorded)
            manifest.forget(session, self.base, gone)
        self.unrecorded = {}
        self.exposed.clear()

    def disown(self) -> list[str]:
        """After a refusal: what this publication wrote or deleted since its last check of
        the fence may have landed over a newer publication's objects. Mark those keys
        unknown, void every claim (fence.void: the next publication compares the whole
        folder with this manifest) and ask for a new revision, whose publication writes
        them again. Return the keys (none: nothing to repair)."""
        keys = sorted(self.exposed)
        if not keys:
            return keys
        with transaction(self.rt.sessions) as session:
            fence.void(session)
            known = manifest.digests(session, self.base, keys)
            manifest.mark_unknown(session, self.base, keys, known)
            rev = request_rebuild(session)
        self.exposed.clear()
        log.error(
            "revision %s wrote %d object(s) after a newer publication claimed the bucket; "
            "they are marked unknown and revision %s will write them again",
            self.rev,
            len(keys),
            rev,
        )
        try:
            enqueue_rebuild(self.rt.queue)
        except RedisError as exc:  # the reconciler's next pass enqueues it
            log.warning("rebuild not queued (%s); the reconciler will", exc)
        return keys

    def keep_copy(self) -> None:
        """Save this host's copy of the manifest, which is now this folder's files, named
        by the token (after the bucket is complete: no reader waits for it)."""
        done = snapshot.Snapshot(self.token, self.base, self.files, self.folder.name)
        snapshot.save(self.rt.settings.site_dir, done)


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
    """In the worker's parent after each job: read this host's manifest copy a build saved
    (unless it has it), while it waits for the next job (whose horse then starts with it)."""
    if settings.publish_location.is_s3:
        snapshot.preload(settings.site_dir)


def publish(rt: Runtime, rev: int, folder: Path, changes: Changes | None = None) -> Published:
    """Publish the built site in folder as revision rev; raise Fenced when a newer
    publication holds the bucket (nothing more is written), or the S3 client's error.

    changes: what an incremental build changed against the folder it started from. When
    the bucket holds that folder, only these are written and deleted; else they are
    written first and the whole folder is then compared with the manifest.
    """
    started = time.perf_counter()
    run = Publication(rt, rev, folder)
    run.claim()
    claimed = time.perf_counter()
    try:
        return _publish(run, changes, (started, claimed))
    except Fenced:
        run.disown()
        raise


def _publish(run: Publication, changes: Changes | None, times: tuple[float, float]) -> Published:
    started, claimed = times
    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="publish") as pool:
        if changes is not None and run.follows(changes):
            early_assets, early_pages, gone = run.apply(pool, changes)
            first_s = planned = time.perf_counter()
            assets, pages = [], []
            unchanged = len(run.files) - early_assets - early_pages
        else:
            hint = changes.written if changes is not None else ()
            early_assets, early_pages = run.first(pool, hint)
            first_s = time.perf_counter()
            changed, gone, unchanged = run.plan()
            planned = time.perf_counter()
            assets = [rel for rel in changed if not objects.is_page(rel)]
            pages = [rel for rel in changed if objects.is_page(rel)]
            run.write(pool, assets)
            run.write(pool, pages)
    run.finish(gone)
    seconds = time.perf_counter() - started
    run.keep_copy()
    return Published(
        where=run.location.describe(),
        rev=run.rev,
        assets=early_assets + len(assets),
        pages=early_pages + len(pages),
        deleted=len(gone),
        unchanged=unchanged,
        hashed=run.hashed,
        plan_s=planned - started,
        seconds=seconds,
        manifest_from=run.manifest_from,
        first=early_assets + early_pages,
        first_s=first_s - started,
        listed=changes is None or not run.follows(changes),
        claim_s=claimed - started,
    )


def publish_build(
    rt: Runtime, rev: int, folder: Path, changes: Changes | None = None
) -> tuple[BuildStatus, str]:
    """Publish a successful build for build_and_switch: (the build's status: OK when the
    bucket now holds rev, FAILED when a newer publication holds it, UNPUBLISHED when the
    bucket could not be written (retried); the line for the build log)."""
    try:
        done = publish(rt, rev, folder, changes)
    except Fenced as exc:
        log.error("%s; the bucket keeps the newer site", exc)
        return BuildStatus.FAILED, f"publication refused: {exc}"
    except Exception as exc:  # any failure to write the bucket: it keeps its previous site
        log.error("publication of revision %s failed (%s); retried", rev, type(exc).__name__)
        return BuildStatus.UNPUBLISHED, f"publication failed: {type(exc).__name__}: {exc}"[:4000]
    log.info("%s", done.describe())
    return BuildStatus.OK, done.describe()
