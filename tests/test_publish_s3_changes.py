"""An incremental build names every file it changed, and a publication to the bucket writes
and deletes exactly those without listing the site (worker/build/changes.py): after a long
mixed series of approvals, an edit, files, takedowns and a withdrawal, the bucket equals
the host's live folder byte for byte after every step, and a full build at the end. So do
the publications of a new search index (the re-index's, and one whose delta grew past its
limit). A publication that cannot trust the build's list (another claim wrote the bucket
since) compares the whole folder.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path

from accounts_support import client_for
from actors import EVENT_DAY, open_group
from conftest import REPO_ROOT, Instance
from hosts_support import differences, site_tree
from lifecycle_support import approved_event
from preforked import run_python
from s3_support import S3Server
from sqlalchemy import select
from test_publish_s3 import (
    PREFIX,
    _bucket_tree,
    _manifest,
    bucketed,  # noqa: F401 - the fixture: an instance publishing to a bucket
)
from uploads_support import post_with_files

from intake.models import Build, SiteState
from intake.moderation import decisions as post_decisions
from intake.posts.edits import edit_post, withdraw_post
from intake.posts.services import PostData
from intake.site.models import BuildStatus
from intake.site.takedown import take_down
from worker.build.full import build_site
from worker.publication.bucket import Publication

LISTED = "only the changes the build listed"
COMPARED = "the whole folder compared"


def _build_logs(instance: Instance) -> list[str]:
    with instance.rt.sessions() as db:
        builds = db.scalars(select(Build).order_by(Build.id)).all()
        assert all(b.status == BuildStatus.OK for b in builds), [b.log for b in builds]
        return [b.log for b in builds]


# The worker's main queue alone, drained once by its own process (`python -c`, forked from
# one with the worker imported: tests/preforked.py): the approvals' builds and publications,
# while the search re-index they ask for (a build with a new index, whose publication
# compares the whole folder) waits on its own queue.
MAIN_QUEUE_ONLY = """
import os
from intake.config import Settings
from intake.runtime import Runtime
from worker.run import make_worker
os.umask(0o022)
make_worker(Runtime.from_settings(Settings.from_env(dict(os.environ)))).work(burst=True)
"""


def _same_as_live(instance: Instance, s3_server: S3Server, bucket: str) -> None:
    """Assert the bucket holds the live folder byte for byte, and the manifest names it."""
    objects = _bucket_tree(s3_server, bucket)
    live = site_tree(instance.settings.live_dir.resolve())
    assert sorted(set(objects) ^ set(live)) == []
    assert [rel for rel in objects if objects[rel] != live[rel]] == []
    manifest = _manifest(instance)
    assert set(manifest) == set(objects) and None not in manifest.values()


def _step(instance: Instance, s3_server: S3Server, bucket: str) -> list[str]:
    """Publish what is owed, checking the bucket after the approvals' own publications and
    again after the search re-index; return the logs of this step's incremental builds."""
    before = len(_build_logs(instance))
    done = run_python(MAIN_QUEUE_ONLY, instance.env, REPO_ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    logs = [text for text in _build_logs(instance)[before:] if text.startswith("incremental:")]
    _same_as_live(instance, s3_server, bucket)
    instance.worker_burst()
    _same_as_live(instance, s3_server, bucket)
    return logs


def test_a_mixed_series_uploads_only_what_each_build_changed_and_equals_a_full_build(
    bucketed: tuple[Instance, str],  # noqa: F811 - the fixture imported above
    s3_server: S3Server,
    tmp_path: Path,
) -> None:
    instance, bucket = bucketed
    moderator, group = open_group(instance)
    day = datetime.combine(EVENT_DAY, clock(14))
    first = [approved_event(instance, moderator, group, f"差分公開の催し{n}") for n in range(3)]
    _step(instance, s3_server, bucket)  # the first build is full: the whole folder goes up
    listed: list[str] = []

    # An approval in the same month: its page, the listings, feeds and search delta.
    same_month = approved_event(instance, moderator, group, "差分公開の同じ月の催し")
    listed += _step(instance, s3_server, bucket)
    # An approval in a month of its own: new month listings come (and go with it below).
    far = day + timedelta(days=70)
    lone = approved_event(instance, moderator, group, "差分公開の遠い月の催し", far)
    listed += _step(instance, s3_server, bucket)
    month = f"{far:%Y/%m}"
    assert f"{PREFIX}calendar/{month}/index.html" in s3_server.objects(bucket, PREFIX)

    # An edit of a live post, approved: its page and every listing that shows its title.
    revision = edit_post(
        instance.rt,
        group,
        first[1],
        PostData(
            kind="event",
            title="差分公開の直した催し",
            summary="直しました。",
            starts_at=day,
            ends_at=day + timedelta(hours=2),
            place_name="検査会館",
            topic="environment",
            area="ochiai-1",
        ),  # fmt: skip
    ).revision_id
    assert revision is not None
    post_decisions.approve(instance.rt, moderator, post_decisions.Subject("revision", revision))
    listed += _step(instance, s3_server, bucket)
    assert (
        "差分公開の直した催し".encode()
        in _bucket_tree(s3_server, bucket)[f"events/{first[1]}/index.html"]
    )

    # A post with an image and a PDF: its media files come with it.
    flyer = post_with_files(instance, client_for(instance), "差分公開のチラシ付きの催し")
    instance.worker_burst()  # checked and taken into the moderation queue
    post_decisions.approve(instance.rt, moderator, post_decisions.Subject("post", flyer))
    listed += _step(instance, s3_server, bucket)
    media = [rel for rel in _bucket_tree(s3_server, bucket) if rel.startswith(f"media/{flyer}/")]
    assert len(media) >= 2

    # A takedown of the month's only post: its folder and its month's listings go.
    take_down(instance.rt, moderator, lone, "差分公開の検査のための緊急非公開です。")
    listed += _step(instance, s3_server, bucket)
    objects = _bucket_tree(s3_server, bucket)
    assert not [rel for rel in objects if rel.startswith(f"events/{lone}/")]
    assert f"calendar/{month}/index.html" not in objects

    # A withdrawal by the group.
    withdraw_post(instance.rt, group, same_month)
    listed += _step(instance, s3_server, bucket)
    assert f"events/{same_month}/index.html" not in _bucket_tree(s3_server, bucket)

    # Every approval's publication above wrote the build's list and listed nothing.
    assert len(listed) >= 6 and all(LISTED in text for text in listed), listed

    # A publication claims the bucket and stops: the next one cannot trust this host's
    # copy, compares the whole folder, and the one after that trusts the list again.
    with instance.rt.sessions() as db:
        rev = db.get(SiteState, 1).published_rev  # type: ignore[union-attr]
    Publication(instance.rt, rev, instance.settings.live_dir.resolve()).claim()
    approved_event(instance, moderator, group, "差分公開の停止後の催し")
    after_stall = _step(instance, s3_server, bucket)
    assert after_stall and COMPARED in after_stall[0], after_stall
    # The flyer's post is taken down: its media files leave the bucket too.
    take_down(instance.rt, moderator, flyer, "差分公開の検査のための二度目の非公開です。")
    again = _step(instance, s3_server, bucket)
    assert again and all(LISTED in text for text in again), again
    assert not [rel for rel in _bucket_tree(s3_server, bucket) if rel.startswith("media/")]

    # The bucket equals a full build of the same content.
    full = tmp_path / "full-build"
    build_site(instance.settings, full)
    assert differences(_bucket_tree(s3_server, bucket), site_tree(full)) == []


def test_a_new_search_index_is_published_from_a_list_too(
    bucketed: tuple[Instance, str],  # noqa: F811 - the fixture imported above
    s3_server: S3Server,
    tmp_path: Path,
) -> None:
    """A re-index's publication and one whose search delta grew past its limit (Pagefind ran
    over the whole folder) name their files like any other: the index's files, decided
    from the two pagefind/ folders, and the pages; the site is never compared whole."""
    instance, bucket = bucketed
    moderator, group = open_group(instance)
    approved_event(instance, moderator, group, "索引一覧の最初の催し")
    _step(instance, s3_server, bucket)  # full: the whole folder goes up

    # One approval: its pages go into the delta; the re-index then brings a new index.
    approved_event(instance, moderator, group, "索引一覧の二つ目の催し")
    before = len(_build_logs(instance))
    listed = _step(instance, s3_server, bucket)
    assert listed and all(LISTED in text for text in listed), listed
    assert "page(s) in the delta" in listed[0], listed[0]
    reindex = [t for t in _build_logs(instance)[before:] if t.startswith("search re-index")]
    assert reindex and LISTED in reindex[0] and COMPARED not in reindex[0], reindex
    assert _search_files(reindex[0]) > 0

    # The delta's limit lowered to two pages (the workers _step starts read it), counted in
    # each language: one approval's pages (the event's and its group's, two in each
    # language, four in all) stay within it...
    instance.env["HIROBA_SEARCH_DELTA_MAX_PAGES"] = "2"
    approved_event(instance, moderator, group, "索引一覧の上限内の催し")
    within = _step(instance, s3_server, bucket)
    assert within and "search: 4 page(s) in the delta" in within[0], within
    # ...two approvals' (three pages in each language) pass it, so a publication runs
    # Pagefind over its whole folder.
    approved_event(instance, moderator, group, "索引一覧の上限を超える催し")
    approved_event(instance, moderator, group, "索引一覧の上限を超える二つ目の催し")
    past = [t for t in _step(instance, s3_server, bucket) if "Pagefind over all pages" in t]
    assert past, "no publication ran Pagefind"
    assert LISTED in past[0] and COMPARED not in past[0], past[0]
    assert _search_files(past[0]) > 0
    # What the bucket serves is searchable: Pagefind's entry and every fragment it names.
    objects = _bucket_tree(s3_server, bucket)
    assert "pagefind/pagefind-entry.json" in objects
    assert objects["search/delta.json"].startswith(b'{"items":[]')

    full = tmp_path / "full-build"
    build_site(instance.settings, full)
    assert differences(objects, site_tree(full)) == []


def _search_files(log: str) -> int:
    """Return how many search files a build log says its publication had to compare."""
    found = re.search(r"; (\d+) search file\(s\) to compare", log)
    assert found, log
    return int(found.group(1))
