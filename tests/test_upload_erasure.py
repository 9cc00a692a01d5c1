"""Private flyers and images outlive no post: withdrawal, rejection, account withdrawal,
contract end and the hourly sweep erase their folders and rows (real app, real worker)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from actors import MODERATOR, make_moderator, open_group, sign_in, sign_out, submit
from moderation_support import review
from personal_data import hiroba, ok
from sqlalchemy import select
from uploads_support import (
    BACKENDS,
    GROUP,
    backend_instance,
    post_with_files,
    private_files,
    private_folders,
    put_private,
    upload_rows,
    uploads_folder,
)

from intake.models import Post
from intake.moderation import decisions as post_decisions
from intake.uploads.erasure import sweep_orphans

REASON = "チラシに個人の携帯電話番号が載っています。"


@pytest.fixture(params=BACKENDS)
def instance(request, tmp_path, database_url, redis_server, monkeypatch):  # type: ignore[no-untyped-def]
    """Each test runs with the uploads in this host's folder and in a bucket."""
    yield from backend_instance(request, tmp_path, database_url, redis_server, monkeypatch)


def _status(instance, post_id: int) -> str:  # type: ignore[no-untyped-def]
    with instance.rt.sessions() as db:
        return str(db.scalar(select(Post.status).where(Post.id == post_id)))


def test_withdrawing_or_rejecting_an_unpublished_post_erases_its_files(instance, client):
    open_group(instance)
    make_moderator(instance)
    withdrawn = post_with_files(instance, client, "取り下げる催し")
    rejected = post_with_files(instance, client, "却下される催し")
    kept = post_with_files(instance, client, "審査を待つ催し")
    rows = upload_rows(instance)
    assert len(private_folders(instance)) == 6 and all(len(rows[p]) == 2 for p in rows)

    sign_in(client, *GROUP)
    response = submit(client, f"/app/posts/{withdrawn}/withdraw", {"confirm": "y"})
    assert response.status_code == 302
    sign_out(client)
    assert withdrawn not in upload_rows(instance)
    assert private_folders(instance) == rows[rejected] | rows[kept]

    sign_in(client, *MODERATOR)
    response = review(client, f"/app/moderation/posts/{rejected}", action="reject", reason=REASON)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    sign_out(client)
    assert _status(instance, rejected) == "rejected"
    assert rejected not in upload_rows(instance)
    assert private_folders(instance) == rows[kept]

    instance.worker_burst()  # the publish job of the withdrawn post finds nothing left
    assert upload_rows(instance) == {kept: rows[kept]}
    assert private_folders(instance) == rows[kept]


def test_account_withdrawal_erases_the_files_of_every_post_leaving_with_it(instance, client):
    moderator, _ = open_group(instance)
    live = post_with_files(instance, client, "公開中の催し")
    waiting = post_with_files(instance, client, "審査待ちの催し")
    rejected = post_with_files(instance, client, "差し戻された催し")
    post_decisions.approve(instance.rt, moderator, post_decisions.Subject("post", live))
    post_decisions.reject(instance.rt, moderator, post_decisions.Subject("post", rejected), REASON)
    instance.worker_burst()
    media = instance.settings.content_dir / "media" / str(live)
    assert media.is_dir() and set(upload_rows(instance)) == {live, waiting}

    sign_in(client, *GROUP)
    response = submit(client, "/app/account/withdraw", {"password": GROUP[1], "confirm": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert upload_rows(instance) == {}
    assert private_folders(instance) == set()
    instance.worker_burst()
    assert not media.exists()
    assert not (instance.settings.live_dir.resolve() / "media" / str(live)).exists()


def test_contract_end_erases_the_files_of_posts_not_on_the_site(instance, client):
    moderator, _ = open_group(instance)
    live = post_with_files(instance, client, "公開中の催し")
    waiting = post_with_files(instance, client, "審査待ちの催し")
    post_decisions.approve(instance.rt, moderator, post_decisions.Subject("post", live))
    instance.worker_burst()
    rows = upload_rows(instance)
    put_private(instance, "ab" * 16, "flyer.pdf", b"%PDF-1.7 left behind")  # a crash's stray

    result = ok(hiroba(instance.env, "erase-personal-data", "--operator", "消去担当", "--yes"))
    assert upload_rows(instance) == {live: rows[live]}  # public already, the site needs them
    assert private_folders(instance) == rows[live]
    assert waiting not in upload_rows(instance)
    text_path = Path(result.stdout.split("消去の報告書: ", 1)[1].splitlines()[0])
    report = json.loads(text_path.with_suffix(".json").read_text(encoding="utf-8"))
    assert report["uploads_erased"] == 3
    assert "削除した非公開の添付ファイル（チラシ・画像）: 3" in text_path.read_text(
        encoding="utf-8"
    )


def test_the_retention_job_sweeps_folders_left_without_a_row(instance, client, worker_env):
    open_group(instance)
    post_id = post_with_files(instance, client, "残る催し")
    old, young = "0a" * 16, "0b" * 16
    for token in (old, young):
        put_private(instance, token, "480.webp", b"RIFF....WEBP")
    kept = upload_rows(instance)[post_id]
    from worker.jobs.protection import purge_expired

    if instance.settings.uploads_location.is_s3:
        # A bucket's objects cannot be made older: the hourly job leaves them all (younger
        # than the grace), and a sweep without grace, as at contract end, takes the strays.
        purge_expired()
        assert private_folders(instance) == kept | {old, young}
        with instance.rt.sessions() as db:
            assert sweep_orphans(instance.settings, db, grace_seconds=0) == 2
        assert private_folders(instance) == kept
        assert all(name.split("/")[0] in kept for name in private_files(instance))
        return
    root = uploads_folder(instance)
    two_hours_ago = time.time() - 7200
    os.utime(root / old, (two_hours_ago, two_hours_ago))
    for token in kept:
        os.utime(root / token, (two_hours_ago, two_hours_ago))

    purge_expired()
    assert private_folders(instance) == kept | {young}
