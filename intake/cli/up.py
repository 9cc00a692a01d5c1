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
import unicodedata
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
        raise PortBusy(
            _("%(host)s:%(port)s で待ち受けられません（%(problem)s）。")
            % {"host": HOST, "port": port, "problem": problem.strerror}
        )
    other = next((p for p in range(port + 1, min(port + 100, 65536)) if _try_bind(p) is None), 0)
    choice = other or 8080
    raise PortBusy(
        _(
            "%(host)s のポート %(port)s はすでに使われています（別の `hiroba up`？）。"
            "別のポートを選んでください: make up PORT=%(choice)s"
            "（または hiroba up --port %(choice)s）。"
        )
        % {"host": HOST, "port": port, "choice": choice}
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
        where = (
            _("（%(log)s を見てください）") % {"log": shown_path(child.log)} if child.log else ""
        )
        raise ConfigError(
            _("%(what)s が終了コード %(code)s で失敗しました%(where)s。")
            % {"what": what, "code": code, "where": where}
        )


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
    return waiting_words(counts)


def waiting_words(counts: dict[str, int]) -> str:
    """Return the waiting work in words (投稿 2件、お問い合わせ 1件), or なし."""
    words = (
        ("posts", _("投稿 %(n)s件")),
        ("registrations", _("登録申請 %(n)s件")),
        ("changes", _("登録情報の変更申請 %(n)s件")),
        ("inquiries", _("お問い合わせ %(n)s件")),
        ("revisions", _("公開中の投稿の変更 %(n)s件")),
        ("profiles", _("公開プロフィールの変更 %(n)s件")),
    )
    shown = [word % {"n": counts[key]} for key, word in words if counts.get(key)]
    return _("、").join(shown) or _("なし")


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
            _("審査担当者の二段階認証は最初の起動のときだけ表示しました（読める形の写しは"),
            _("残していません）。回復コードを使うか、`make clean` でやり直してください。"),
        ]
    codes = enrolment.recovery_codes
    lines = [
        _("デモの審査担当者の二段階認証（表示はこの一度だけです。読める形の写しは残して"),
        _("いません）。認証アプリに QR コードか秘密鍵で登録してください:"),
        "  " + _("秘密鍵 (base32):") + f"  {enrolment.secret}",
        f"  otpauth URI:      {enrolment.uri}",
    ]
    drawing = qr_lines(enrolment.uri)
    lines += [f"  {line}" for line in drawing]
    if not drawing:
        lines.append("  " + _("（この端末では QR コードの文字を表示できません）"))
    lines.append("  " + _("回復コード（それぞれ一度だけ使えます）:"))
    lines += ["    " + "  ".join(codes[i : i + 5]) for i in range(0, len(codes), 5)]
    return lines


def label(word: str) -> str:
    """Return word padded to the closing block's column (a wide character counts as two)."""
    width = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in word)
    return word + " " * max(1, 13 - width)


def closing_block(
    port: int, enrolment: Enrolment | None, logs: dict[str, Path], waiting: str, demo: bool
) -> str:
    """Return the block `hiroba up` ends with: addresses, logins, second factor, logs."""
    base = f"http://{HOST}:{port}"
    lines = [
        RULE,
        _("Hiroba が動いています。Ctrl-C で止まります。"),
        "",
        "  " + label(_("サイト:")) + f" {base}/",
        "  "
        + label(_("受付:"))
        + f" {base}/app/  "
        + _("（登録: %(url)s）") % {"url": f"{base}/app/register"},
        "  "
        + label(_("審査:"))
        + f" {base}/app/moderation  "
        + _("（ログイン: %(url)s）") % {"url": f"{base}/app/login"},
        "",
    ]
    if demo:
        moderator, moderator_password = DEMO_MODERATOR
        resident, _password = DEMO_RESIDENT
        lines += [
            _("デモのログイン（ID / パスワード）:"),
            "  "
            + label(_("審査担当者:"))
            + f" {moderator} / {moderator_password}"
            + _("、続けて6桁のコード"),
            "  "
            + label(_("団体:"))
            + " demo-group-01 / demo-group-01-password"
            + _("（01〜%(last)s）") % {"last": f"{len(GROUPS):02d}"},
            "  " + label(_("個人:")) + f" {resident}" + _("（登録申請が審査を待っています）"),
            "",
            *second_factor_lines(enrolment),
            "",
        ]
    lines += [
        _("審査を待っているもの: %(waiting)s") % {"waiting": waiting},
        _("ログ（この端末には出しません）:"),
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
    raise ConfigError(
        _("ウェブサーバーが %(host)s:%(port)s で起動しませんでした。%(where)s を見てください。")
        % {"host": HOST, "port": port, "where": where}
    )


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
    # The demo's site knows its own address, so its pages offer webcal: subscriptions (a
    # relative site, as deployments without HIROBA_SITE_URL are, has no address to give).
    if not env.get("HIROBA_SITE_URL"):
        env["HIROBA_SITE_URL"] = f"http://{HOST}:{port}"
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
                redis_line = _("専用の Redis: %(url)s") % {"url": env["HIROBA_REDIS_URL"]}
                print(f"[up] {redis_line}", flush=True)
            cli = [sys.executable, "-m", "intake.cli"]
            init = _spawn("init", [*cli, "init"], env)
            children.append(init)
            _finish(init, "`hiroba init`")
            enrolment = None if args.no_demo else _load_demo(env)
            building = _("サイトを公開・構築しています（ログ: %(log)s）…") % {
                "log": shown_path(logs["jobs"])
            }
            print(f"[up] {building}", flush=True)
            burst = _spawn("first build", worker_argv(burst=True), env, logs["jobs"])
            children.append(burst)
            _finish(burst, _("最初の構築"))
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
                        stopped = _("%(name)s が止まりました（終了コード %(code)s）") % {
                            "name": child.name,
                            "code": code,
                        }
                        where = f" {shown_path(child.log)}" if child.log else ""
                        print(f"[up] {stopped}{where}")
                        return 1
                time.sleep(1)
        except KeyboardInterrupt:
            print("\n[up] " + _("止めています…"), flush=True)
    print("[up] " + _("止めました"), flush=True)
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
