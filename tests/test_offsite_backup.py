"""Off-site backups: `hiroba backup --to s3://…`, the scheduled backup's copy to
`[backup] offsite` pruned by the same rules, restore from the bucket, and the failures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import Instance, RedisServer, open_instance
from language_support import said
from personal_data import failed, hiroba, ok, plaintext_in, seed
from s3_support import S3Server
from sqlalchemy import select

from intake.deployment import load_deployment
from intake.errors import ConfigError
from intake.models import AuditEntry
from intake.protection import audit
from intake.protection.backup_schedule import OUTCOME_FILE, PREFIX


@pytest.fixture
def bucket_instance(
    tmp_path: Path, database_url: str, redis_server: RedisServer, s3_server: S3Server
) -> Iterator[Instance]:
    made = open_instance(tmp_path, database_url, redis_server, extra=s3_server.env())
    yield made
    made.rt.close()


def scheduled_name(when: datetime) -> str:
    return f"{PREFIX}{when.astimezone(UTC):%Y%m%dT%H%M%S%f}Z.backup"


def test_backup_to_a_bucket_and_restore_from_it(
    bucket_instance: Instance, s3_server: S3Server
) -> None:
    inst = bucket_instance
    seed(inst)
    bucket = s3_server.new_bucket()
    made = ok(hiroba(inst.env, "backup", "--to", f"s3://{bucket}/manual"))
    url = made.stdout.strip().rsplit(": ", 1)[1]
    assert url.startswith(f"s3://{bucket}/manual/hiroba-") and url.endswith(".backup")
    key = url.removeprefix(f"s3://{bucket}/")
    [stored] = s3_server.objects(bucket).items()
    assert stored[0] == key and len(stored[1]) > 1000
    assert not plaintext_in(stored[1])  # the archive is sealed before it leaves the host
    head = s3_server.client().head_object(Bucket=bucket, Key=key)
    assert head["ServerSideEncryption"] == "AES256"
    assert not [p for p in inst.settings.home.iterdir() if p.name.startswith(".backup-")]

    restored = ok(hiroba(inst.env, "restore", "--force", url))
    assert "accounts 3" in restored.stdout
    assert not [p for p in inst.settings.home.iterdir() if p.name.startswith(".restore-")]

    missing = failed(hiroba(inst.env, "restore", "--force", f"s3://{bucket}/manual/nope.backup"))
    assert (
        missing.count("\n") == 1
        and "を取得できませんでした（" in missing
        and "nope.backup" in missing
    )
    to_folder = failed(hiroba(inst.env, "backup", "--to", "file:///tmp/x"), code=2)
    assert "s3://bucket/prefix" in to_folder


def test_the_scheduled_backup_goes_off_site_and_is_pruned_there(
    bucket_instance: Instance, s3_server: S3Server, tmp_path: Path
) -> None:
    inst = bucket_instance
    seed(inst)
    bucket = s3_server.new_bucket()
    folder = tmp_path / "local"
    config = (
        f'[backup]\nfolder = "{folder}"\nkeep_daily = 2\nkeep_weekly = 1\n'
        f'offsite = "s3://{bucket}/daily"\n'
    )
    (inst.settings.home / "hiroba.toml").write_text(config)
    s3 = s3_server.client()
    now = datetime.now(UTC)
    old = [f"daily/{scheduled_name(now - timedelta(days=n))}" for n in (1, 2, 3, 9, 30)]
    others = ["daily/hiroba-before-upgrade.backup", "elsewhere/" + scheduled_name(now)]
    for key in old + others:
        s3.put_object(Bucket=bucket, Key=key, Body=b"an older backup")

    made = ok(hiroba(inst.env, "backup", "--scheduled", LANG="en_US.UTF-8"))
    copy = made.stdout.split("off-site copy: ", 1)[1].split(";", 1)[0]
    assert "pruned 4 there" in made.stdout
    local = json.loads((folder / OUTCOME_FILE).read_text())
    assert local["ok"] is True
    new_key = f"daily/{Path(local['file']).name}"
    assert copy == f"s3://{bucket}/{new_key}"
    objects = s3_server.objects(bucket)
    assert set(objects) == {new_key, old[0], *others}  # the same rules as the local folder
    assert objects[new_key] == Path(local["file"]).read_bytes()
    assert s3.head_object(Bucket=bucket, Key=new_key)["ServerSideEncryption"] == "AES256"

    # A copy that cannot be made fails the run: exit 1, one line, recorded; the local
    # backup is kept and named in the record.
    gone = f"hiroba-test-missing-{bucket[-8:]}"
    (inst.settings.home / "hiroba.toml").write_text(
        config.replace(f"s3://{bucket}/daily", f"s3://{gone}/daily")
    )
    message = failed(hiroba(inst.env, "backup", "--scheduled", LANG="en_US.UTF-8"))
    assert message.count("\n") == 1 and message.startswith("hiroba: scheduled backup failed:")
    assert f"s3://{gone}/daily/" in message
    record = json.loads((folder / OUTCOME_FILE).read_text())
    assert record["ok"] is False and record["error"].startswith("OffsiteError:")
    assert Path(record["file"]).exists() and Path(record["file"]).parent == folder


def test_the_offsite_setting_is_checked(tmp_path: Path) -> None:
    for bad in ('"file:///srv/backups"', '"s3://"', "7", '"https://bucket/x"'):
        (tmp_path / "hiroba.toml").write_text(f"[backup]\noffsite = {bad}\n")
        with pytest.raises(ConfigError, match="backup.offsite はバケットの URL") as caught:
            load_deployment(tmp_path)
        assert "backup.offsite must be a bucket URL" in said(caught.value, "en")
    (tmp_path / "hiroba.toml").write_text('[backup]\noffsite = "s3://b/nightly"\n')
    assert load_deployment(tmp_path).backup.offsite == "s3://b/nightly"


def test_a_backup_without_its_database_says_so_in_one_sentence(instance: Instance) -> None:
    unreachable = "postgresql+psycopg://hiroba@127.0.0.1:1/hiroba"
    message = failed(
        hiroba(instance.env, "backup", HIROBA_DATABASE_URL=unreachable, LANG="en_US.UTF-8")
    )
    assert message.count("\n") == 1
    assert message.startswith("hiroba: cannot reach the database postgresql+psycopg://")
    assert message.rstrip().endswith("(OperationalError); no backup was written")


def test_contract_end_erases_the_backups_hiroba_put_off_site_and_nothing_else(
    bucket_instance: Instance, s3_server: S3Server, tmp_path: Path
) -> None:
    inst = bucket_instance
    seed(inst)
    bucket = s3_server.new_bucket()
    (inst.settings.home / "hiroba.toml").write_text(
        f'[backup]\nfolder = "{tmp_path / "local"}"\noffsite = "s3://{bucket}/daily"\n'
    )
    ok(hiroba(inst.env, "backup", "--scheduled"))  # hiroba-scheduled-<stamp>Z.backup
    ok(hiroba(inst.env, "backup", "--to", f"s3://{bucket}/daily"))  # hiroba-<stamp>Z.backup
    ok(hiroba(inst.env, "backup", "--to", f"s3://{bucket}/manual"))  # not the offsite prefix
    ours = set(s3_server.objects(bucket, "daily/"))
    assert len(ours) == 2
    s3 = s3_server.client()
    unrelated = [
        "daily/hiroba-before-upgrade.backup",  # a name a person chose
        "daily/notes.txt",
        "daily/" + scheduled_name(datetime.now(UTC)) + ".txt",
        "daily/older/" + scheduled_name(datetime.now(UTC)),  # below the prefix, not in it
        "dailyish/" + scheduled_name(datetime.now(UTC)),  # a prefix that only starts alike
    ]
    for key in unrelated:
        s3.put_object(Bucket=bucket, Key=key, Body=b"not Hiroba's to delete")
    elsewhere = set(s3_server.objects(bucket, "manual/"))

    result = ok(hiroba(inst.env, "erase-personal-data", "--operator", "消去担当", "--yes"))
    assert "offsite_backups_deleted: 2" in result.stdout
    assert "hiroba backup --to" in result.stdout  # what it still cannot delete
    assert set(s3_server.objects(bucket)) == {*unrelated, *elsewhere}
    report = json.loads(
        Path(result.stdout.split("消去の報告書: ", 1)[1].splitlines()[0])
        .with_suffix(".json")
        .read_text()
    )
    assert report["offsite_backups_deleted"] == 2 and report["backups_deleted"] == 2
    text = Path(result.stdout.split("消去の報告書: ", 1)[1].splitlines()[0]).read_text()
    assert "[backup] offsite から削除したバックアップ（-1: 接続できず）: 2" in text
    assert "鍵の控え" in text and "hiroba backup --to" in text
    with inst.rt.sessions() as db:
        [entry] = db.scalars(
            select(AuditEntry).where(AuditEntry.action == "erase_offsite_backups")
        ).all()
        assert entry.count == 2 and f"s3://{bucket}/daily/" in entry.detail
        assert audit.verify(db).ok

    # A bucket that does not answer: the rest is erased, the command says so and fails.
    (inst.settings.home / "hiroba.toml").write_text(
        f'[backup]\noffsite = "s3://hiroba-test-missing-{bucket[-8:]}/daily"\n'
    )
    again = hiroba(inst.env, "erase-personal-data", "--operator", "消去担当", "--yes")
    message = failed(again)
    assert "offsite_backups_deleted: -1" in again.stdout and "[backup] offsite" in message
