"""Settings: documented defaults, one-sentence refusals of bad values, key files, the README."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from intake.config import REPO_ROOT, SETTINGS, Settings
from intake.crypto import create_keys, load_vault
from intake.errors import ConfigError

HIROBA_SCRIPT = Path(sys.executable).parent / "hiroba"

BAD_VALUES = [
    ("HIROBA_TASK_LEASE_SECONDS", "abc"),
    ("HIROBA_TASK_LEASE_SECONDS", "0"),
    ("HIROBA_TASK_LEASE_SECONDS", "-5"),
    ("HIROBA_KEEP_BUILDS", "2.5"),
    ("HIROBA_DEBUG", "maybe"),
    ("HIROBA_ENV", "staging"),
    ("HIROBA_REDIS_URL", "http://x"),
    ("HIROBA_DATABASE_URL", "nonsense"),
]


def assert_one_sentence(message: str, name: str) -> None:
    """The operator reads one sentence that names the setting, not a Python traceback."""
    assert name in message, message
    assert "\n" not in message, message
    # Japanese (the message id; the `hiroba` command says it in English with LANG=en).
    assert message.endswith(("。", ".")), message
    assert "。" not in message[:-1] and ". " not in message.rstrip("."), message
    assert "Traceback" not in message and "int()" not in message, message


def test_defaults_from_an_empty_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({})
    home = (tmp_path / "instance").resolve()
    assert settings.home == home
    assert settings.home.is_absolute()
    assert settings.database_url == f"sqlite:///{home / 'hiroba.db'}"
    assert settings.is_sqlite
    assert settings.live_dir == home / "site" / "current"
    assert settings.content_dir == home / "content"
    assert settings.keys_dir == home / "keys"
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.queue_name == "hiroba"
    assert settings.environment == "development"
    assert settings.debug is False
    assert settings.task_lease_seconds == 60


def test_defaults_match_the_declared_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every setting is declared once with a default and a one-line help."""
    monkeypatch.chdir(tmp_path)
    names = [s.name for s in SETTINGS]
    assert len(names) == len(set(names)), "a setting is declared twice"
    for setting in SETTINGS:
        assert setting.name.startswith("HIROBA_")
        assert setting.help.strip() and "\n" not in setting.help, setting.name
    explicit = {s.name: s.default for s in SETTINGS if s.default is not None}
    assert Settings.from_env(explicit) == Settings.from_env({})


def test_environment_values_are_read(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "HIROBA_HOME": str(tmp_path / "h"),
            "HIROBA_TASK_LEASE_SECONDS": "7",
            "HIROBA_DEBUG": "yes",
            "HIROBA_SITE_URL": "https://example.jp/",
            "HIROBA_RECONCILE_SECONDS": "600",
        }
    )
    assert settings.home == (tmp_path / "h").resolve()
    assert settings.task_lease_seconds == 7
    assert settings.debug is True
    assert settings.site_url == "https://example.jp"
    assert settings.reconcile_seconds == 60  # capped, as documented


@pytest.mark.parametrize(("name", "value"), BAD_VALUES)
def test_a_bad_value_is_refused_in_one_sentence(name: str, value: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"HIROBA_HOME": str(tmp_path), name: value})
    assert_one_sentence(str(caught.value), name)


def test_production_refuses_debug(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(
            {"HIROBA_HOME": str(tmp_path), "HIROBA_ENV": "production", "HIROBA_DEBUG": "1"}
        )
    assert_one_sentence(str(caught.value), "HIROBA_DEBUG")
    production = Settings.from_env({"HIROBA_HOME": str(tmp_path), "HIROBA_ENV": "production"})
    assert production.debug is False


def test_secret_key_without_init_names_the_command(tmp_path: Path) -> None:
    settings = Settings.from_env({"HIROBA_HOME": str(tmp_path / "never-initialised")})
    with pytest.raises(ConfigError, match="hiroba init"):
        settings.secret_key()


def test_secret_key_after_create_keys(tmp_path: Path) -> None:
    settings = Settings.from_env({"HIROBA_HOME": str(tmp_path)})
    create_keys(settings.keys_dir)
    key = settings.secret_key()
    assert len(key) >= 32
    assert key == settings.secret_key()


def read_every_key(settings: Settings) -> None:
    settings.secret_key()
    load_vault(settings.keys_dir)


@pytest.mark.parametrize("name", ["secret.key", "data-keys.json", "index.key"])
def test_a_key_file_readable_by_others_is_refused(tmp_path: Path, name: str) -> None:
    settings = Settings.from_env({"HIROBA_HOME": str(tmp_path)})
    create_keys(settings.keys_dir)
    os.chmod(settings.keys_dir / name, 0o644)
    with pytest.raises(ConfigError, match="chmod 600") as caught:
        read_every_key(settings)
    assert "\n" not in str(caught.value)


def hiroba_commands() -> list[list[str]]:
    commands = [[sys.executable, "-m", "intake.cli"]]
    if HIROBA_SCRIPT.exists():
        commands.append([str(HIROBA_SCRIPT)])
    return commands


@pytest.mark.parametrize("command", hiroba_commands(), ids=lambda c: Path(c[-1]).name)
@pytest.mark.parametrize(
    ("name", "value"), [("HIROBA_TASK_LEASE_SECONDS", "abc"), ("HIROBA_REDIS_URL", "http://x")]
)
def test_the_console_script_reports_a_bad_setting_in_one_line(
    command: list[str], name: str, value: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIROBA_")}
    env.update({"HIROBA_HOME": str(tmp_path / "instance"), name: value})
    result = subprocess.run(
        [*command, "init"], env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("hiroba:") and name in lines[0], lines[0]
    assert not (tmp_path / "instance").exists(), "nothing is created with a bad setting"


def test_the_worker_reports_a_bad_setting_in_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIROBA_")}
    env.update({"HIROBA_HOME": str(tmp_path / "instance"), "HIROBA_ENV": "staging"})
    result = subprocess.run(
        [sys.executable, "-m", "worker", "run", "--burst"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO_ROOT,
    )
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("hiroba:")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_every_setting_is_documented_in_the_readme() -> None:
    """Datasette's rule: a setting nobody documented is a setting nobody can use."""
    readme = REPO_ROOT / "README.md"
    text = readme.read_text(encoding="utf-8") if readme.exists() else ""
    missing = [
        s.name
        for s in SETTINGS
        if not re.search(rf"(?<![A-Z0-9_]){re.escape(s.name)}(?![A-Z0-9_])", text)
    ]
    assert not missing, (
        f"{readme} does not document: {', '.join(missing)}"
        if text
        else f"{readme} is missing; it must document: {', '.join(missing)}"
    )
