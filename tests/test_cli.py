"""The `hiroba` console script, run as a real process against a fresh home and private Redis."""

from __future__ import annotations

import os
import stat
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import cli_in_japanese
from personal_data import hiroba, ok
from redis import Redis
from sqlalchemy import create_engine, func, inspect, select
from sqlalchemy.orm import Session

from intake.config import Settings
from intake.crypto import load_vault
from intake.models import Account, Person, Post, Task
from intake.moderation.waiting import count_waiting


@pytest.fixture
def cli_env(tmp_path: Path, redis_server) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A fresh HIROBA_HOME (SQLite) and our private, emptied redis-server."""
    if redis_server.process is None or redis_server.process.poll() is not None:
        redis_server.start()
    Redis.from_url(redis_server.url).flushall()  # our private server, never the machine's
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIROBA_")}
    env.update(
        {
            "HIROBA_HOME": str(tmp_path / "home"),
            "HIROBA_REDIS_URL": redis_server.url,
            # A 1 s lock makes the build heartbeat (every 1/3 s) run during every build.
            "HIROBA_BUILD_LOCK_SECONDS": "1",
        }
    )
    env.pop("HIROBA_PASSWORD", None)
    return cli_in_japanese(env)


def refused(result: subprocess.CompletedProcess[str]) -> str:
    """Assert a clean refusal: non-zero exit, a short message, no traceback."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    message = result.stderr.strip()
    assert message and len(message.splitlines()) == 1, result.stderr
    return message


def settings_of(env: dict[str, str]) -> Settings:
    return Settings.from_env(env)


def counts(settings: Settings) -> dict[str, int]:
    engine = create_engine(settings.database_url)
    try:
        with Session(engine) as db:
            return {
                model.__tablename__: db.scalar(select(func.count()).select_from(model)) or 0
                for model in (Account, Person, Post, Task)
            }
    finally:
        engine.dispose()


def waiting_counts(settings: Settings) -> dict[str, int]:
    """The moderation queues that hold anything, as the moderators' navigation counts them."""
    engine = create_engine(settings.database_url)
    try:
        with Session(engine) as db:
            return {queue: n for queue, n in count_waiting(db).counts.items() if n}
    finally:
        engine.dispose()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_creates_private_keys_and_the_database(cli_env: dict[str, str]) -> None:
    result = ok(hiroba(cli_env, "init"))
    settings = settings_of(cli_env)
    assert str(settings.home) in result.stdout.strip().splitlines()[-1]
    keys = sorted(settings.keys_dir.iterdir())
    assert {p.name for p in keys} == {"secret.key", "index.key", "data-keys.json", "backup.key"}
    assert mode(settings.keys_dir) == 0o700
    assert all(mode(p) == 0o600 for p in keys), {p.name: oct(mode(p)) for p in keys}
    assert (settings.home / "hiroba.db").exists()
    engine = create_engine(settings.database_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"accounts", "persons", "posts", "tasks"} <= tables
    before = {p.name: p.read_bytes() for p in keys}

    again = ok(hiroba(cli_env, "init"))
    assert "作成しました" in result.stdout and "作成しました" not in again.stdout
    assert {p.name: p.read_bytes() for p in settings.keys_dir.iterdir()} == before
    assert load_vault(settings.keys_dir).active == "k1"


def test_commands_before_init_point_to_init(cli_env: dict[str, str]) -> None:
    message = refused(
        hiroba(
            cli_env,
            "create-user",
            "--role",
            "moderator",
            "--login",
            "mod-one",
            HIROBA_PASSWORD="moderator-password-1",
        )
    )
    assert message.startswith("hiroba:") and "hiroba init" in message


