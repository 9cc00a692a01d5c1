"""Backups: consistent, encrypted, restored into a fresh instance; keys archived apart."""

from __future__ import annotations

import os
import shutil
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from actors import open_group
from conftest import PG_ADMIN_URL, Instance, instance_env
from personal_data import PLAINTEXTS, failed, hiroba, ok, opened, plaintext_in, sealed_values, seed
from sqlalchemy import create_engine, select
from uploads_support import post_with_files, private_files

from intake.config import Settings
from intake.crypto import load_vault
from intake.models import Base
from intake.protection.keys import context_of


@pytest.fixture
def fresh_env(instance: Instance, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of a second, empty instance with a database of the same kind."""
    if instance.settings.is_sqlite:
        yield instance_env(tmp_path / "fresh", f"sqlite:///{tmp_path / 'fresh/instance/h.db'}", "")
        return
    import psycopg

    name = f"hiroba_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    yield instance_env(tmp_path / "fresh", f"{base}/{name}", "")
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def all_rows(database_url: str) -> dict[str, list[tuple]]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return {
                table.name: [
                    tuple(row) for row in conn.execute(select(table).order_by(*table.primary_key))
                ]
                for table in Base.metadata.sorted_tables
            }
    finally:
        engine.dispose()


def test_backup_and_restore_round_trip(instance: Instance, fresh_env: dict[str, str]) -> None:
    seed(instance)
    fresh_env["HIROBA_REDIS_URL"] = instance.env["HIROBA_REDIS_URL"]
    made = ok(hiroba(instance.env, "backup"))
    path = Path(made.stdout.strip().rsplit(": ", 1)[1])
    assert path.parent == instance.settings.home / "backups"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = path.read_bytes()
    assert not plaintext_in(stored)
    assert b"SQLite format 3" not in stored and b"accounts" not in stored
    tokens = sealed_values(instance)
    assert not [t for t in tokens.values() if t.split(":", 1)[1].encode() in stored]

    archive = instance.settings.home.parent / "keys.archive"
    password = {"HIROBA_PASSWORD": "key-archive-passphrase-42"}
    ok(hiroba(instance.env, "backup-keys", "--output", str(archive), **password))
    archived = archive.read_bytes()
    for key_file in instance.settings.keys_dir.iterdir():
        assert key_file.read_bytes().strip() not in archived

    # A new machine: keys from the archive, a fresh database, then the backup.
    assert "では開けません" in failed(
        hiroba(fresh_env, "restore-keys", str(archive), HIROBA_PASSWORD="wrong-passphrase-42")
    )
    ok(hiroba(fresh_env, "restore-keys", str(archive), **password))
    fresh = Settings.from_env(fresh_env)
    for key_file in instance.settings.keys_dir.iterdir():
        copy = fresh.keys_dir / key_file.name
        assert copy.read_bytes() == key_file.read_bytes()
        assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    ok(hiroba(fresh_env, "init"))
    restored = ok(hiroba(fresh_env, "restore", str(path)))
    assert "accounts 3" in restored.stdout
    assert all_rows(fresh.database_url) == all_rows(instance.settings.database_url)
    vault = load_vault(fresh.keys_dir)
    models = {m.__tablename__: m for m in Base.__subclasses__()}
    plain = {
        key: vault.open(token, context_of(models[key[0]], key[1])) for key, token in tokens.items()
    }
    assert plain == opened(instance, tokens)
    assert set(PLAINTEXTS) <= set(plain.values())

    # The restored database has data now: a second restore needs --force.
    message = failed(hiroba(fresh_env, "restore", str(path)))
    assert "--force" in message
    ok(hiroba(fresh_env, "restore", str(path), "--force"))
    assert all_rows(fresh.database_url) == all_rows(instance.settings.database_url)


def test_a_damaged_or_foreign_backup_is_refused(instance: Instance, tmp_path: Path) -> None:
    seed(instance)
    path = tmp_path / "one.backup"
    ok(hiroba(instance.env, "backup", "--output", str(path)))
    data = bytearray(path.read_bytes())
    damaged = tmp_path / "damaged.backup"
    data[-20] ^= 0x01
    damaged.write_bytes(bytes(data))
    assert "では開けません" in failed(hiroba(instance.env, "restore", "--force", str(damaged)))
    truncated = tmp_path / "truncated.backup"
    truncated.write_bytes(path.read_bytes()[:-40])
    assert "は途中で切れています" in failed(
        hiroba(instance.env, "restore", "--force", str(truncated))
    )
    os.chmod(instance.settings.keys_dir / "backup.key", 0o600)
    (instance.settings.keys_dir / "backup.key").write_text(os.urandom(32).hex())
    assert "では開けません" in failed(hiroba(instance.env, "restore", "--force", str(path)))
    assert "は Hiroba のバックアップではありません" in failed(
        hiroba(instance.env, "restore", "--force", str(instance.settings.keys_dir / "index.key"))
    )


def test_key_archive_needs_a_good_password(instance: Instance, tmp_path: Path) -> None:
    result = hiroba(
        instance.env, "backup-keys", "--output", str(tmp_path / "k"), HIROBA_PASSWORD="short"
    )
    assert result.returncode == 2 and "10" in result.stderr
    assert not (tmp_path / "k").exists()


def test_backup_carries_the_uploads_byte_for_byte(instance: Instance, client, tmp_path: Path):  # type: ignore[no-untyped-def]
    open_group(instance)
    post_with_files(instance, client, "バックアップされる催し")
    post_with_files(instance, client, "もう一つの催し")
    files = private_files(instance)
    assert len(files) == 4
    path = tmp_path / "with-uploads.backup"
    made = ok(hiroba(instance.env, "backup", "--output", str(path)))
    assert "添付ファイル 4 個" in made.stdout
    stored = path.read_bytes()
    assert not [name for name in files if name.split("/")[0].encode() in stored]
    assert not [data for data in files.values() if data[100:164] in stored]

    uploads = instance.settings.home / "uploads"
    shutil.rmtree(uploads)
    truncated = tmp_path / "truncated.backup"
    truncated.write_bytes(stored[:-40])
    assert "は途中で切れています" in failed(
        hiroba(instance.env, "restore", "--force", str(truncated))
    )
    assert not uploads.exists()  # a refused backup changes nothing
    restored = ok(hiroba(instance.env, "restore", "--force", str(path)))
    assert "upload files 4" in restored.stdout
    assert private_files(instance) == files
    assert stat.S_IMODE(uploads.stat().st_mode) == 0o700
    for file in uploads.rglob("*"):
        assert stat.S_IMODE(file.stat().st_mode) == (0o700 if file.is_dir() else 0o600)
    assert not [p for p in instance.settings.home.iterdir() if "restore" in p.name]


def test_pg_dump_route_round_trip(
    instance: Instance, fresh_env: dict[str, str], client, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]  # noqa: E501
    seed(instance)
    if instance.settings.is_sqlite:
        message = failed(hiroba(instance.env, "backup", "--pg-dump"))
        assert "pg_dump でバックアップできるのは PostgreSQL だけです" in message
        return
    post_with_files(instance, client, "pg_dump で守られる催し")
    files = private_files(instance)
    (instance.settings.home / "hiroba.toml").write_text("[backup]\nkeep_daily = 5\n")
    path = tmp_path / "pg.backup"
    missing = failed(hiroba(instance.env, "backup", "--pg-dump", "--output", str(path),
                            PATH=str(tmp_path / "no-tools")))  # fmt: skip
    assert "pg_dump がインストールされていません" in missing and missing.count("\n") == 1
    assert not list(tmp_path.glob("*pg.backup*"))
    made = ok(hiroba(instance.env, "backup", "--pg-dump", "--output", str(path)))
    assert "postgresql のバックアップ" in made.stdout and "添付ファイル 2 個" in made.stdout
    stored = path.read_bytes()
    assert b'"format": "pg_dump"' in stored.split(b"\n", 2)[1]
    assert not plaintext_in(stored) and b"PGDMP" not in stored  # sealed, not pg_dump's bytes
    tokens = sealed_values(instance)
    assert not [t for t in tokens.values() if t.split(":", 1)[1].encode() in stored]

    # A new machine: the same keys, `hiroba init`, then the sealed pg_dump archive.
    fresh_env["HIROBA_REDIS_URL"] = instance.env["HIROBA_REDIS_URL"]
    fresh = Settings.from_env(fresh_env)
    shutil.copytree(instance.settings.keys_dir, fresh.keys_dir)
    ok(hiroba(fresh_env, "init"))
    restored = ok(hiroba(fresh_env, "restore", str(path)))
    assert "accounts 3" in restored.stdout and "upload files 2" in restored.stdout
    assert "config file 1" in restored.stdout
    assert (fresh.home / "hiroba.toml").read_text() == "[backup]\nkeep_daily = 5\n"
    assert all_rows(fresh.database_url) == all_rows(instance.settings.database_url)
    assert private_files(Instance(fresh_env, fresh, instance.rt, instance.redis_server)) == files
    vault = load_vault(fresh.keys_dir)
    models = {m.__tablename__: m for m in Base.__subclasses__()}
    plain = {
        key: vault.open(token, context_of(models[key[0]], key[1])) for key, token in tokens.items()
    }
    assert plain == opened(instance, tokens)
    # Sequences came along: the next row gets a fresh id, not one the backup holds.
    ok(hiroba(fresh_env, "create-user", "--role", "moderator", "--login", "after-restore",
              "--name", "復元後", HIROBA_PASSWORD="after-restore-password-1"))  # fmt: skip

    # A second restore needs --force; with it, pg_restore replaces everything again, and a
    # different hiroba.toml on the machine stays, the backup's is set beside it.
    assert "--force" in failed(hiroba(fresh_env, "restore", str(path)))
    (fresh.home / "hiroba.toml").write_text("[backup]\nkeep_daily = 9\n")
    again = ok(hiroba(fresh_env, "restore", "--force", str(path)))
    assert "config file set aside 1" in again.stdout and "from-backup" in again.stderr
    assert (fresh.home / "hiroba.toml").read_text() == "[backup]\nkeep_daily = 9\n"
    assert (fresh.home / "hiroba.toml.from-backup").read_text() == "[backup]\nkeep_daily = 5\n"
    assert all_rows(fresh.database_url) == all_rows(instance.settings.database_url)
