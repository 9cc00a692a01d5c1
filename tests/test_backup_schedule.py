"""Scheduled backups: `[backup]` in hiroba.toml, pruning by day and ISO week (Japan time)
on real files, and `hiroba backup --scheduled` with its record of the last outcome."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import Instance
from language_support import said
from personal_data import failed, hiroba, ok, seed

from intake.config import Settings
from intake.deployment import load_deployment
from intake.errors import ConfigError
from intake.protection.backup_schedule import (
    OUTCOME_FILE,
    PREFIX,
    last_outcome,
    prune,
    scheduled_time,
)


def scheduled_file(folder: Path, when: datetime) -> Path:
    """Make a scheduled backup's file named for when (UTC), with some bytes in it."""
    path = folder / f"{PREFIX}{when.strftime('%Y%m%dT%H%M%S%f')}Z.backup"
    path.write_bytes(os.urandom(64))
    return path


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_the_backup_section_is_read_and_checked(tmp_path: Path) -> None:
    assert load_deployment(tmp_path).backup.keep_daily == 7
    assert load_deployment(tmp_path).backup.keep_weekly == 4
    assert load_deployment(tmp_path).backup.folder is None
    (tmp_path / "hiroba.toml").write_text(
        '[backup]\nfolder = "safe/daily"\nkeep_daily = 2\nkeep_weekly = 0\npg_dump = true\n'
    )
    policy = load_deployment(tmp_path).backup
    assert (policy.folder, policy.keep_daily, policy.keep_weekly, policy.pg_dump) == (
        tmp_path.resolve() / "safe" / "daily", 2, 0, True,
    )  # fmt: skip
    assert Settings.from_env({"HIROBA_HOME": str(tmp_path)}).deployment.backup == policy
    for line, words in (
        ("keep_daily = 0", "backup.keep_daily must be a whole number, 1 to 3650"),
        ("keep_daily = true", "backup.keep_daily must be a whole number"),
        ("keep_weekly = -1", "backup.keep_weekly must be a whole number, 0 to 520"),
        ('keep_weekly = "4"', "backup.keep_weekly must be a whole number"),
        ('folder = ""', "backup.folder must be a folder path"),
        ('pg_dump = "yes"', "backup.pg_dump must be true or false"),
        ("keep_monthly = 3", "backup.keep_monthly is not a known key"),
    ):
        (tmp_path / "hiroba.toml").write_text(f"[backup]\n{line}\n")
        with pytest.raises(ConfigError, match=rf"{words.split()[0]} (は|の)") as caught:
            load_deployment(tmp_path)  # Japanese; English as the command says it with LANG=en
        assert words in said(caught.value, "en")


def test_pruning_keeps_the_newest_of_each_day_and_week(tmp_path: Path) -> None:
    # Japan time decides the day: 2026-11-30 15:30 UTC is 2026-12-01 00:30 JST (a Tuesday).
    times = {
        "dec06-late": "2026-12-06T14:00:00",  # 23:00 JST Sunday 12-06, week 49
        "dec06-early": "2026-12-06T01:00:00",
        "dec05": "2026-12-05T03:00:00",
        "dec04": "2026-12-04T03:00:00",
        "dec01-jst": "2026-11-30T15:30:00",  # Tuesday 12-01 JST, week 49
        "nov29": "2026-11-29T03:00:00",  # Sunday, week 48
        "nov28": "2026-11-28T03:00:00",  # Saturday, week 48
        "nov20": "2026-11-20T03:00:00",  # week 47
        "nov10": "2026-11-10T03:00:00",  # week 46
    }
    files = {name: scheduled_file(tmp_path, utc(when)) for name, when in times.items()}
    manual = tmp_path / "hiroba-20261101T000000000000Z.backup"  # `hiroba backup`: never pruned
    manual.write_bytes(b"by hand")
    other = tmp_path / "notes.txt"
    other.write_text("not a backup")
    assert scheduled_time(files["dec01-jst"]) == utc(times["dec01-jst"])
    assert scheduled_time(manual) is None

    removed = prune(tmp_path, keep_daily=3, keep_weekly=3)
    kept = {name for name, path in files.items() if path.exists()}
    # Days: 12-06 (newest of it), 12-05, 12-04. Weeks: 49 (12-06), 48 (11-29), 47 (11-20).
    assert kept == {"dec06-late", "dec05", "dec04", "nov29", "nov20"}
    assert sorted(removed) == sorted(files[n] for n in set(files) - kept)
    assert manual.exists() and other.exists()

    # Running again removes nothing more; a smaller policy removes more.
    assert prune(tmp_path, keep_daily=3, keep_weekly=3) == []
    prune(tmp_path, keep_daily=1, keep_weekly=0)
    assert [p.name for p in tmp_path.glob(f"{PREFIX}*")] == [files["dec06-late"].name]


