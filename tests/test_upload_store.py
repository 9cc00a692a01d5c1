"""The upload store on this host's folder and on a bucket: a publication that cannot read a
kept file fails loudly and is published once the file is back; `hiroba check` names the
store; a bucket instance's uploads survive a backup and restore (real worker, real moto
S3 server, real Pelican builds)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from actors import EVENT, MODERATOR, make_moderator, open_group, sign_in, sign_out
from conftest import Instance, csrf_token
from moderation_support import live_page
from personal_data import failed, hiroba, ok
from sqlalchemy import select
from uploads_support import (
    BACKENDS,
    backend_instance,
    encryption_of,
    post_with_files,
    private_files,
    publish_post_with_files,
    put_private,
    remove_private,
)

from intake.installation.checkup import Finding, check_uploads
from intake.jobs import PUBLISH_POST
from intake.mail import translations
from intake.models import Task, Upload
from intake.watching.checks import jobs_problem

TITLE = "チラシが見つからない催し"


@pytest.fixture(params=BACKENDS)
def instance(  # type: ignore[no-untyped-def]
    request, tmp_path: Path, database_url: str, redis_server, monkeypatch
) -> Iterator[Instance]:
    yield from backend_instance(request, tmp_path, database_url, redis_server, monkeypatch)


def _approve(client: Any, post_id: int) -> None:
    sign_in(client, *MODERATOR)
    page = client.get(f"/app/moderation/posts/{post_id}").get_data(as_text=True)
    data = {**EVENT, "title": TITLE, "action": "approve_edited", "reason": "",
            "csrf_token": csrf_token(page)}  # fmt: skip
    response = client.post(f"/app/moderation/posts/{post_id}", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    sign_out(client)


def test_a_missing_file_fails_the_publication_loudly_until_it_is_back(
    instance: Instance, client: Any
) -> None:
    open_group(instance)
    make_moderator(instance)
    post_id = post_with_files(instance, client, TITLE)
    with instance.rt.sessions() as db:
        pdf = db.scalars(
            select(Upload).where(Upload.post_id == post_id, Upload.kind == "pdf")
        ).one()
    kept = private_files(instance)
    flyer = kept[f"{pdf.token}/flyer.pdf"]
    remove_private(instance, pdf.token, "flyer.pdf")  # lost, or on another host's disk
    _approve(client, post_id)

    # The worker (which reads its environment) holds a failed task's lease for 1 s, not the
    # suite's 2 s, before the next of its five attempts: the same tries, sooner.
    instance.env["HIROBA_TASK_LEASE_SECONDS"] = "1"
    instance.worker_burst()  # tries until the task is given up
    assert not live_page(instance, post_id).exists()
    assert not (instance.settings.content_dir / "posts" / f"{post_id}.md").exists()
    assert not (instance.settings.content_dir / "media" / str(post_id)).exists()
    with instance.rt.sessions() as db:
        task = db.scalars(
            select(Task).where(Task.name == PUBLISH_POST, Task.subject_id == post_id)
        ).one()
        assert {u.state for u in db.scalars(select(Upload).where(Upload.post_id == post_id))} == {
            "pending"
        }
    assert task.state == "failed"
    assert task.last_error.startswith(f"UploadFileMissing: upload file {pdf.token}/flyer.pdf")
    assert "hiroba retry-failed" in task.last_error
    problem = jobs_problem(instance.rt)  # what `hiroba watch` mails
    assert problem is not None and "試行を打ち切ったタスク 1 件" in problem
    sign_in(client, *MODERATOR)
    panel = client.get("/app/moderation/status").get_data(as_text=True)
    assert "処理できなかった作業が 1 件あります" in panel
    sign_out(client)

    put_private(instance, pdf.token, "flyer.pdf", flyer)  # restored from a backup
    retried = ok(hiroba(instance.env, "retry-failed")).stdout
    assert retried.startswith("失敗したタスク 1 件をやり直しに")
    instance.worker_burst()
    assert live_page(instance, post_id).is_file()
    media = instance.settings.live_dir.resolve() / "media" / str(post_id)
    assert (media / f"{pdf.token}.pdf").read_bytes() == flyer
    with instance.rt.sessions() as db:
        assert db.get(Task, task.id).state == "done"
    assert jobs_problem(instance.rt) is None


def english(finding: Finding) -> str:
    """Return a finding's line as `hiroba check` prints it with LANG=en."""
    return finding.line(translations("en").gettext)


