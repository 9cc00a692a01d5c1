"""The `hiroba` commands for an instance: init, migrate, check and demo (`up`: up.py)."""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from ..config import Settings
from ..crypto import create_keys
from ..errors import ConfigError, StoreUnavailable
from ..installation.checkup import Finding, run_checks, shown_url
from ..store import head_revision, make_engine, migrate, schema_revision
from .language import _, error_message


def cmd_init(settings: Settings, args: argparse.Namespace) -> int:
    """Create the instance folder, its keys (mode 0600) and the database schema."""
    settings.home.mkdir(parents=True, exist_ok=True)
    for path in create_keys(settings.keys_dir):
        print(_("作成しました: %(path)s") % {"path": path})
    print(_("データベースを移行しています…"), flush=True)
    migrate(settings.database_url)
    for folder in (settings.content_dir / "posts", settings.builds_dir):
        folder.mkdir(parents=True, exist_ok=True)
    print(_("インスタンスの準備ができました: %(home)s") % {"home": settings.home})
    return 0


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    """Bring the database schema to the newest migration (safe to repeat); print its revision."""
    engine = make_engine(settings.database_url)
    try:
        before = schema_revision(engine)
        migrate(settings.database_url)
        after = schema_revision(engine)
    except SQLAlchemyError as exc:
        shown = shown_url(settings.database_url)
        raise StoreUnavailable(
            _("%(url)s: %(error)s。何も変更していません")
            % {"url": shown, "error": type(exc).__name__}
        ) from None
    finally:
        engine.dispose()
    if before == after:
        print(_("データベースはすでに最新のリビジョン %(revision)s です") % {"revision": after})
    else:
        print(
            _("データベースをリビジョン %(before)s から最新の %(after)s に移行しました")
            % {"before": before or _("（空）"), "after": after}
        )
    return 0 if after == head_revision() else 1


def cmd_check(settings: Settings | None, args: argparse.Namespace) -> int:
    """Check configuration, keys, database, Redis, SMTP, site folder and worker; exit 1 on a
    problem, one line each."""
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        findings = [
            Finding("configuration", False, "%(text)s", {"text": error_message(exc).rstrip(".。")})
        ]
    else:
        findings = run_checks(settings)
    problems = [finding for finding in findings if not finding.ok]
    for problem in problems:
        print(f"hiroba check: {problem.line(_)}", file=sys.stderr)
    if problems:
        return 1
    for finding in findings:
        print(_("正常  %(line)s") % {"line": finding.line(_)})
    return 0


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    """Load fictional demo data (groups, a moderator, approved events)."""
    from ..runtime import Runtime
    from .demo import load_demo

    rt = Runtime.from_settings(settings)
    try:
        report = load_demo(rt, progress=lambda text: print(text, flush=True))
    finally:
        rt.close()
    print(report)
    return 0


def free_port() -> int:
    """Return a TCP port on the loopback address that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_private_redis(home: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start a redis-server of our own on a free loopback port; return it and its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise ConfigError(
            _(
                "redis-server がインストールされていません。"
                "インストールするか HIROBA_REDIS_URL を設定してください。"
            )
        )
    port = free_port()
    folder = home / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(folder),
            "--save",
            "",
            "--appendonly",
            "no",
            "--logfile",
            str(folder / "redis.log"),
        ],
        start_new_session=True,  # the terminal's Ctrl-C is for `hiroba up`, which stops it
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process, url
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise ConfigError(
        _("専用の redis-server が起動しませんでした。%(log)s を見てください。")
        % {"log": folder / "redis.log"}
    )


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register this module's commands on the `hiroba` parser."""
    init = sub.add_parser(
        "init",
        help=_("インスタンスのフォルダー、鍵（モード0600）、データベースのスキーマを作ります"),
    )
    init.set_defaults(func=cmd_init)
    migrate = sub.add_parser(
        "migrate",
        help=_(
            "データベースのスキーマを最新の移行まで進め（繰り返しても安全）、リビジョンを表示します"
        ),
    )
    migrate.set_defaults(func=cmd_migrate)
    check = sub.add_parser(
        "check",
        help=_(
            "設定、鍵、データベース、Redis、SMTP、サイトのフォルダー、ワーカーを確認します"
            "（問題があれば1行ずつ示し、終了コード1）"
        ),
    )
    check.set_defaults(func=cmd_check, reads_settings=True)
    demo = sub.add_parser(
        "demo", help=_("架空のデモデータ（団体、審査担当者、承認済みの行事）を読み込みます")
    )
    demo.set_defaults(func=cmd_demo)
