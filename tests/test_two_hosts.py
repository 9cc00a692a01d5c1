"""Two hosts, one system: two instance folders sharing one PostgreSQL database, one Redis
(the same HIROBA_REDIS_PREFIX), one private uploads bucket and one site bucket
(HIROBA_PUBLISH_URL=s3://…), each with its own web app (its test client) and its own
long-running worker (a real rq worker, its reconciler and search worker).

Approvals made through both hosts all reach the bucket (a post with an image and a PDF
sent through host A among them); a worker killed in the middle of a build on host A is
finished by host B; a takedown made through host B is gone from the bucket within
seconds. The bucket holds the newest build byte for byte, which equals a full build;
each host's own folder (its cache) equals one once it has built the newest revision.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from accounts_support import client_for
from actors import EVENT, MODERATOR, decide, make_moderator, open_group, sign_in
from conftest import Instance, RedisServer, csrf_token, open_instance
from hosts_support import content_posts, differences, same_as_full_build, second_host
from lifecycle_support import wait_until
from s3_support import S3Server
from sqlalchemy import func, select
from uploads_support import post_with_files

from intake.models import Build, Post, SiteState, Task, TaskState
from intake.posts.models import PostStatus
from intake.posts.services import PostData, submit_post
from intake.site.models import BuildStatus
from intake.store import transaction
from worker.build.revisions import request_rebuild
from worker.build.search import behind

pytestmark = pytest.mark.slow

REASON = "二台構成の検査のため非公開にします。"
KINDS = ("notices", "events")


def _submit(host: Instance, group: int, title: str) -> int:
    return submit_post(
        host.rt,
        group,
        PostData(
            kind="notice",
            title=title,
            summary=f"{title}の概要です。",
            body="二台構成の検査のための架空のお知らせです。",
            topic="environment",
            area="ochiai-1",
        ),
    )


def _pending(host: Instance, ids: list[int]) -> bool:
    with host.rt.sessions() as db:
        statuses = db.scalars(select(Post.status).where(Post.id.in_(ids))).all()
    return len(statuses) == len(ids) and set(statuses) == {PostStatus.PENDING}


def _published(host: Instance) -> Path | None:
    """Return the folder of the newest successful build, on whichever host made it."""
    with host.rt.sessions() as db:
        folder = db.scalar(
            select(Build.output_dir)
            .where(Build.status == BuildStatus.OK)
            .order_by(Build.id.desc())
            .limit(1)
        )
    return Path(folder) if folder else None


def _builder(hosts: list[Instance], folder: Path) -> Instance:
    """Return the host whose live site is the given build folder."""
    [host] = [h for h in hosts if h.settings.live_dir.resolve() == folder]
    return host


def _settled(host: Instance) -> bool:
    """Nothing owed: no task pending, the newest revision built, its search index whole."""
    with host.rt.sessions() as db:
        owed = db.scalar(
            select(func.count()).select_from(Task).where(Task.state == TaskState.PENDING)
        )
        running = db.scalar(
            select(func.count()).select_from(Build).where(Build.status == BuildStatus.RUNNING)
        )
        state = db.get(SiteState, 1)
        built = state is not None and state.built_rev == state.requested_rev
    folder = _published(host)
    return not owed and not running and built and folder is not None and not behind(folder)[0]


def _bucket(s3_server: S3Server, bucket: str) -> dict[str, bytes]:
    """Return {path: bytes} of the published site in the bucket."""
    objects = s3_server.objects(bucket, "site/")
    site = {key.removeprefix("site/"): data for key, data in objects.items()}
    site.pop("banner.css", None)  # the banner's stylesheet, not a build's (test_banner.py)
    return site


def _keys(s3_server: S3Server, bucket: str) -> set[str]:
    """Return the paths of the published site in the bucket (listed only: a publication may
    delete an object between a listing and a read)."""
    pages = (
        s3_server.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="site/")
    )
    return {
        item["Key"].removeprefix("site/") for page in pages for item in page.get("Contents", ())
    }


def _in_bucket(objects: dict[str, bytes] | set[str], post_id: int) -> bool:
    return any(f"{kind}/{post_id}/index.html" in objects for kind in KINDS)


def _on_site(folder: Path, post_id: int) -> bool:
    return any((folder / kind / str(post_id) / "index.html").is_file() for kind in KINDS)


def _building(host: Instance) -> bool:
    with host.rt.sessions() as db:
        return bool(db.scalar(select(Build.id).where(Build.status == BuildStatus.RUNNING)))


def _approve_as_sent(client, post_id: int, title: str) -> None:  # type: ignore[no-untyped-def]
    """Approve a post through the review form, its fields as the group sent them."""
    page = client.get(f"/app/moderation/posts/{post_id}").get_data(as_text=True)
    data = {**EVENT, "title": title, "action": "approve_edited", "reason": "",
            "csrf_token": csrf_token(page)}  # fmt: skip
    response = client.post(f"/app/moderation/posts/{post_id}", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]


def _take_down(client, post_id: int) -> None:  # type: ignore[no-untyped-def]
    page = client.get(f"/app/moderation/live/{post_id}")
    assert page.status_code == 200
    response = client.post(
        f"/app/moderation/live/{post_id}/takedown",
        data={"reason": REASON, "csrf_token": csrf_token(page.get_data(as_text=True))},
    )
    assert response.status_code == 302


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_hosts_publish_as_one_site(
    database_url: str,
    redis_server: RedisServer,
    s3_server: S3Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    site_bucket = s3_server.new_bucket()
    uploads = {
        **s3_server.env(),
        "HIROBA_UPLOADS_URL": f"s3://{s3_server.new_bucket()}/uploads",
        "HIROBA_PUBLISH_URL": f"s3://{site_bucket}/site",
    }
    for key, value in s3_server.env().items():  # the in-process web apps' client reads them
        monkeypatch.setenv(key, value)
    host_a = open_instance(tmp_path / "host-a", database_url, redis_server, extra=uploads)
    host_b = second_host(host_a, tmp_path / "host-b")
    hosts = [host_a, host_b]
    workers: dict[str, subprocess.Popen[str]] = {}
    try:
        _moderator, group = open_group(host_a)
        make_moderator(host_a)
        web_a, web_b = client_for(host_a), client_for(host_b)
        # A group sends an image and a PDF through host A (kept in the uploads bucket).
        flyer = post_with_files(host_a, client_for(host_a), "二台構成のチラシ付きの催し")
        sign_in(web_a, *MODERATOR)
        sign_in(web_b, *MODERATOR)  # the same keys: host B reads what host A stored

        # Approvals through both hosts' web apps, both workers running.
        first = [_submit(host_a, group, f"二台構成のお知らせ{n}") for n in range(4)]
        workers = {"a": host_a.start_worker(), "b": host_b.start_worker()}
        wait_until(lambda: _pending(host_a, [*first, flyer]), 120, "the posts before review")
        for n, post_id in enumerate(first):
            decide(web_a if n % 2 else web_b, f"/app/moderation/posts/{post_id}")
        _approve_as_sent(web_b, flyer, "二台構成のチラシ付きの催し")
        wait_until(lambda: _settled(host_a), 240, "both hosts' workers publish every approval")
        site = _published(host_a)
        assert site is not None
        assert all(_on_site(site, post_id) for post_id in [*first, flyer])
        assert len(list((site / "media" / str(flyer)).iterdir())) >= 2  # the image, the PDF
        objects = _bucket(s3_server, site_bucket)
        assert all(_in_bucket(objects, post_id) for post_id in [*first, flyer])
        assert any(rel.startswith(f"media/{flyer}/") for rel in objects)

        # Host A's worker is killed in the middle of a build; host B finishes it.
        host_b.kill_group(workers.pop("b"))
        late = _submit(host_a, group, "一台目が公開を始めたお知らせ")
        wait_until(lambda: _pending(host_a, [late]), 120, "the post before the moderators")
        decide(web_b, f"/app/moderation/posts/{late}")
        wait_until(lambda: _building(host_a), 120, "host A to start the build")
        host_a.kill_group(workers.pop("a"))  # the work-horse is frozen, then killed, mid-build
        assert _building(host_a), "the build was still running when host A's worker died"
        workers["b"] = host_b.start_worker()
        wait_until(lambda: _settled(host_b), 240, "host B to finish the publication")
        site = _published(host_b)
        assert site is not None and _builder(hosts, site) is host_b
        assert _on_site(site, late)
        assert _in_bucket(_keys(s3_server, site_bucket), late)
        with host_b.rt.sessions() as db:
            killed = db.scalars(select(Build).where(Build.status == BuildStatus.INTERRUPTED))
            assert killed.all(), "the killed build is recorded as interrupted"

        # A takedown through host B, both workers running again: gone within seconds.
        workers["a"] = host_a.start_worker()
        gone = first[0]
        _take_down(web_b, gone)
        wait_until(
            lambda: not _in_bucket(_keys(s3_server, site_bucket), gone),
            60,
            "the taken-down post leaves the bucket",
        )
        wait_until(lambda: _settled(host_a), 240, "everything owed is done")
        for worker in workers.values():
            Instance.kill_group(worker)
        workers = {}

        # The newest build equals a full build; the other host, asked to build once more,
        # catches up incrementally from its older build and equals one too.
        site = _published(host_a)
        assert site is not None
        builder = _builder(hosts, site)
        other = host_a if builder is host_b else host_b
        live = same_as_full_build(builder, tmp_path / "full-builder")
        assert _bucket(s3_server, site_bucket) == live  # byte for byte: what was built
        with transaction(other.rt.sessions) as session:
            request_rebuild(session)
        other.worker_burst()
        caught_up = same_as_full_build(other, tmp_path / "full-other")
        assert differences(caught_up, live) == []
        assert _bucket(s3_server, site_bucket) == caught_up  # the bucket: the newest build
        assert content_posts(builder.settings) == content_posts(other.settings)
        expected = {f"notices/{n}/index.html" for n in [*first[1:], late]}
        assert expected <= set(live) and f"notices/{gone}/index.html" not in live
        assert f"events/{flyer}/index.html" in live
        assert any(rel.startswith(f"media/{flyer}/") for rel in live)
    finally:
        for worker in workers.values():
            Instance.kill_group(worker)
        host_b.rt.close()
        host_a.rt.close()
