"""Publishing the site to a bucket (HIROBA_PUBLISH_URL=s3://…) with real workers, real
Pelican builds and moto's S3 server: what the bucket holds after approvals and a takedown,
the headers of its objects, how little a second approval uploads, and the fence that keeps
an older publisher from overwriting a newer site.
"""

from __future__ import annotations

import gzip
import re
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Instance, RedisServer, open_instance
from hosts_support import second_host, site_tree
from lifecycle_support import approved_event, poster_group
from s3_support import S3Server
from sqlalchemy import select

from intake.models import Build, PublishedObject, SiteState
from intake.site.models import BuildStatus
from intake.site.takedown import take_down
from intake.store import transaction
from worker.build.full import build_site
from worker.build.revisions import request_rebuild
from worker.build.switch import build_and_switch
from worker.publication import objects
from worker.publication.bucket import Publication, publish
from worker.publication.digests import LocalFile
from worker.publication.errors import Fenced

PREFIX = "site/"
MANIFEST_FROM = re.compile(r"from (this host's copy|the database)'s manifest")
COUNTS = re.compile(r"uploaded=(\d+) \(assets=(\d+) pages=(\d+)\) deleted=(\d+) unchanged=(\d+)")


@pytest.fixture
def bucketed(
    tmp_path: Path,
    database_url: str,
    redis_server: RedisServer,
    s3_server: S3Server,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Instance, str]]:
    """An instance publishing to a fresh bucket under site/ (moto's credentials in this
    process too, for the publications the tests run themselves)."""
    bucket = s3_server.new_bucket()
    for name, value in s3_server.env().items():
        monkeypatch.setenv(name, value)
    extra = {**s3_server.env(), "HIROBA_PUBLISH_URL": f"s3://{bucket}/site"}
    made = open_instance(tmp_path, database_url, redis_server, extra=extra)
    yield made, bucket
    made.rt.close()


def _bucket_tree(s3_server: S3Server, bucket: str) -> dict[str, bytes]:
    """The built site in the bucket: every object but the banner's stylesheet, which the
    worker keeps beside the builds (tests/test_banner.py)."""
    objects = s3_server.objects(bucket, PREFIX)
    site = {key.removeprefix(PREFIX): data for key, data in objects.items()}
    site.pop("banner.css", None)
    return site


def _pagefind_pages(tree: dict[str, bytes]) -> list[bytes]:
    return sorted(
        gzip.decompress(data) for rel, data in tree.items() if rel.startswith("pagefind/fragment/")
    )


def _without_pagefind(tree: dict[str, bytes]) -> dict[str, bytes]:
    return {rel: data for rel, data in tree.items() if not rel.startswith("pagefind/")}


def _publications(instance: Instance) -> list[tuple[str, dict[str, int]]]:
    """Return (the build's first log line, its publication counts) of every build, oldest first."""
    with instance.rt.sessions() as db:
        builds = db.scalars(select(Build).order_by(Build.id)).all()
        found = []
        for build in builds:
            assert build.status == BuildStatus.OK, build.log
            match = COUNTS.search(build.log)
            assert match, build.log
            names = ("uploaded", "assets", "pages", "deleted", "unchanged")
            counts = dict(zip(names, map(int, match.groups()), strict=True))
            found.append((build.log.splitlines()[0], counts))
        return found


def _manifest(instance: Instance) -> dict[str, str | None]:
    """Return the manifest's rows of the instance's bucket, by path under the prefix."""
    base = instance.settings.publish_location.describe()
    with instance.rt.sessions() as db:
        rows = db.execute(select(PublishedObject.path, PublishedObject.sha256))
        return {path.removeprefix(base): digest for path, digest in rows}