def test_check_names_where_uploads_are_kept(instance: Instance, client: Any) -> None:
    location = instance.settings.uploads_location
    [finding] = list(check_uploads(instance.settings))
    assert finding.ok, finding
    if location.is_s3:
        assert english(finding) == (
            f"uploads: bucket s3://{location.bucket}/uploads/, writable, encrypted (AES256)"
        )
        assert private_files(instance) == {}  # the probe object is gone
        bad = instance.env | {"HIROBA_UPLOADS_URL": "s3://no-such-bucket-here/uploads"}
        found = failed(hiroba(bad, "check", LANG="en_US.UTF-8")).splitlines()
        assert (
            "hiroba check: uploads: cannot write to s3://no-such-bucket-here/uploads/ "
            "(NoSuchBucket)"
        ) in found
        return
    assert english(finding) == f"uploads: folder {location.path} (made at the first upload)"
    open_group(instance)
    post_with_files(instance, client, "フォルダの確認")
    [finding] = list(check_uploads(instance.settings))
    assert finding.ok and english(finding) == f"uploads: folder {location.path}, mode 0700"
    assert location.path is not None
    location.path.chmod(0o755)
    [finding] = list(check_uploads(instance.settings))
    assert not finding.ok
    assert english(finding) == (
        f"uploads: {location.path} is mode 0755, readable by others; chmod 700 it"
    )


@pytest.mark.parametrize("instance", ["s3"], indirect=True)
def test_a_bucket_instances_uploads_round_trip_through_a_backup(
    instance: Instance, client: Any, tmp_path: Path
) -> None:
    open_group(instance)
    post_with_files(instance, client, "バケットの催し")
    post_with_files(instance, client, "もう一つのバケットの催し")
    files = private_files(instance)
    assert len(files) == 4
    assert set(encryption_of(instance).values()) == {"AES256"}
    path = tmp_path / "bucket.backup"
    made = ok(hiroba(instance.env, "backup", "--output", str(path)))
    assert "添付ファイル 4 個" in made.stdout
    stored = path.read_bytes()
    assert not [data for data in files.values() if data[100:164] in stored]  # sealed

    [gone, *_] = sorted(files)
    remove_private(instance, *gone.split("/"))
    put_private(instance, "cd" * 16, "flyer.pdf", b"%PDF-1.7 not in the backup")
    restored = ok(hiroba(instance.env, "restore", "--force", str(path)))
    assert "upload files 4" in restored.stdout
    assert private_files(instance) == files
    assert set(encryption_of(instance).values()) == {"AES256"}
    assert not [p for p in instance.settings.home.iterdir() if "restore" in p.name]


def test_republish_goes_on_past_a_missing_file_and_names_it(
    instance: Instance, client: Any
) -> None:
    """A new machine whose restored uploads lack one file: every other post comes back, the
    command fails naming the post and the file, and the post returns once the file does."""
    open_group(instance)
    make_moderator(instance)
    lost = publish_post_with_files(instance, client, "ファイルをなくした催し")
    kept = publish_post_with_files(instance, client, "ファイルのそろった催し")
    with instance.rt.sessions() as db:
        pdf = db.scalars(select(Upload).where(Upload.post_id == lost, Upload.kind == "pdf")).one()
    flyer = private_files(instance)[f"{pdf.token}/flyer.pdf"]
    remove_private(instance, pdf.token, "flyer.pdf")
    shutil.rmtree(instance.settings.content_dir)  # content/ is not in a backup: made again

    said = failed(hiroba(instance.env, "republish"))
    assert f"post {lost}: upload file {pdf.token}/flyer.pdf is missing" in said
    assert f"post {kept}:" not in said
    assert live_page(instance, kept).is_file()
    assert not live_page(instance, lost).exists()

    put_private(instance, pdf.token, "flyer.pdf", flyer)  # found in an off-site backup
    ok(hiroba(instance.env, "republish"))
    assert live_page(instance, lost).is_file()
    media = instance.settings.live_dir.resolve() / "media" / str(lost)
    assert (media / f"{pdf.token}.pdf").read_bytes() == flyer
