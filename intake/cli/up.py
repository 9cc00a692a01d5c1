"""`hiroba up`: the whole demo on one machine, ending with a block that says how to use it.

Redis (private unless configured), the instance, the demo data and a first build come up in
turn; then the worker and the web server run until Ctrl-C. Every child runs in a session of
its own, so the terminal's Ctrl-C reaches only this process, which stops them in order; their
output goes to files under the instance's `logs/` folder, not over the closing block.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import io
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ..accounts.second_factor import Enrolment
from ..config import Settings
from ..errors import ConfigError
from .demo import DEMO_MODERATOR, DEMO_RESIDENT, GROUPS
from .instance import start_private_redis
from .language import _
from .running import web_argv, worker_argv

HOST = "127.0.0.1"
WEB_READY_SECONDS = 60
RULE = "=" * 72


class PortBusy(ConfigError):
    """The port `hiroba up` was asked to serve on is taken."""


@dataclass
class Child:
    """One process `hiroba up` started, and the file its output goes to."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path | None = None


def _try_bind(port: int) -> OSError | None:
    """Return why port cannot be bound on the loopback address, or None when it can."""
    with socket.socket() as sock:
        # gunicorn sets SO_REUSEADDR too: a port with only closing connections is free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError as exc:
            return exc
    return None


def require_free_port(port: int) -> None:
    """Raise PortBusy, naming a free port to choose instead, when port cannot be served on."""
    problem = _try_bind(port)
    if problem is None:
        return
    if problem.errno != errno.EADDRINUSE:
        raise PortBusy(f"cannot listen on {HOST}:{port} ({problem.strerror}).")
    other = next((p for p in range(port + 1, min(port + 100, 65536)) if _try_bind(p) is None), 0)
    choice = other or 8080
    raise PortBusy(
        f"port {port} is already in use on {HOST} (another `hiroba up`?). "
        f"Choose another: make up PORT={choice} (or hiroba up --port {choice})."
    )


def shown_path(path: Path) -> str:
    """Return path relative to the working folder when it lies inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _spawn(name: str, argv: list[str], env: dict[str, str], log: Path | None = None) -> Child:
    """Start argv in a session of its own; its output goes to log (appended) or ours."""
    out: IO[bytes] | None = None
    if log is not None:
        out = log.open("ab")
    try:
        process = subprocess.Popen(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT if out else None,
            start_new_session=True,
        )
    finally:
        if out is not None:
            out.close()  # the child holds its own copy
    return Child(name, process, log)


def _finish(child: Child, what: str) -> None:
    """Wait for a one-off step; raise ConfigError (pointing to its log) when it fails."""
    code = child.process.wait()
    if code:
        where = f"; see {shown_path(child.log)}" if child.log else ""
        raise ConfigError(f"{what} failed with exit code {code}{where}.")


def _load_demo(env: dict[str, str]) -> Enrolment | None:
    """Load the demo data in this process; return the moderator's enrolment (first time only)."""
    from ..runtime import Runtime
    from .demo import load_demo

    enrolments: list[Enrolment] = []
    rt = Runtime.from_settings(Settings.from_env(env))
    try:
        report = load_demo(
            rt, progress=lambda text: print(f"[up] {text}", flush=True), enrolled=enrolments.append
        )
    finally:
        rt.close()
    print(f"[up] {report}", flush=True)
    return enrolments[0] if enrolments else None


def _waiting_line(env: dict[str, str]) -> str:
    """Return what waits for moderation, counted in the database."""
    from ..moderation.waiting import count_waiting
    from ..store import make_engine, session_factory

    engine = make_engine(Settings.from_env(env).database_url)
    try:
        with session_factory(engine)() as session:
            counts = count_waiting(session).counts
    finally:
        engine.dispose()
    words = (
        ("posts", "post", "posts"),
        ("registrations", "registration", "registrations"),
        ("changes", "change request", "change requests"),
        ("inquiries", "inquiry", "inquiries"),
        ("revisions", "edit of a published post", "edits of published posts"),
        ("profiles", "profile change", "profile changes"),
    )
    shown = [
        f"{counts[key]} {one if counts[key] == 1 else many}"
        for key, one, many in words
        if counts.get(key)
    ]
    return ", ".join(shown) or "nothing"


def qr_lines(text: str) -> list[str]:
    """Return text as a QR code drawn with half blocks, or [] when the terminal cannot show it."""
    import segno

    buffer = io.StringIO()
    segno.make(text, error="m").terminal(out=buffer, compact=True, border=2)
    drawing = buffer.getvalue().rstrip("\n").splitlines()
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        "".join(drawing).encode(encoding)
    except UnicodeEncodeError:
        return []
    return drawing


def second_factor_lines(enrolment: Enrolment | None) -> list[str]:
    """Return the moderator's second factor as the closing block shows it."""
    if enrolment is None:
        return [
            "The moderator's second factor was shown at the first start only (Hiroba keeps",
            "no readable copy). Use a recovery code, or `make clean` to start over.",
        ]
    codes = enrolment.recovery_codes
    lines = [
        "The demo moderator's second factor (shown only this once; Hiroba keeps no",
        "readable copy). Add it to an authenticator app, by the QR code or the secret:",
        f"  secret (base32):  {enrolment.secret}",
        f"  otpauth URI:      {enrolment.uri}",
    ]
    drawing = qr_lines(enrolment.uri)
    lines += [f"  {line}" for line in drawing]
    if not drawing:
        lines.append("  (no QR code: this terminal cannot show its characters)")
    lines.append("  recovery codes (each works once):")
    lines += ["    " + "  ".join(codes[i : i + 5]) for i in range(0, len(codes), 5)]
    return lines