def test_approvals_and_a_takedown_leave_the_bucket_equal_to_a_full_build(
    bucketed: tuple[Instance, str], s3_server: S3Server, tmp_path: Path
) -> None:
    instance, bucket = bucketed
    moderator, group = poster_group(instance)
    first = [approved_event(instance, moderator, group, f"公開先検査の催し{n}") for n in range(3)]
    instance.worker_burst()
    s3 = s3_server.client()
    objects = _bucket_tree(s3_server, bucket)
    for post_id in first:
        assert f"events/{post_id}/index.html" in objects
        assert "公開先検査の催し".encode() in objects[f"events/{post_id}/index.html"]
    live = site_tree(instance.settings.live_dir.resolve())
    assert objects == live  # the host's copy and the bucket are the same site

    def head(rel: str) -> tuple[str, str]:
        answer = s3.head_object(Bucket=bucket, Key=PREFIX + rel)
        return answer["ContentType"], answer["CacheControl"]

    assert head(f"events/{first[0]}/index.html") == (
        "text/html; charset=utf-8",
        "public, max-age=60",
    )
    assert head(f"events/{first[0]}/event.ics") == (
        "text/calendar; charset=utf-8",
        "public, max-age=300",
    )
    assert head("feeds/all.atom.xml") == ("text/xml; charset=utf-8", "public, max-age=300")
    assert head("search/index.json") == ("application/json", "public, max-age=60")
    css = next(rel for rel in objects if rel.startswith("theme/") and rel.endswith(".css"))
    assert head(css) == ("text/css", "public, max-age=3600")
    fragment = next(rel for rel in objects if rel.startswith("pagefind/fragment/"))
    assert head(fragment) == ("application/octet-stream", "public, max-age=31536000, immutable")

    # One more approval: its incremental build uploads a few pages, not the site.
    later = approved_event(instance, moderator, group, "公開先検査の追加の催し")
    instance.worker_burst()
    step, counts = [
        (line, counts) for line, counts in _publications(instance) if line.startswith("incremental")
    ][-1]
    assert step.startswith("incremental: 1 changed post")
    total = counts["uploaded"] + counts["unchanged"]
    assert 0 < counts["uploaded"] <= total // 4, counts
    assert counts["assets"] == 0 and counts["pages"] == counts["uploaded"], counts
    assert f"{PREFIX}events/{later}/index.html" in s3_server.objects(bucket, PREFIX + "events/")
    # The pages the incremental build wrote went up before the folder was listed.
    text = _approval_log(instance)
    named = re.search(r"first (\d+) the build named", text)
    assert named and 0 < int(named.group(1)) <= counts["uploaded"], text

    # A takedown: the page and its calendar leave the bucket, in the same publication.
    take_down(instance.rt, moderator, first[0], "検査のための緊急非公開です。")
    instance.worker_burst()
    gone = [f"events/{first[0]}/index.html", f"events/{first[0]}/event.ics"]
    objects = _bucket_tree(s3_server, bucket)
    assert not set(gone) & set(objects)
    assert any(counts["deleted"] >= len(gone) for _line, counts in _publications(instance))

    # The bucket equals a full build of the same content (search compared by what it holds,
    # as tests/test_incremental.py does: Pagefind's chunk order differs between runs).
    full = tmp_path / "full-build"
    build_site(instance.settings, full)
    rebuilt = site_tree(full)
    assert _pagefind_pages(objects) == _pagefind_pages(rebuilt) != []
    objects, rebuilt = _without_pagefind(objects), _without_pagefind(rebuilt)
    assert sorted(objects) == sorted(rebuilt)
    assert [rel for rel in objects if objects[rel] != rebuilt[rel]] == []
    # The manifest names exactly the bucket's objects, none of them unknown.
    manifest = _manifest(instance)
    assert set(manifest) == set(_bucket_tree(s3_server, bucket))
    assert None not in manifest.values()


def _approval_log(instance: Instance) -> str:
    """Return the log of the last incremental build of an approval (not a re-index)."""
    with instance.rt.sessions() as db:
        logs = db.scalars(select(Build.log).order_by(Build.id.desc())).all()
    return next(text for text in logs if text.startswith("incremental: 1 changed post"))


def _manifest_sources(instance: Instance) -> list[str]:
    """Return where each build's publication read the manifest from, oldest first."""
    with instance.rt.sessions() as db:
        logs = db.scalars(select(Build.log).order_by(Build.id)).all()
    return [m.group(1) for text in logs if (m := MANIFEST_FROM.search(text))]