def test_create_user(cli_env: dict[str, str]) -> None:
    ok(hiroba(cli_env, "init"))
    result = ok(
        hiroba(
            cli_env,
            "create-user",
            "--role",
            "moderator",
            "--login",
            "mod-one",
            HIROBA_PASSWORD="moderator-password-1",
        )
    )
    assert "mod-one" in result.stdout
    settings = settings_of(cli_env)
    vault = load_vault(settings.keys_dir)
    engine = create_engine(settings.database_url)
    try:
        with Session(engine) as db:
            [account] = db.scalars(select(Account).where(Account.kind == "moderator")).all()
            assert account.status == "active"
            assert vault.open(account.login_enc, "accounts.login") == "mod-one"
            assert account.password_hash.startswith("$argon2id$")
    finally:
        engine.dispose()

    taken = refused(
        hiroba(
            cli_env,
            "create-user",
            "--role",
            "staff",
            "--login",
            "mod-one",
            HIROBA_PASSWORD="another-password-2",
        )
    )
    assert "mod-one" in taken and "すでに使われています" in taken  # Japanese by default
    short = refused(
        hiroba(
            cli_env,
            "create-user",
            "--role",
            "moderator",
            "--login",
            "mod-two",
            HIROBA_PASSWORD="short",
        )
    )
    assert "10" in short
    bad_login = refused(
        hiroba(
            cli_env,
            "create-user",
            "--role",
            "moderator",
            "--login",
            "x",
            HIROBA_PASSWORD="moderator-password-3",
        )
    )
    assert "ログインID" in bad_login
    bad_address = refused(
        hiroba(
            cli_env,
            *("create-user", "--role", "moderator", "--login", "mod-three"),
            *("--email", "not-an-address"),
            HIROBA_PASSWORD="moderator-password-3",
        )
    )
    assert "メールアドレス" in bad_address
    assert counts(settings)["accounts"] == 1
    # A moderator's address (sealed) and language: where and how the digest mail goes.
    ok(
        hiroba(
            cli_env,
            *("create-user", "--role", "moderator", "--login", "mod-mail"),
            *("--email", "Mod.Mail@Example.JP", "--language", "en"),
            HIROBA_PASSWORD="moderator-password-4",
        )
    )
    engine = create_engine(settings.database_url)
    try:
        with Session(engine) as db:
            account = db.scalars(select(Account).where(Account.id == 2)).one()
            [own] = account.persons
            assert account.language == "en" and own.role == "self" and own.email_index is None
            assert vault.open(own.email_enc, "persons.email") == "Mod.Mail@example.jp"
    finally:
        engine.dispose()
    # An existing moderator gets an address (and a language) later; "" removes it again.
    ok(hiroba(cli_env, "set-user-email", "--login", "mod-one", "--email", "one@example.jp"))
    ok(hiroba(cli_env, "set-user-email", "--login", "mod-mail", "--email", ""))
    missing = refused(hiroba(cli_env, "set-user-email", "--login", "nobody", "--email", ""))
    assert "nobody" in missing
    engine = create_engine(settings.database_url)
    try:
        with Session(engine) as db:
            one, mail = db.scalars(select(Account).order_by(Account.id)).all()
            [own] = one.persons
            assert vault.open(own.email_enc, "persons.email") == "one@example.jp"
            assert one.language == "ja" and mail.persons == []
    finally:
        engine.dispose()


def test_demo_worker_and_build_which_waits_for_the_build_lock(cli_env: dict[str, str]) -> None:
    """`hiroba demo`, a worker's burst, then `hiroba build` on the published demo (one
    demo published for both parts).

    `hiroba build` takes the build lock a worker's build holds: run beside one, it waited
    for nothing, and the worker's pruning removed the folder it was writing (seen on a
    server: the live site held only the search index). Holding the lock, a build gives up
    after --wait and leaves the live site alone; released, it builds."""
    from intake.runtime import Runtime
    from worker.build.switch import build_lock

    ok(hiroba(cli_env, "init"))
    ok(hiroba(cli_env, "demo"))
    settings = settings_of(cli_env)
    engine = create_engine(settings.database_url)
    try:
        with Session(engine) as db:
            groups = db.scalar(
                select(func.count()).select_from(Account).where(Account.kind == "group")
            )
            events = db.execute(
                select(Post.topic, Post.area).where(Post.kind.in_(["event", "recruitment"]))
            ).all()
    finally:
        engine.dispose()
    assert groups is not None and groups >= 10
    assert len(events) >= 30
    assert len({topic for topic, _ in events}) >= 5
    assert len({area for _, area in events}) >= 5

    # Work left waiting, so a newcomer can try moderating: two posts, one registration,
    # one change request and one inquiry; still waiting once the worker has ingested them.
    waiting = {"posts": 2, "registrations": 1, "changes": 1, "inquiries": 1}
    assert waiting_counts(settings) == waiting

    before = counts(settings)
    ok(hiroba(cli_env, "demo"))
    assert counts(settings) == before, "a second demo run changed the data"

    ok(hiroba(cli_env, "worker", "--burst", timeout=600))
    assert waiting_counts(settings) == waiting
    live = settings.live_dir
    assert (live / "index.html").is_file()
    assert any(live.glob("events/*/index.html")), "no event page was published"

    published = live.resolve()
    rt = Runtime.from_settings(settings)
    try:
        # The fixture's 1 s lock would expire under the test; a worker's build renews its lock.
        lock = build_lock(rt.redis, replace(rt.settings, build_lock_seconds=600))
        assert lock.acquire()
        try:
            held = hiroba(cli_env, "build", "--wait", "0.5", timeout=600)
            assert refused(held) == (
                "another build held the build lock for 0.5 s; nothing was built"
            )
            assert live.resolve() == published
            assert (published / "index.html").is_file()
            assert "another build" in refused(hiroba(cli_env, "republish", "--wait", "0"))
        finally:
            lock.release()
    finally:
        rt.close()

    built = ok(hiroba(cli_env, "build", timeout=600))
    last_line = built.stdout.strip().splitlines()[-1]
    assert last_line.endswith(str(live)), last_line
    assert (live / "index.html").is_file()
    assert live.resolve() != published
    assert any(live.glob("events/*/index.html"))
