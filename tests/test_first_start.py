"""The first start as a newcomer meets it: `hiroba up` (what `make up` runs) in a real process
with its own Redis, ending with a block that holds the addresses, the demo logins and the
moderator's second factor; Ctrl-C stops it quietly; a busy port and `make up PORT=` say so."""

from __future__ import annotations

import contextlib
import io
import os
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest
import requests
import segno
from conftest import csrf_token, descendants, free_port
from personal_data import HIROBA
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from intake.accounts.second_factor import TOTP_CONTEXT
from intake.cli.up import RULE
from intake.config import REPO_ROOT, Settings
from intake.crypto import load_vault
from intake.models import Account
from intake.moderation.waiting import count_waiting

BLOCK_SECONDS = 600  # init, demo data and the first build of 37 posts


def up_env(home: Path, database_url: str | None = None) -> dict[str, str]:
    """A newcomer's environment: no HIROBA_* settings but the home (and the test database)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIROBA_")}
    env["HIROBA_HOME"] = str(home)
    if database_url:
        env["HIROBA_DATABASE_URL"] = database_url
    return env


class Running:
    """A `hiroba up` process whose output is read line by line as it comes."""

    def __init__(self, env: dict[str, str], port: int, cwd: Path) -> None:
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [*HIROBA, "up", "--port", str(port)],
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def block(self) -> str:
        """Wait for the closing block and return it (fail with the output if it never comes)."""
        deadline = time.monotonic() + BLOCK_SECONDS
        while time.monotonic() < deadline:
            lines = list(self.lines)
            rules = [i for i, line in enumerate(lines) if line == RULE]
            if len(rules) >= 2:
                return "\n".join(lines[rules[0] : rules[1] + 1])
            if self.process.poll() is not None:
                self.reader.join(5)
                break
            time.sleep(0.5)
        pytest.fail(f"no closing block; exit {self.process.poll()}:\n{self.text[-4000:]}")

    def stop(self) -> None:
        """Stop it as Ctrl-C would; whatever it leaves (its children run in sessions of their
        own, so a failed test must not orphan them) is killed."""
        if self.process.poll() is None:
            tree = descendants(self.process.pid)
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            for pid in tree:
                if alive(pid):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
        self.reader.join(10)
        assert self.process.stdout is not None
        self.process.stdout.close()


@pytest.fixture
def running(tmp_path: Path, database_url: str) -> Iterator[tuple[Running, Path, int]]:
    """`hiroba up` on a free port with a fresh home; yields it, its home and port."""
    home, port = tmp_path / "instance", free_port()
    started = Running(up_env(home, database_url), port, tmp_path)
    yield started, home, port
    started.stop()


def alive(pid: int) -> bool:
    """True while pid exists and is not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def moderator_secret(settings: Settings) -> str:
    """The demo moderator's TOTP secret as the database holds it (sealed), opened."""
    vault = load_vault(settings.keys_dir)
    engine = create_engine(settings.database_url)
    try:
        with Session(engine) as db:
            sealed = [
                account.totp_secret_enc
                for account in db.scalars(select(Account).where(Account.kind == "moderator"))
            ]
            waiting = count_waiting(db).counts
    finally:
        engine.dispose()
    assert len(sealed) == 1, "the demo has one moderator"
    opened = vault.open(sealed[0], TOTP_CONTEXT)
    assert opened
    assert waiting == {
        "posts": 2,
        "revisions": 0,
        "registrations": 1,
        "changes": 1,
        "profiles": 0,
        "inquiries": 1,
    }, waiting
    return opened


