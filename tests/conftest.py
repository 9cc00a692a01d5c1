"""Fixtures: a private redis-server per session, a fresh instance per test (SQLite, and
PostgreSQL when one answers on 127.0.0.1:5432), the app through its factory, real workers.

A fresh instance's database is a copy of one migrated per session (`MigratedTemplates`):
the same schema `migrate` makes, without running every migration for every test."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from longest_first import Recorder, file_seconds, order
from postgres_drops import BackgroundDrops
from redis import Redis
from redis.exceptions import RedisError
from s3_support import S3Server

from intake.config import REPO_ROOT, Settings
from intake.crypto import create_keys
from intake.runtime import Runtime
from intake.store import migrate

PG_ADMIN_URL = os.environ.get("HIROBA_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RedisServer:
    """A throw-away redis-server on a free port, which a test may restart empty."""

    port: int
    folder: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed (apt-get install -y redis-server)")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"private redis-server exited (port {self.port} taken?)")
            with contextlib.suppress(OSError, RedisError):  # not listening or still loading
                info = Redis(port=self.port, socket_connect_timeout=0.2).info("server")
                # Ours, not another session's server that took the port first (xdist workers
                # pick ports concurrently): sharing one would mix their jobs.
                if int(info["process_id"]) == self.process.pid:
                    return
            time.sleep(0.05)
        pytest.fail("private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def restart_empty(self) -> None:
        """Kill the server and start a new one on the same port with no data."""
        self.stop()
        self.start()


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """Hash passwords in this process with argon2-cffi's cheapest Argon2id parameters
    (`argon2.profiles.CHEAPEST`) instead of RFC 9106's 64 MiB and three passes, which
    cost most of a second per sign-in on a loaded machine. Same code path and hash
    format; the processes a test starts (`hiroba up`, workers) keep the real parameters,
    and tests/test_crypto.py checks them (`production_password_hashing`)."""
    from argon2 import PasswordHasher
    from argon2.profiles import CHEAPEST

    from intake.accounts import passwords

    cheap = PasswordHasher.from_parameters(CHEAPEST)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", cheap)
        patch.setattr(passwords, "_DUMMY_HASH", cheap.hash("not a real password"))
        yield


@pytest.fixture
def production_password_hashing() -> Iterator[None]:
    """Undo `cheap_password_hashing` for one test: RFC 9106's parameters, as in production."""
    from argon2 import PasswordHasher

    from intake.accounts import passwords

    real = PasswordHasher()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", real)
        patch.setattr(passwords, "_DUMMY_HASH", real.hash("not a real password"))
        yield


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    folder = tmp_path_factory.mktemp("redis")
    for attempt in range(3):  # another process may take the free port before redis binds it
        server = RedisServer(port=free_port(), folder=folder)
        try:
            server.start()
            break
        except pytest.fail.Exception:
            server.stop()
            if attempt == 2:
                raise
    yield server
    server.stop()


@pytest.fixture(scope="session")
def shared_chromium() -> Iterator[object]:
    """One headless Chromium per session (xdist worker), launched when a test first needs it;
    tests isolate themselves with a new browser context each (tests/browsing.py)."""
    from browsing import CHROMIUM, chromium

    if not CHROMIUM.exists():
        pytest.skip("needs /usr/bin/chromium (browsers are never downloaded)")
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="session")
def axe_source(tmp_path_factory: pytest.TempPathFactory) -> str:
    """axe-core from the npm registry, installed once per session (xdist worker) for every
    accessibility check (browsing.axe_violations)."""
    from browsing import install_axe

    return install_axe(tmp_path_factory.mktemp("axe"))


@pytest.fixture(scope="session")
def shared_demo(
    tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer
) -> Iterator[Instance]:
    """The `hiroba demo` data published by a real worker, built once per session (xdist
    worker) for the site tests that only read it (site_support.demo_fixture)."""
    from site_support import build_demo

    yield from build_demo(tmp_path_factory.mktemp("demo"), redis_server)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """A private S3-compatible server (moto) for the session; each test makes its own bucket."""
    server = S3Server(folder=tmp_path_factory.mktemp("s3"))
    server.start()
    yield server
    server.stop()


