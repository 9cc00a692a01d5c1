"""`hiroba --version`, `hiroba migrate` and `hiroba check`, run as real processes against a
fresh home, the private Redis, a real rq worker and a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from importlib.metadata import version
from pathlib import Path

import pytest
from alembic import command
from conftest import Instance, free_port
from mailsink import MailSink, mailsink  # noqa: F401 - the fixture
from personal_data import HIROBA, failed, hiroba, ok
from redis import Redis
from rq import Queue, Worker
from test_cli import cli_env  # noqa: F401 - the fixture

from intake.config import Settings
from intake.store import alembic_config, head_revision, make_engine, schema_revision

PARTS = ("configuration", "keys", "database", "redis", "smtp", "site", "uploads", "worker",
         "scanner")  # fmt: skip


@pytest.fixture(autouse=True)
def english(request: pytest.FixtureRequest) -> None:
    """These tests match the CLI's English wording (test_cli_language.py: the Japanese)."""
    for fixture in ("cli_env", "instance"):
        if fixture not in request.fixturenames:
            continue
        found = request.getfixturevalue(fixture)
        env = found if isinstance(found, dict) else found.env
        for name in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
            env.pop(name, None)
        env["LANG"] = "en_US.UTF-8"


def problems(result: subprocess.CompletedProcess[str]) -> list[str]:
    """Return the problem lines of a failed `hiroba check` (exit 1, no traceback)."""
    lines = failed(result).strip().splitlines()
    assert all(line.startswith("hiroba check: ") for line in lines), lines
    return [line.removeprefix("hiroba check: ") for line in lines]


def start_worker(env: dict[str, str], home: Path) -> subprocess.Popen[bytes]:
    log = open(home / "worker.log", "ab")  # noqa: SIM115 - the child owns it
    try:
        return subprocess.Popen(
            [*HIROBA, "worker"], env=env, stdout=log, stderr=log, start_new_session=True
        )
    finally:
        log.close()


def wait_for_workers(settings: Settings, count: int, seconds: float = 120) -> None:
    """Wait until count workers are registered on our queue (rq's own registry)."""
    deadline = time.monotonic() + seconds
    with Redis.from_url(settings.redis_url) as redis:
        queue = Queue(settings.queue_name, connection=redis)
        while time.monotonic() < deadline:
            if len(Worker.all(queue=queue)) == count:
                return
            time.sleep(0.2)
    pytest.fail(f"expected {count} worker(s) on {settings.queue_name}")


def test_version_is_the_installed_distributions() -> None:
    result = ok(subprocess.run([*HIROBA, "--version"], capture_output=True, text=True, timeout=60))
    assert result.stdout.strip() == f"hiroba {version('hiroba')}"


def test_migrate_creates_the_schema_and_is_safe_to_repeat(cli_env: dict[str, str]) -> None:  # noqa: F811 - the fixture
    head = head_revision()
    first = ok(hiroba(cli_env, "migrate"))
    assert first.stdout.strip() == f"database migrated from revision (empty) to {head} (newest)"
    again = ok(hiroba(cli_env, "migrate"))
    assert again.stdout.strip() == f"database already at revision {head} (newest)"


def test_migrate_names_an_unreachable_database_in_one_line(
    cli_env: dict[str, str],  # noqa: F811 - the fixture
) -> None:
    port = free_port()
    url = f"postgresql+psycopg://hiroba:db-password-xyz@127.0.0.1:{port}/hiroba"
    message = failed(hiroba(cli_env, "migrate", HIROBA_DATABASE_URL=url)).strip()
    shown = f"postgresql+psycopg://hiroba:***@127.0.0.1:{port}/hiroba"
    assert message == f"hiroba: {shown}: OperationalError; nothing was changed"  # no class name


def test_check_sends_an_older_schema_to_migrate(cli_env: dict[str, str]) -> None:  # noqa: F811 - the fixture
    ok(hiroba(cli_env, "init"))
    settings = Settings.from_env(cli_env)
    command.downgrade(alembic_config(settings.database_url), "-1")
    older = command_revision(settings)
    assert older != head_revision()
    found = problems(hiroba(cli_env, "check", HIROBA_SMTP_HOST=""))
    assert (
        f"database: {settings.database_url} is at revision {older}, this Hiroba needs "
        f"{head_revision()}; run `hiroba migrate`"
    ) in found
    migrated = ok(hiroba(cli_env, "migrate"))
    assert f"from revision {older} to {head_revision()}" in migrated.stdout
    assert not [line for line in problems(hiroba(cli_env, "check")) if "database" in line]


def command_revision(settings: Settings) -> str | None:
    engine = make_engine(settings.database_url)
    try:
        return schema_revision(engine)
    finally:
        engine.dispose()