def sign_in_over_http(base: str, login: str, password: str, code: str) -> requests.Session:
    """Sign in through the real server's two forms, as a browser would."""
    browser = requests.Session()
    page = browser.get(f"{base}/app/login", timeout=30)
    response = browser.post(
        f"{base}/app/login",
        data={"login": login, "password": password, "csrf_token": csrf_token(page.text)},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302 and "/app/login/verify" in response.headers["Location"]
    page = browser.get(f"{base}/app/login/verify", timeout=30)
    response = browser.post(
        f"{base}/app/login/verify",
        data={"code": code, "csrf_token": csrf_token(page.text)},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, response.text[:2000]
    return browser


def test_up_ends_with_the_first_start_block_and_stops_quietly(
    running: tuple[Running, Path, int], database_url: str
) -> None:
    up, home, port = running
    block = up.block()
    base = f"http://127.0.0.1:{port}"
    for url in (f"{base}/", f"{base}/app/", f"{base}/app/moderation"):
        assert url in block, block
    assert "demo-moderator / demo-moderator-password" in block
    assert "demo-group-01 / demo-group-01-password" in block
    # In Japanese, as the CLI speaks by default (its English is tests/test_cli_language.py's).
    assert "投稿 2件、登録申請 1件、登録情報の変更申請 1件、お問い合わせ 1件" in block

    # The secret as text, as an otpauth:// URI and as a QR code of that URI, all the
    # moderator's: the database holds the same secret, and its code signs in.
    [uri] = re.findall(r"otpauth://totp/\S+", block)
    [secret] = parse_qs(urlparse(uri).query)["secret"]
    assert re.search(rf"秘密鍵 \(base32\):\s+{secret}$", block, re.MULTILINE)
    settings = Settings.from_env(up_env(home, database_url))
    assert moderator_secret(settings) == secret
    assert pyotp.parse_uri(uri).secret == secret
    drawn = [line.strip() for line in block.splitlines() if "▀" in line or "█" in line]
    expected = io.StringIO()
    segno.make(uri, error="m").terminal(out=expected, compact=True, border=2)
    assert drawn == [line.strip() for line in expected.getvalue().splitlines()], (
        "not the URI's QR code"
    )
    code = pyotp.TOTP(secret).now()
    browser = sign_in_over_http(base, "demo-moderator", "demo-moderator-password", code)
    with browser:
        desk = browser.get(f"{base}/app/moderation", timeout=30)
    assert desk.status_code == 200 and "川辺の生き物観察会" in desk.text
    # The demo's site knows its own address, so it offers calendar subscriptions (webcal:),
    # on the site's pages and in the intake's footer alike.
    site = f"webcal://127.0.0.1:{port}"
    for url, feed in (
        (f"{base}/", f"{site}/calendar/all.ics"),
        (f"{base}/en/", f"{site}/en/calendar/all.ics"),
        (f"{base}/app/login", f"{site}/calendar/all.ics"),
    ):
        assert f'href="{feed}"' in requests.get(url, timeout=30).text, url

    # The jobs' and web server's output went to files the block names, not to the terminal.
    worker_log, web_log = home / "logs" / "worker.log", home / "logs" / "web.log"
    assert "instance/logs/worker.log" in block and "instance/logs/web.log" in block
    assert "Job OK" in worker_log.read_text() and "/app/login/verify" in web_log.read_text()
    assert "Job OK" not in up.text and "/app/login" not in up.text.replace(block, "")
    assert len(up.lines) < 120, f"{len(up.lines)} lines on the terminal"

    # Ctrl-C: exit code 0, no traceback, and every process it started is gone.
    started = descendants(up.process.pid)
    assert len(started) >= 4, started  # redis, worker, gunicorn and its workers
    up.process.send_signal(signal.SIGINT)
    assert up.process.wait(timeout=90) == 0, up.text[-3000:]
    up.reader.join(10)
    assert "Traceback" not in up.text and "KeyboardInterrupt" not in up.text, up.text[-3000:]
    assert up.lines[-1] == "[up] 止めました", up.text[-500:]
    deadline = time.monotonic() + 20
    while any(alive(pid) for pid in started) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in started if alive(pid)], "processes left running"
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_a_busy_port_says_so_and_how_to_choose_another(tmp_path: Path) -> None:
    home = tmp_path / "instance"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [*HIROBA, "up", "--port", str(port)],
            env=up_env(home),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1, message
    assert f"ポート {port} はすでに使われています" in message
    suggested = int(re.search(r"make up PORT=(\d+)", message).group(1))  # type: ignore[union-attr]
    assert suggested != port and f"--port {suggested}" in message
    assert "http://" not in result.stdout, "an address printed for a server that never ran"
    assert not (home / "redis").exists(), "something was started before the port was checked"


def test_make_up_passes_port_on() -> None:
    """`make up PORT=8080` runs `hiroba up --port 8080` (the test above serves on --port)."""
    result = subprocess.run(
        ["make", "-n", "-C", str(REPO_ROOT), "up", "PORT=8080"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert re.search(r"hiroba up --port 8080$", result.stdout, re.MULTILINE), result.stdout
