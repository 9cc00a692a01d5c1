"""Keys on every host: two instance folders share one database; a key id the database uses
but a host lacks stops that host's web and worker at start, and `hiroba check` names it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Instance, RedisServer
from hosts_support import second_host
from language_support import said
from personal_data import failed, hiroba, ok, opened, sealed_values, seed

from intake.config import REPO_ROOT
from intake.crypto import DATA_KEYS_FILE
from intake.protection.keys import MissingKeys
from intake.web import create_app


def copy_key_file(a: Instance, b: Instance) -> None:
    """What the operator does: copy data-keys.json from the host that changed it."""
    shutil.copy2(a.settings.keys_dir / DATA_KEYS_FILE, b.settings.keys_dir / DATA_KEYS_FILE)


def worker_start(host: Instance) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "worker", "run", "--burst"],
        env=host.env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO_ROOT,
    )


def keys_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("hiroba check: keys:")]


def test_a_rotation_on_one_host_stops_the_other_until_the_keys_are_copied(
    instance: Instance, tmp_path: Path, database_url: str, redis_server: RedisServer
) -> None:
    a = instance
    b = second_host(a, tmp_path / "b")
    try:
        seed(a)
        create_app(runtime=b.rt)  # the same keys: B starts
        ok(hiroba(a.env, "rotate-keys"))
        assert all(token.startswith("k2:") for token in sealed_values(a).values())

        with pytest.raises(MissingKeys) as refused:
            create_app(runtime=b.rt)
        sentence = str(refused.value)  # Japanese, as the command says it by default
        assert "鍵 k2 で" in sentence and str(b.settings.keys_dir / DATA_KEYS_FILE) in sentence
        assert "鍵のフォルダー" in sentence and "rotate-keys" in sentence
        english = said(refused.value, "en")
        assert "data key(s) k2," in english and "copy the keys folder" in english

        started = worker_start(b)
        assert started.returncode == 2, started.stderr
        assert "Traceback" not in started.stderr
        assert started.stderr.strip() == f"hiroba: {sentence}"

        web = failed(hiroba(b.env, "web", "--port", "1"), code=2)
        assert web.strip() == f"hiroba: {sentence}"

        [line] = keys_lines(hiroba(b.env, "check", LANG="en_US.UTF-8"))
        assert "data key(s) k2," in line
        assert keys_lines(hiroba(a.env, "check", LANG="en_US.UTF-8")) == []

        copy_key_file(a, b)
        create_app(runtime=b.rt)
        b.worker_burst()
        assert keys_lines(hiroba(b.env, "check")) == []
        assert opened(b, sealed_values(b)) == opened(a, sealed_values(a))
    finally:
        b.rt.close()


def test_the_rolling_rotation_keeps_every_host_reading(
    instance: Instance, tmp_path: Path, database_url: str, redis_server: RedisServer
) -> None:
    a = instance
    b = second_host(a, tmp_path / "b")
    try:
        seed(a)
        plain = opened(a, sealed_values(a))
        prepared = ok(hiroba(a.env, "rotate-keys", "--prepare"))
        assert "データ鍵 k2 を追加しました（まだ使われません）" in prepared.stdout
        assert "--activate k2" in prepared.stdout
        assert all(token.startswith("k1:") for token in sealed_values(a).values())
        copy_key_file(a, b)  # step 1: the new key on every host, not yet used

        done = ok(hiroba(a.env, "rotate-keys", "--activate", "k2"))
        assert "有効なデータ鍵: k2" in done.stdout
        after = sealed_values(a)
        assert all(token.startswith("k2:") for token in after.values())
        # B, still running with its copy (k2 present, k1 active), reads every value at once
        # and would start again.
        assert opened(b, after) == plain
        create_app(runtime=b.rt)
        assert b.rt.vault.seal("x", "persons.name").startswith("k1:")  # type: ignore[union-attr]

        copy_key_file(a, b)  # step 2: k2 active on every host
        assert b.rt.vault.seal("x", "persons.name").startswith("k2:")  # type: ignore[union-attr]
        ok(hiroba(a.env, "rotate-keys", "--resume"))
        ok(hiroba(a.env, "rotate-keys", "--retire", "k1"))
        copy_key_file(a, b)
        assert opened(b, sealed_values(b)) == plain
        create_app(runtime=b.rt)
        refused = failed(hiroba(a.env, "rotate-keys", "--activate", "k9"))
        assert "データ鍵「k9」はありません" in refused
    finally:
        b.rt.close()