def test_a_host_trusts_its_copy_of_the_manifest_only_while_no_other_publication_wrote(
    bucketed: tuple[Instance, str], s3_server: S3Server, tmp_path: Path
) -> None:
    instance, bucket = bucketed
    moderator, group = poster_group(instance)
    approved_event(instance, moderator, group, "写し検査の催し 一")
    instance.worker_burst()
    approved_event(instance, moderator, group, "写し検査の催し 二")
    instance.worker_burst()
    # The first publication of this host reads the database; the next one its own copy.
    sources = _manifest_sources(instance)
    assert sources[0] == "the database" and sources[-1] == "this host's copy", sources

    # Another host publishes: this host's copy no longer names the bucket's manifest.
    other = second_host(instance, tmp_path / "other")
    try:
        from_other = approved_event(other, moderator, group, "写し検査の催し 三")
        other.worker_burst()
        assert _manifest_sources(other)[-1] == "the database"  # it has no copy yet
    finally:
        other.rt.close()
    # (each burst may also run a search re-index, published from the copy just saved)
    before = len(_manifest_sources(instance))
    approved_event(instance, moderator, group, "写し検査の催し 四")
    instance.worker_burst()
    assert _manifest_sources(instance)[before] == "the database"
    # A publication that claimed the bucket and stopped (here: fenced before its first
    # batch) leaves its token: the next one reads the database again.
    with instance.rt.sessions() as db:
        rev = db.get(SiteState, 1).published_rev  # type: ignore[union-attr]
    stopped = Publication(instance.rt, rev, instance.settings.live_dir.resolve())
    stopped.claim()
    before = len(_manifest_sources(instance))
    approved_event(instance, moderator, group, "写し検査の催し 五")
    instance.worker_burst()
    assert _manifest_sources(instance)[before] == "the database"
    approved_event(instance, moderator, group, "写し検査の催し 六")
    instance.worker_burst()
    assert _manifest_sources(instance)[-1] == "this host's copy"

    objects = _bucket_tree(s3_server, bucket)
    assert objects == site_tree(instance.settings.live_dir.resolve())
    assert f"events/{from_other}/index.html" in objects
    manifest = _manifest(instance)
    assert set(manifest) == set(objects) and None not in manifest.values()


def _older_and_newer(instance: Instance, tmp_path: Path, title: str) -> tuple[Path, Path, int]:
    """Publish two approvals one after the other; return copies of the site after each
    (older, newer) and the second post's id (only the newer site has its page)."""
    moderator, group = poster_group(instance)
    approved_event(instance, moderator, group, f"{title} 一")
    instance.worker_burst()
    older = tmp_path / "older"
    shutil.copytree(instance.settings.live_dir.resolve(), older)
    newer_post = approved_event(instance, moderator, group, f"{title} 二")
    instance.worker_burst()
    newer = tmp_path / "newer"
    shutil.copytree(instance.settings.live_dir.resolve(), newer)
    return older, newer, newer_post


def test_an_older_publisher_is_fenced_off_and_the_bucket_keeps_the_newer_site(
    bucketed: tuple[Instance, str], s3_server: S3Server, tmp_path: Path
) -> None:
    instance, bucket = bucketed
    older, newer, newer_post = _older_and_newer(instance, tmp_path, "フェンス検査の催し")
    with instance.rt.sessions() as db:
        base = db.get(SiteState, 1).published_rev  # type: ignore[union-attr]

    # Revision base+1 claims the bucket and marks what it will write, then stalls...
    stale = Publication(instance.rt, base + 1, older)
    stale.claim()
    changed, _gone, _unchanged = stale.plan()
    assert f"events/{newer_post}/index.html" not in changed  # the older site has no such page
    assert any(_manifest(instance)[rel] is None for rel in changed)
    # ... revision base+2 claims it, publishes and commits ...
    done = publish(instance.rt, base + 2, newer)
    # It rewrote (or deleted) what the stalled one had marked unknown.
    assert done.uploaded + done.deleted >= len(changed) > 0
    # ... and the stalled publisher is refused at its next batch and at its commit.
    with pytest.raises(Fenced, match="newer publication"):
        stale.checkpoint()
    with pytest.raises(Fenced):
        stale.finish([])
    with pytest.raises(Fenced, match="the bucket holds revision"):
        Publication(instance.rt, base + 1, older).claim()
    assert _bucket_tree(s3_server, bucket) == site_tree(newer)
    with instance.rt.sessions() as db:
        state = db.get(SiteState, 1)
        assert state is not None and state.published_rev == base + 2

    # A whole build of an older revision: built on the host, refused for the bucket,
    # recorded failed with the reason.
    record = build_and_switch(instance.rt, base + 1)
    assert record.status == BuildStatus.FAILED
    assert "publication refused" in record.log
    assert _bucket_tree(s3_server, bucket) == site_tree(newer)