def closing_block(
    port: int, enrolment: Enrolment | None, logs: dict[str, Path], waiting: str, demo: bool
) -> str:
    """Return the block `hiroba up` ends with: addresses, logins, second factor, logs."""
    base = f"http://{HOST}:{port}"
    lines = [
        RULE,
        "Hiroba is running. Press Ctrl-C to stop it.",
        "",
        f"  site:        {base}/",
        f"  intake:      {base}/app/  (register: {base}/app/register)",
        f"  moderation:  {base}/app/moderation  (sign in: {base}/app/login)",
        "",
    ]
    if demo:
        moderator, moderator_password = DEMO_MODERATOR
        resident, _password = DEMO_RESIDENT
        lines += [
            "Demo logins (ID / password):",
            f"  moderator:   {moderator} / {moderator_password}, then a 6-digit code",
            f"  groups:      demo-group-01 / demo-group-01-password (01 to {len(GROUPS):02d})",
            f"  resident:    {resident} (its registration waits for the moderator)",
            "",
            *second_factor_lines(enrolment),
            "",
        ]
    lines += [
        f"Waiting for moderation: {waiting}.",
        "Logs (kept out of this terminal):",
        *(f"  {what + ':':<12} {shown_path(path)}" for what, path in logs.items()),
        RULE,
    ]
    return "\n".join(lines)


def _wait_listening(port: int, web: Child) -> None:
    """Return once the web server answers on port; raise ConfigError when it stopped."""
    deadline = time.monotonic() + WEB_READY_SECONDS
    while time.monotonic() < deadline:
        if web.process.poll() is not None:
            break
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.5):
            return
        time.sleep(0.2)
    where = shown_path(web.log) if web.log else "its output"
    raise ConfigError(f"the web server did not start on {HOST}:{port}; see {where}.")


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def _children() -> Iterator[list[Child]]:
    """Yield the list of started children; stop them all, newest first, on the way out."""
    children: list[Child] = []
    try:
        yield children
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut this short
        for child in reversed(children):
            if child.process.poll() is None:
                child.process.terminate()
        for child in children:
            try:
                child.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()
            # Anything the child left in its session's process group goes with it.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child.process.pid, signal.SIGKILL)


def run_up(settings: Settings, args: argparse.Namespace) -> int:
    """Start Redis (unless configured), prepare the instance, build, then run worker and web."""
    port = int(args.port)
    require_free_port(port)
    env = dict(os.environ, HIROBA_HOME=str(settings.home))
    logs_dir = settings.home / "logs"
    logs_dir.mkdir(parents=True, exist_ok=True)
    logs = {"jobs": logs_dir / "worker.log", "web": logs_dir / "web.log"}
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    with _children() as children:
        try:
            if "HIROBA_REDIS_URL" not in os.environ:
                redis, env["HIROBA_REDIS_URL"] = start_private_redis(settings.home)
                children.append(Child("Redis", redis, settings.home / "redis" / "redis.log"))
                logs["redis"] = settings.home / "redis" / "redis.log"
                print(f"[up] private Redis at {env['HIROBA_REDIS_URL']}", flush=True)
            cli = [sys.executable, "-m", "intake.cli"]
            init = _spawn("init", [*cli, "init"], env)
            children.append(init)
            _finish(init, "`hiroba init`")
            enrolment = None if args.no_demo else _load_demo(env)
            print(
                f"[up] publishing and building the site (log: {shown_path(logs['jobs'])}) ...",
                flush=True,
            )
            burst = _spawn("first build", worker_argv(burst=True), env, logs["jobs"])
            children.append(burst)
            _finish(burst, "the first build")
            children.append(_spawn("worker", worker_argv(), env, logs["jobs"]))
            web = _spawn("web server", web_argv(HOST, port, 2), env, logs["web"])
            children.append(web)
            _wait_listening(port, web)
            block = closing_block(port, enrolment, logs, _waiting_line(env), not args.no_demo)
            print(block, flush=True)
            while True:
                for child in children:
                    code = child.process.poll()
                    if code is not None and child.name in ("Redis", "worker", "web server"):
                        where = f"; see {shown_path(child.log)}" if child.log else ""
                        print(f"[up] the {child.name} stopped (exit code {code}){where}")
                        return 1
                time.sleep(1)
        except KeyboardInterrupt:
            print("\n[up] stopping ...", flush=True)
    print("[up] stopped", flush=True)
    return 0


def cmd_up(settings: Settings, args: argparse.Namespace) -> int:
    """Bring up the whole demo: Redis, database, demo data, a built site, worker and web."""
    return run_up(settings, args)


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `hiroba up` on the `hiroba` parser."""
    up = sub.add_parser(
        "up",
        help=_(
            "デモ一式を起動します: Redis、データベース、デモデータ、"
            "サイトのビルド、ワーカー、ウェブ"
        ),
    )
    up.add_argument("--port", type=int, default=8000, help=_("ウェブのポート（既定 8000）"))
    up.add_argument("--no-demo", action="store_true", help=_("デモデータを読み込みません"))
    up.set_defaults(func=cmd_up)