def _postgres_available() -> bool:
    try:
        import psycopg
    except ImportError:
        return False
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=2):
            return True
    except psycopg.Error:
        return False


@pytest.fixture(scope="session")
def postgres_available() -> bool:
    return _postgres_available()


class MigratedTemplates:
    """One database per kind migrated to head once per session (per xdist worker), copied
    into each new test database: a SQLite file copied with the owner-only mode `migrate`
    gives it, a PostgreSQL database recreated with CREATE DATABASE ... TEMPLATE. Nothing
    writes to a template after it is made (PostgreSQL refuses a template with a session)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._sqlite: Path | None = None
        self._postgres: str | None = None
        self._deferred: set[str] = set()

    def defer(self, name: str) -> None:
        """Leave PostgreSQL database name uncreated until fill makes it from the template
        (database_url, for a test whose instance fixture opens it first)."""
        self._deferred.add(name)

    def fill(self, database_url: str) -> bool:
        """Copy the migrated template into database_url when that database is new and empty;
        return False (the caller migrates) for one that holds anything already."""
        if database_url.startswith("sqlite:///"):
            return self._fill_sqlite(Path(database_url.removeprefix("sqlite:///")))
        if database_url.startswith("postgresql"):
            return self._fill_postgres(database_url.rsplit("/", 1)[1])
        return False

    def _fill_sqlite(self, path: Path) -> bool:
        if path.exists():
            return False
        if self._sqlite is None:
            template = self.folder / "template.db"
            migrate(f"sqlite:///{template}")
            with contextlib.closing(sqlite3.connect(template)) as conn:  # all of it in the file
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._sqlite = template
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(self._sqlite.read_bytes())
        return True

    def _fill_postgres(self, name: str) -> bool:
        import psycopg

        if not name.startswith("hiroba_test_"):  # only the databases database_url made
            return False
        if name in self._deferred:  # not made yet: straight from the template
            self._deferred.discard(name)
            template = self._postgres_template()
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            return True
        with psycopg.connect(_pg_url(name), autocommit=True) as conn:
            if conn.execute(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON "
                "n.oid = c.relnamespace WHERE n.nspname = 'public'"
            ).fetchone() != (0,):
                return False
        template = self._postgres_template()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return True

    def _postgres_template(self) -> str:
        """Return the migrated PostgreSQL template's name, making it the first time."""
        if self._postgres is None:
            import psycopg

            template = f"hiroba_template_{uuid.uuid4().hex[:12]}"
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{template}"')
            migrate(_pg_url(template, driver=True))
            self._postgres = template
        return self._postgres

    def close(self) -> None:
        if self._postgres is not None:
            import psycopg

            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self._postgres}" WITH (FORCE)')
            self._postgres = None


def _pg_url(name: str, driver: bool = False) -> str:
    """The URL of database name on the test server (driver: SQLAlchemy's psycopg form)."""
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    if driver:
        base = base.replace("postgresql://", "postgresql+psycopg://")
    return f"{base}/{name}"


_TEMPLATES: MigratedTemplates | None = None


@pytest.fixture(scope="session", autouse=True)
def migrated_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MigratedTemplates]:
    """The session's migrated templates (made when a test first needs one)."""
    global _TEMPLATES
    _TEMPLATES = MigratedTemplates(tmp_path_factory.mktemp("templates"))
    yield _TEMPLATES
    _TEMPLATES.close()
    _TEMPLATES = None


def migrate_fresh(database_url: str) -> None:
    """Bring database_url to the newest schema: a copy of the session's migrated template
    when the database is new, else `migrate` itself."""
    if _TEMPLATES is None or not _TEMPLATES.fill(database_url):
        migrate(database_url)