def test_a_batch_that_lands_after_a_newer_publication_is_written_again_by_the_next(
    bucketed: tuple[Instance, str], s3_server: S3Server, tmp_path: Path
) -> None:
    """The fence is checked before each batch, not with each PUT: a publisher that stalls
    between its check and its batch writes over the newer site. Refused at its next check,
    it marks those objects unknown, voids the claims and asks for a new revision, whose
    publication writes them again: the bucket ends equal to the newest site."""
    instance, bucket = bucketed
    older, newer, _post = _older_and_newer(instance, tmp_path, "遅れた書き込みの催し")
    with transaction(instance.rt.sessions) as db:
        # Two revisions as the worker asks for them: the stalled one, and the newer one.
        stale_rev, newer_rev = request_rebuild(db), request_rebuild(db)

    # The stale publisher finds the fence holding, and stalls before its first batch
    # lands; meanwhile the newer revision claims the bucket and publishes its whole site.
    real_upload = objects.upload
    newer_done, first = threading.Event(), threading.Lock()

    def stalling_upload(s3: object, location: object, rel: str, local: LocalFile) -> None:
        if local.path.startswith(str(older)):
            if first.acquire(blocking=False):
                try:
                    publish(instance.rt, newer_rev, newer)
                finally:
                    newer_done.set()
            newer_done.wait(300)
        real_upload(s3, location, rel, local)  # type: ignore[arg-type]

    objects.upload = stalling_upload  # type: ignore[assignment]
    try:
        with pytest.raises(Fenced, match="newer publication"):
            publish(instance.rt, stale_rev, older)
    finally:
        objects.upload = real_upload  # type: ignore[assignment]

    # The stale batch landed over the newer site, or beside it (the window is real) ...
    wanted = site_tree(newer)
    in_bucket = _bucket_tree(s3_server, bucket)
    overwritten = sorted(
        rel for rel in {*wanted, *in_bucket} if in_bucket.get(rel) != wanted.get(rel)
    )
    assert overwritten, "the stale batch should have landed after the newer publication"
    # ... and the refused publisher marked it unknown and asked for a new revision.
    manifest = _manifest(instance)
    assert [rel for rel in overwritten if rel not in manifest or manifest[rel]] == []
    with instance.rt.sessions() as db:
        state = db.get(SiteState, 1)
        assert state is not None
        assert state.published_rev == newer_rev and state.requested_rev == newer_rev + 1

    # The worker builds that revision; its publication trusts no host's copy of the
    # manifest, compares the whole folder and writes the overwritten objects again.
    instance.worker_burst()
    assert _bucket_tree(s3_server, bucket) == site_tree(instance.settings.live_dir.resolve())
    assert _bucket_tree(s3_server, bucket) == wanted
    manifest = _manifest(instance)
    assert None not in manifest.values()
    with instance.rt.sessions() as db:
        last = db.scalars(select(Build).order_by(Build.id.desc())).first()
        assert last is not None and last.rev == newer_rev + 1
        assert last.status == BuildStatus.OK, last.log
        assert "the whole folder compared" in last.log
        counts = COUNTS.search(last.log)
        assert counts is not None, last.log
        assert int(counts.group(1)) + int(counts.group(4)) >= len(overwritten)  # written, deleted