def test_check_passes_with_everything_running_and_names_a_stopped_worker(
    cli_env: dict[str, str],  # noqa: F811 - the fixture
    mailsink: MailSink,  # noqa: F811 - the fixture
) -> None:
    env = {**cli_env, "HIROBA_SMTP_HOST": mailsink.host, "HIROBA_SMTP_PORT": str(mailsink.port)}
    ok(hiroba(env, "init"))
    ok(hiroba(env, "build", timeout=600))
    settings = Settings.from_env(env)
    worker = start_worker(env, settings.home)
    try:
        wait_for_workers(settings, 1)
        result = ok(hiroba(env, "check"))
        lines = result.stdout.strip().splitlines()
        assert [line.split(":", 1)[0] for line in lines] == [f"ok  {part}" for part in PARTS]
        assert f"ok  smtp: {mailsink.host}:{mailsink.port}" in lines
        assert f"ok  site: live at {settings.live_dir}" in lines
        assert any(
            line.startswith(f"ok  worker: 1 on queue {settings.queue_name}") for line in lines
        )
        assert result.stderr == ""
        assert mailsink.messages == []  # connect and EHLO only
    finally:
        worker.send_signal(signal.SIGTERM)  # rq's warm shutdown deregisters the worker
        worker.wait(timeout=120)
    found = problems(hiroba(env, "check"))
    assert found == [
        f"worker: no worker is running on queue {settings.queue_name}; start `hiroba worker`"
    ]


def test_check_names_each_problem_on_its_own_line(cli_env: dict[str, str]) -> None:  # noqa: F811 - the fixture
    ok(hiroba(cli_env, "init"))
    settings = Settings.from_env(cli_env)
    os.chmod(settings.keys_dir / "index.key", 0o644)
    os.chmod(settings.keys_dir, 0o755)  # noqa: S103 - the mistake check must name
    redis_port, smtp_port = free_port(), free_port()  # nothing listens on either
    found = problems(
        hiroba(
            cli_env,
            "check",
            HIROBA_REDIS_URL=f"redis://:redis-password-xyz@127.0.0.1:{redis_port}/0",
            HIROBA_SMTP_HOST="127.0.0.1",
            HIROBA_SMTP_PORT=str(smtp_port),
        )
    )
    assert found == [
        f"keys: {settings.keys_dir} is mode 0755, readable by others; chmod 700 it",
        f"keys: {settings.keys_dir / 'index.key'} is mode 0644, readable by others; chmod 600 it",
        f"redis: cannot reach redis://:***@127.0.0.1:{redis_port}/0 (ConnectionError)",
        f"smtp: cannot reach 127.0.0.1:{smtp_port} (ConnectionRefusedError)",
        f"site: no site is live at {settings.live_dir}; run `hiroba build`",
    ]


def test_check_before_init_and_with_an_unreachable_database(cli_env: dict[str, str]) -> None:  # noqa: F811 - the fixture
    settings = Settings.from_env(cli_env)
    found = problems(hiroba(cli_env, "check", HIROBA_SMTP_HOST=""))
    assert found[0] == f"keys: {settings.keys_dir} is missing; run `hiroba init`"
    assert f"database: {settings.home / 'hiroba.db'} does not exist; run `hiroba init`" in found
    assert not settings.home.exists(), "check created something"
    port = free_port()
    url = f"postgresql+psycopg://hiroba:db-password-xyz@127.0.0.1:{port}/hiroba"
    found = problems(hiroba(cli_env, "check", HIROBA_DATABASE_URL=url, HIROBA_SMTP_HOST=""))
    shown = f"postgresql+psycopg://hiroba:***@127.0.0.1:{port}/hiroba"
    assert f"database: cannot reach {shown} (OperationalError)" in found


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            {"HIROBA_ENV": "staging"},
            "configuration: HIROBA_ENV='staging' is not valid: "
            "must be 'development' or 'production'",
        ),
        (
            {"HIROBA_ENV": "production", "HIROBA_PUBLIC_URL": "http://127.0.0.1:8000"},
            "configuration: HIROBA_PUBLIC_URL is 'http://127.0.0.1:8000'; in production it "
            "must be the intake's public https:// origin (links in mail use it)",
        ),
    ],
)
def test_check_names_a_bad_configuration(
    cli_env: dict[str, str],  # noqa: F811 - the fixture
    extra: dict[str, str],
    expected: str,
) -> None:
    assert problems(hiroba(cli_env, "check", **extra))[0] == expected


def test_a_stopped_redis_is_one_line_and_no_worker_line(instance: Instance) -> None:
    """With the suite's own redis-server stopped, check says so once and does not guess
    about workers it cannot see."""
    ok(hiroba(instance.env, "build", timeout=600))
    instance.redis_server.stop()
    try:
        found = problems(hiroba(instance.env, "check", HIROBA_SMTP_HOST=""))
    finally:
        instance.redis_server.start()
    assert found == [f"redis: cannot reach {instance.settings.redis_url} (ConnectionError)"]