@pytest.fixture(scope="session")
def postgres_drops() -> Iterator[BackgroundDrops]:
    """The thread that drops finished tests' databases (tests/postgres_drops.py)."""
    drops = BackgroundDrops(PG_ADMIN_URL)
    yield drops
    drops.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    postgres_available: bool,
    postgres_drops: BackgroundDrops,
) -> Iterator[str]:
    """A fresh, empty database: SQLite always, PostgreSQL when one is reachable."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'instance' / 'hiroba.db'}"
        return
    if not postgres_available:
        pytest.skip("no PostgreSQL on 127.0.0.1:5432")
    import psycopg

    name = f"hiroba_test_{uuid.uuid4().hex[:12]}"
    if "instance" in request.fixturenames and _TEMPLATES is not None:
        # The test's instance fixture (next in line) makes this database as a copy of the
        # template; creating it empty first, then dropping it for the copy, cost two of the
        # slowest statements PostgreSQL has (seconds on a loaded machine) per test.
        _TEMPLATES.defer(name)
    else:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    yield f"{base}/{name}"
    postgres_drops.drop(name)  # in the background: nothing reads it after this test


@dataclass
class Instance:
    """One deployment under test: its environment, settings and runtime."""

    env: dict[str, str]
    settings: Settings
    rt: Runtime
    redis_server: RedisServer

    def worker_burst(self, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run a real rq worker (python -m worker run --burst, its own process forked from
        one with the worker imported: tests/preforked.py) until nothing is owed."""
        from preforked import run_worker

        result = run_worker(["run", "--burst"], self.env, REPO_ROOT, timeout)
        assert result.returncode == 0, result.stderr[-4000:]
        return result

    def start_worker(self) -> subprocess.Popen[str]:
        """Start a long-running worker in its own process group (so it can be killed whole)."""
        log = open(self.settings.home / "worker.log", "a")  # noqa: SIM115 - the child owns it
        try:
            return subprocess.Popen(
                [sys.executable, "-m", "worker", "run"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
                cwd=REPO_ROOT,
                start_new_session=True,
            )
        finally:
            log.close()

    def reconciler_passes(self) -> dict[str, int]:
        """Return the finished passes of each reconciler counting under this instance's
        prefix (worker/reconcile.py's count_pass), by its host:pid."""
        from intake import redis_keys

        start = redis_keys.reconciler_passes(self.settings.redis_prefix, "")
        with Redis.from_url(self.redis_server.url, decode_responses=True) as redis:
            keys = sorted(redis.scan_iter(match=f"{start}*"))
            values = redis.mget(keys) if keys else []
        return {key.removeprefix(start): int(v or 0) for key, v in zip(keys, values, strict=True)}

    def wait_for_reconciler_passes(self, processes: int, more: int, timeout: float = 60) -> None:
        """Wait until each of processes reconcilers has finished more passes than now (one
        pass under way now counts, so more=3 is two whole passes begun after this call)."""
        start = self.reconciler_passes()
        deadline = time.monotonic() + timeout
        while True:
            now = self.reconciler_passes()
            done = [name for name, count in now.items() if count - start.get(name, 0) >= more]
            if len(done) >= processes:
                return
            if time.monotonic() > deadline:
                pytest.fail(f"not {more} more passes of {processes} reconcilers: {start} -> {now}")
            time.sleep(0.1)

    @staticmethod
    def kill_group(process: subprocess.Popen[str]) -> None:
        """SIGKILL the worker, its reconciler and its work-horse all at once.

        rq's work-horse calls setpgrp(), leaving the worker's process group, so killing
        the group alone would let it finish its job: stop the whole tree, then kill it.
        """
        tree = descendants(process.pid) + [process.pid]
        for pid in tree:
            _signal(pid, signal.SIGSTOP)
        for pid in tree:
            _signal(pid, signal.SIGKILL)
        process.wait()


def descendants(pid: int) -> list[int]:
    """Return every live descendant of pid, read from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it may have exited meanwhile
        os.kill(pid, signum)


def instance_env(tmp_path: Path, database_url: str, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIROBA_")}
    env.update(
        {
            "HIROBA_HOME": str(tmp_path / "instance"),
            "HIROBA_DATABASE_URL": database_url,
            "HIROBA_REDIS_URL": redis_url,
            "HIROBA_TASK_LEASE_SECONDS": "2",
            "HIROBA_RECONCILE_SECONDS": "1",
            "HIROBA_BUILD_LOCK_SECONDS": "3",
            "HIROBA_SEARCH_REINDEX_SECONDS": "0",  # search settles within each burst
            # One test client is one address: keep the limits out of other tests' way
            # (tests/test_signin.py checks them with low values of its own).
            "HIROBA_RATE_LIMIT_FORMS": "100000 per minute",
            "HIROBA_RATE_LIMIT_SIGNIN": "100000 per minute",
            "HIROBA_RATE_LIMIT_APPLY": "100000 per minute",
            # Applying: no minimum fill time, and no mail server unless a test starts one.
            "HIROBA_APPLY_MIN_SECONDS": "0",
            "HIROBA_SMTP_HOST": "",
            "HIROBA_SIGNIN_ADDRESS_MAX_FAILURES": "1000",
            "HIROBA_SIGNIN_LOCKOUT_SECONDS": "2",
        }
    )
    return cli_in_japanese(env)


def cli_in_japanese(env: dict[str, str]) -> dict[str, str]:
    """Make a `hiroba` process speak its default language, whatever the machine's locale
    (tests/test_cli_language.py covers the others)."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        env.pop(name, None)
    env["LANG"] = "C.UTF-8"
    return env


def open_instance(
    tmp_path: Path,
    database_url: str,
    redis_server: RedisServer,
    extra: dict[str, str] | None = None,
) -> Instance:
    """Make a fresh instance (keys, migrated database, empty private Redis); extra: settings
    over the test defaults (an S3 location, say). The caller closes instance.rt."""
    if redis_server.process is None or redis_server.process.poll() is not None:
        redis_server.start()
    Redis.from_url(redis_server.url).flushall()  # our private server, never the machine's
    env = {**instance_env(tmp_path, database_url, redis_server.url), **(extra or {})}
    settings = Settings.from_env(env)
    create_keys(settings.keys_dir)
    migrate_fresh(settings.database_url)
    rt = Runtime.from_settings(settings)
    return Instance(env=env, settings=settings, rt=rt, redis_server=redis_server)


@pytest.fixture
def instance(tmp_path: Path, database_url: str, redis_server: RedisServer) -> Iterator[Instance]:
    made = open_instance(tmp_path, database_url, redis_server)
    yield made
    made.rt.close()


@pytest.fixture
def worker_env(instance: Instance, monkeypatch: pytest.MonkeyPatch) -> Iterator[Instance]:
    """The instance's environment in this process, for calling job functions directly."""
    from worker.context import close_runtime

    close_runtime()  # not a runtime an earlier test's worker was handed
    for key, value in instance.env.items():
        monkeypatch.setenv(key, value)
    yield instance
    close_runtime()


@pytest.fixture
def app(instance: Instance):  # type: ignore[no-untyped-def]
    from intake.web import create_app

    return create_app(instance.settings, runtime=instance.rt)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


_CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'type="hidden" name="csrf_token" value="([^"]+)"|'
    r'name="csrf_token" value="([^"]+)"'
)


def csrf_token(html: str) -> str:
    """Read the CSRF token out of a rendered form (CSRF stays on in tests)."""
    match = _CSRF.search(html)
    assert match, "no csrf_token in the page"
    return next(group for group in match.groups() if group)


def submit(client, url: str, data: dict, follow: bool = False):  # type: ignore[no-untyped-def]
    """GET the form at url, then POST data with its CSRF token."""
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    return client.post(
        url,
        data={**data, "csrf_token": csrf_token(page.get_data(as_text=True))},
        follow_redirects=follow,
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the longest files first (tests/longest_first.py): with --dist loadfile the last
    files handed out are then short ones, and both workers finish together."""
    order(items, file_seconds(config))


_RECORDER = Recorder()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _RECORDER.add(report)


def pytest_sessionfinish(session: pytest.Session) -> None:
    _RECORDER.save(session.config)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """List the modules past STYLE.md's soft size (the architecture test fails at 600)."""
    from test_architecture import WARN_LINES, module_sizes

    large = module_sizes(WARN_LINES)
    if large:
        terminalreporter.write_line(
            f"modules of {WARN_LINES} lines or more (split by concept before 600): "
            + ", ".join(large)
        )
