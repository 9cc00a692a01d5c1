"""The logs of the real web server (`hiroba web`: gunicorn + Flask) and a real worker: a time
and a level on every line, JSON that parses, tokens in paths redacted, and no personal value
or SQL in what a database outage or a failed mail job leaves behind."""

from __future__ import annotations

import io
import json
import logging
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import pytest
from accounts_support import client_for, individual_form, reconfigure, register_and_approve
from actors import submit
from aiosmtpd.controller import Controller
from conftest import REPO_ROOT, Instance, csrf_token, free_port
from sqlalchemy import create_engine, text

from intake.cli.running import web_argv
from intake.watching.logs import TOKEN_ROUTES, configure_logging

TEXT_LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARNING|ERROR|CRITICAL) "
)
PERSONAL = individual_form(31, "outage-victim")
SECRET_VALUES = [
    PERSONAL["person-name"],
    PERSONAL["person-address"],
    PERSONAL["person-phone"],
    PERSONAL["person-email"],
    PERSONAL["password"],
]


class Web:
    """`hiroba web`'s command line (gunicorn with Hiroba's logger) on a free port."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.port = free_port()
        self.out, self.err = folder / "web.out", folder / "web.err"
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.process = subprocess.Popen(
                web_argv("127.0.0.1", self.port, 1),
                env=env,
                cwd=REPO_ROOT,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.err.read_text()[-3000:]
            try:
                self.get("/healthz")
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("hiroba web did not answer")

    def get(self, path: str, **headers: str) -> tuple[int, str, dict[str, str]]:
        request = urllib.request.Request(self.url(path), headers=headers)  # noqa: S310 - http
        return self._open(request)

    def post(self, path: str, data: dict[str, Any]) -> tuple[int, str, dict[str, str]]:
        body = urllib.parse.urlencode(data, doseq=True).encode()
        request = urllib.request.Request(self.url(path), data=body, method="POST")  # noqa: S310
        return self._open(request)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _open(self, request: urllib.request.Request) -> tuple[int, str, dict[str, str]]:
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), dict(error.headers)

    def stop(self) -> str:
        """Stop gunicorn (it flushes its logs) and return everything it wrote."""
        self.process.terminate()
        self.process.wait(timeout=60)
        return self.out.read_text() + self.err.read_text()


@pytest.fixture
def json_web(instance: Instance) -> Iterator[Web]:
    web = Web({**instance.env, "HIROBA_LOG_FORMAT": "json"}, instance.settings.home)
    yield web
    if web.process.poll() is None:
        web.stop()


def test_every_token_route_is_redacted(app):
    """A new route with a token in its path must join TOKEN_ROUTES, or it would be logged."""
    token_rules = [r.rule for r in app.url_map.iter_rules() if "<token>" in r.rule]
    assert token_rules
    for rule in token_rules:
        assert rule.startswith("/app/") and rule.endswith("/<token>"), rule
        assert rule[len("/app/") : -len("/<token>")] in TOKEN_ROUTES, rule


def test_web_logs_are_json_redacted_and_a_database_outage_is_one_line(instance, json_web):
    web = json_web
    secret_token = "IjEyMyI.Zz9-application-token_abc"
    reset_token = "reset-token-0123456789abcdefXYZ"
    assert web.get(f"/app/applications/{secret_token}")[0] == 404
    assert web.get(f"/app/password/reset/{reset_token}?lang=en")[0] == 410  # unknown link
    assert web.get("/app/login?next=/app/my", **{"X-Request-ID": "nginx-abcdef0123"})[0] == 200

    status, page, _headers = web.get("/app/register")
    assert status == 200
    token = csrf_token(page)
    with instance.rt.engine.begin() as connection:
        connection.execute(text("ALTER TABLE accounts RENAME TO accounts_away"))
    status, page, headers = web.post("/app/register", {**PERSONAL, "csrf_token": token})
    assert status == 503, page[:2000]
    request_id = headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{16}", request_id)
    output = web.stop()

    lines = [line for line in output.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    for record in records:
        assert {"time", "level", "logger", "message"} <= record.keys(), record
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record["time"])
    access = [r for r in records if r["logger"] == "gunicorn.access"]
    paths = [r["http"]["path"] for r in access]
    assert "/app/applications/[redacted]" in paths
    assert "/app/password/reset/[redacted]" in paths
    assert secret_token not in output and reset_token not in output
    assert "/app/my" not in output  # query values are not kept
    given = next(r for r in access if r["http"]["path"] == "/app/login")
    assert given["request_id"] == "nginx-abcdef0123"  # nginx's id is kept
    errors = [r for r in records if r["level"] == "ERROR"]
    assert len(errors) == 1, errors
    [error] = errors
    assert error["request_id"] == request_id
    assert "OperationalError" in error["message"] or "ProgrammingError" in error["message"]
    assert "stack" not in error
    for value in SECRET_VALUES:
        assert value not in output, value
    assert "SELECT" not in output and "INSERT" not in output and "parameters" not in output


def test_text_lines_carry_a_time_and_a_level(instance):
    web = Web({**instance.env, "HIROBA_LOG_FORMAT": "text"}, instance.settings.home)
    web.get("/app/applications/text-mode-token-123456")
    output = web.stop()
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines and all(TEXT_LINE.match(line) for line in lines), lines
    assert any("/app/applications/[redacted]" in line for line in lines)
    assert "text-mode-token-123456" not in output


def test_a_logged_exception_keeps_its_class_and_frames_but_not_its_message(instance):
    """A real database error whose message carries personal values, logged with exc_info."""
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    configure_logging("json", stream=stream)
    try:
        engine = create_engine(instance.settings.database_url)
        try:
            with engine.begin() as connection:
                connection.execute(
                    text("INSERT INTO no_such_table (name, phone) VALUES (:name, :phone)"),
                    {"name": PERSONAL["person-name"], "phone": PERSONAL["person-phone"]},
                )
        except Exception:
            logging.getLogger("hiroba.test").exception("the insert failed")
        finally:
            engine.dispose()
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        logging.captureWarnings(False)
    [record] = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert record["message"] == "the insert failed" and record["level"] == "ERROR"
    assert record["error"].startswith("sqlalchemy.exc.")
    assert any(line.startswith('  File "') for line in record["stack"])
    assert record["stack"][-1].endswith("(message withheld)")
    dumped = json.dumps(record, ensure_ascii=False)
    assert PERSONAL["person-name"] not in dumped and PERSONAL["person-phone"] not in dumped
    assert "INSERT" not in dumped and "no_such_table" not in dumped


class RefusingSink:
    """An SMTP server that refuses the recipient, quoting the address in its reply."""

    async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]  # noqa: N802
        return f"550 5.1.1 <{address}>: no such user here"


def test_worker_logs_are_json_and_a_failed_mail_job_leaves_no_address(instance, tmp_path):
    port = free_port()
    controller = Controller(RefusingSink(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        reconfigure(
            instance,
            HIROBA_SMTP_HOST="127.0.0.1",
            HIROBA_SMTP_PORT=str(port),
            HIROBA_LOG_FORMAT="json",
        )
        client = client_for(instance)
        register_and_approve(instance, client, 33, "refused-33")
        assert (
            submit(client, "/app/password/forgot", {"identifier": "refused-33"}).status_code == 302
        )
        result = instance.worker_burst()
    finally:
        controller.stop()
    output = result.stdout + result.stderr
    lines = [line for line in output.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]
    assert records
    assert all({"time", "level", "logger", "message"} <= r.keys() for r in records)
    failures = [r for r in records if r["level"] == "ERROR" and r["logger"].startswith("rq.")]
    assert failures, records
    assert any("MailNotSent (message withheld)" in r["message"] for r in failures)
    assert "leak-probe-33@example.test" not in output
    assert "no such user" not in output


REPEATS = """
import logging, sys
import pelican  # makes later loggers Pelican's LimitLogger, as the web and worker import it
early = logging.getLogger("worker.build.preload")  # made after Pelican, before the set-up
from intake.watching.logs import configure_logging
configure_logging(stream=sys.stdout)
late = logging.getLogger("intake.posts.later")  # made after the set-up
for logger in (early, late, logging.getLogger("pelican.generators")):
    for _ in range(3):
        logger.warning("the same warning from %s", logger.name)
"""


def test_our_loggers_say_a_repeated_warning_every_time_pelicans_once():
    """Pelican's duplicate filter would silence a service's second identical warning for the
    rest of the process: our loggers, made before or after the set-up, say all three."""
    said = subprocess.run(
        [sys.executable, "-c", REPEATS],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    for name, times in (
        ("worker.build.preload", 3),
        ("intake.posts.later", 3),
        ("pelican.generators", 1),
    ):
        lines = [line for line in said if line.endswith(f"the same warning from {name}")]
        assert len(lines) == times, (name, said)
        assert all(TEXT_LINE.match(line) for line in lines)