def test_a_file_location_other_than_the_default_is_the_live_link(
    tmp_path: Path, database_url: str, redis_server: RedisServer
) -> None:
    www = tmp_path / "www"
    www.mkdir()
    extra = {"HIROBA_PUBLISH_URL": f"file://{www}/hiroba"}
    instance = open_instance(tmp_path, database_url, redis_server, extra=extra)
    try:
        assert instance.settings.live_dir == www.resolve() / "hiroba"
        moderator, group = poster_group(instance)
        post_id = approved_event(instance, moderator, group, "別の公開先の催し")
        instance.worker_burst()
        link = www / "hiroba"
        assert link.is_symlink()
        assert link.resolve().parent == instance.settings.builds_dir.resolve()
        assert "別の公開先の催し" in (link / f"events/{post_id}/index.html").read_text("utf-8")
        assert not (instance.settings.site_dir / "current").exists()
    finally:
        instance.rt.close()


def test_a_bucket_that_cannot_be_written_is_retried_until_it_holds_the_site(
    tmp_path: Path,
    database_url: str,
    redis_server: RedisServer,
    s3_server: S3Server,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The bucket is missing at the first publication (as when the provider is down): the
    build is UNPUBLISHED, the watch says the publication is retried, and a running worker
    publishes by itself once the bucket answers."""
    from intake.watching.checks import build_problem

    bucket = f"hiroba-later-{tmp_path.name[-8:].lower().replace('_', '-')}"
    for name, value in s3_server.env().items():
        monkeypatch.setenv(name, value)
    extra = {**s3_server.env(), "HIROBA_PUBLISH_URL": f"s3://{bucket}/site"}
    instance = open_instance(tmp_path, database_url, redis_server, extra=extra)
    worker = None
    try:
        moderator, group = poster_group(instance)
        post_id = approved_event(instance, moderator, group, "再試行検査の催し")
        instance.worker_burst()
        with instance.rt.sessions() as db:
            last = db.scalars(select(Build).order_by(Build.id.desc())).first()
            assert last is not None and last.status == BuildStatus.UNPUBLISHED
            assert "publication failed" in last.log and "NoSuchBucket" in last.log
            state = db.get(SiteState, 1)
            assert state is not None and state.built_rev < state.requested_rev
        problem = build_problem(instance.rt)
        assert problem is not None and "再試行" in problem

        s3_server.client().create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"}
        )
        worker = instance.start_worker()  # its reconciler retries after a build lock's time
        page = f"{PREFIX}events/{post_id}/index.html"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with instance.rt.sessions() as db:
                state = db.get(SiteState, 1)
                assert state is not None
                if state.built_rev == state.requested_rev:
                    break
            time.sleep(0.5)
        assert state.built_rev == state.requested_rev, "the publication was never retried"
        body = s3_server.client().get_object(Bucket=bucket, Key=page)["Body"].read()
        assert "再試行検査の催し" in body.decode("utf-8")
        assert build_problem(instance.rt) is None
    finally:
        if worker is not None:
            Instance.kill_group(worker)
        instance.rt.close()


def test_the_manifest_copy_reads_back_as_saved_and_never_runs_a_planted_pickle(
    tmp_path: Path,
) -> None:
    import os
    import pickle

    from worker.publication import snapshot

    old = tmp_path / ".publish-manifest.json"  # an earlier format's copy
    old.write_text("{}", encoding="utf-8")
    files = {"events/1/index.html": (11, 120, 1_700_000_000_000_000_001, "ab" * 32)}
    snapshot.save(tmp_path, snapshot.Snapshot("token", "s3://b/site/", files, "r2"))
    assert snapshot.load(tmp_path) == snapshot.Snapshot("token", "s3://b/site/", files, "r2")
    assert not old.exists()

    class Planted:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (os.remove, (str(tmp_path / "victim"),))

    (tmp_path / "victim").write_text("still here", encoding="utf-8")
    data = {"version": snapshot.VERSION, "token": "t", "base": "b", "folder": "f"}
    snapshot.path(tmp_path).write_bytes(pickle.dumps(dict(data, files=Planted())))
    assert snapshot.load(tmp_path) == snapshot.EMPTY  # read as no copy: the database is
    assert (tmp_path / "victim").exists()