def test_a_day_boundary_in_japan_time(tmp_path: Path) -> None:
    before = scheduled_file(tmp_path, utc("2026-12-01T14:59:59"))  # 23:59:59 JST 12-01
    after = scheduled_file(tmp_path, utc("2026-12-01T15:00:01"))  # 00:00:01 JST 12-02
    same_day = scheduled_file(tmp_path, utc("2026-12-01T03:00:00"))  # 12:00 JST 12-01
    prune(tmp_path, keep_daily=2, keep_weekly=0)
    assert before.exists() and after.exists() and not same_day.exists()


def test_scheduled_backup_prunes_and_records(instance: Instance, tmp_path: Path) -> None:
    seed(instance)
    folder = tmp_path / "offsite"
    config = f'[backup]\nfolder = "{folder}"\nkeep_daily = 2\nkeep_weekly = 1\n'
    (instance.settings.home / "hiroba.toml").write_text(config)
    folder.mkdir()
    now = datetime.now(UTC)
    old = [scheduled_file(folder, now - timedelta(days=n)) for n in (1, 2, 3, 9, 30)]
    manual = ok(hiroba(instance.env, "backup", "--output", str(folder / "before-upgrade.backup")))
    assert "before-upgrade" in manual.stdout

    made = ok(hiroba(instance.env, "backup", "--scheduled", LANG="en_US.UTF-8"))
    path = Path(made.stdout.split(": ", 1)[1].rsplit("; ", 1)[0])
    assert path.parent == folder and path.name.startswith(PREFIX) and path.stat().st_size > 1000
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # Today's new backup and yesterday's stay (2 days); today's is also this week's newest.
    assert "pruned 4" in made.stdout
    assert [p.exists() for p in old] == [True, False, False, False, False]
    assert (folder / "before-upgrade.backup").exists()
    record = json.loads((folder / OUTCOME_FILE).read_text())
    assert record["ok"] is True and record["file"] == str(path) and record["error"] == ""
    assert datetime.fromisoformat(record["at"]) >= now.replace(microsecond=0)
    settings = Settings.from_env(instance.env)
    assert last_outcome(settings) == record

    # The backup restores like any other.
    restored = ok(hiroba(instance.env, "restore", "--force", str(path)))
    assert "accounts 3" in restored.stdout

    # A failure: one clear line, exit 1, recorded; the earlier backups stay.
    key = instance.settings.keys_dir / "backup.key"
    key.unlink()
    message = failed(hiroba(instance.env, "backup", "--scheduled", LANG="en_US.UTF-8"))
    assert message.count("\n") == 1 and message.startswith("hiroba: scheduled backup failed:")
    assert "backup.key" in message
    record = last_outcome(settings)
    assert record is not None and record["ok"] is False and "backup.key" in record["error"]
    assert record["file"] == "" and path.exists() and old[0].exists()
    assert not [p for p in folder.iterdir() if p.name.endswith(".partial")]


def test_scheduled_and_output_do_not_mix(instance: Instance, tmp_path: Path) -> None:
    result = hiroba(instance.env, "backup", "--scheduled", "--output", str(tmp_path / "x"))
    assert result.returncode == 2 and "と一緒には使えません" in result.stderr  # argparse
    assert not (tmp_path / "x").exists()


def test_erasure_deletes_only_our_files_in_a_shared_folder(
    instance: Instance, tmp_path: Path
) -> None:
    seed(instance)
    folder = tmp_path / "shared"
    folder.mkdir()
    (instance.settings.home / "hiroba.toml").write_text(f'[backup]\nfolder = "{folder}"\n')
    (folder / "someone-elses.txt").write_text("not Hiroba's")
    ok(hiroba(instance.env, "backup", "--scheduled"))
    ok(hiroba(instance.env, "backup", "--output", str(folder / "by-hand.backup")))
    assert len(list(folder.glob("*.backup"))) == 2 and (folder / OUTCOME_FILE).exists()
    erased = ok(hiroba(instance.env, "erase-personal-data", "--operator", "訓練", "--yes"))
    assert "消去の報告書" in erased.stdout
    assert sorted(p.name for p in folder.iterdir()) == ["someone-elses.txt"]
