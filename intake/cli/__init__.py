"""The `hiroba` command: set up an instance, create users, load demo data, run the parts."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence

from ..config import Settings
from ..crypto import create_keys
from ..errors import ConfigError, HirobaError
from ..store import migrate
from .protection import add_commands as add_data_commands
from .retention import add_commands as add_retention_commands


def cmd_init(settings: Settings, args: argparse.Namespace) -> int:
    """Create the instance folder, its keys (mode 0600) and the database schema."""
    settings.home.mkdir(parents=True, exist_ok=True)
    for path in create_keys(settings.keys_dir):
        print(f"created {path}")
    print("migrating the database ...", flush=True)
    migrate(settings.database_url)
    for folder in (settings.content_dir / "posts", settings.builds_dir):
        folder.mkdir(parents=True, exist_ok=True)
    print(f"instance ready at {settings.home}")
    return 0


def cmd_create_user(settings: Settings, args: argparse.Namespace) -> int:
    """Create an active moderator or ward-staff account."""
    from ..runtime import Runtime
    from ..services.accounts import LoginTaken, create_staff
    from ..services.second_factor import enrol_account
    from ..validation import InvalidInput, login_id, password

    secret = os.environ.get("HIROBA_PASSWORD") or getpass.getpass("password: ")
    try:
        login, secret = login_id(args.login), password(secret)
    except InvalidInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rt = Runtime.from_settings(settings)
    try:
        account_id = create_staff(rt, args.role, login, secret, args.name or args.login)
        enrolment = enrol_account(rt, account_id)
    except LoginTaken:
        print(f"error: the login {login!r} is taken", file=sys.stderr)
        return 2
    finally:
        rt.close()
    print(f"created {args.role} {login} (account {account_id})")
    print(enrolment.describe())
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


def _python_module(module: str, *argv: str) -> list[str]:
    return [sys.executable, "-m", module, *argv]


def _become(argv: list[str]) -> int:
    """Replace this process with argv, so signals reach the program itself."""
    sys.stdout.flush()
    os.execv(argv[0], argv)  # noqa: S606 - a fixed argument list, no shell
    return 1  # not reached


def worker_argv(burst: bool = False) -> list[str]:
    """Return the command of the worker (the worker package, never imported by intake)."""
    return _python_module("worker", "run", *(["--burst"] if burst else []))


def web_argv(host: str, port: int, workers: int) -> list[str]:
    """Return the gunicorn command serving the intake app and the live site."""
    access = '%(t)s "%(m)s %(U)s" %(s)s %(L)ss'
    return _python_module(
        "gunicorn",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
        "--access-logformat",
        access,
        "intake.web:create_app()",
    )


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    """Run the rq worker and its reconciler (the worker package, in its own process)."""
    return _become(worker_argv(args.burst))


def cmd_build(settings: Settings, args: argparse.Namespace) -> int:
    """Run a full build of the site and switch it live; print the live folder."""
    return _become(_python_module("worker", "build"))


def cmd_web(settings: Settings, args: argparse.Namespace) -> int:
    """Serve the intake app (and the live site) with gunicorn on the loopback address."""
    return _become(web_argv(args.host, args.port, args.workers))


def cmd_up(settings: Settings, args: argparse.Namespace) -> int:
    """Bring up the whole demo: Redis, database, demo data, a built site, worker and web."""
    from .instance import run_up

    return run_up(settings, args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hiroba", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("init", help=cmd_init.__doc__).set_defaults(func=cmd_init)
    user = sub.add_parser("create-user", help=cmd_create_user.__doc__)
    user.add_argument("--role", choices=["moderator", "staff"], required=True)
    user.add_argument("--login", required=True)
    user.add_argument("--name", help="display name (default: the login)")
    user.set_defaults(func=cmd_create_user)
    sub.add_parser("demo", help=cmd_demo.__doc__).set_defaults(func=cmd_demo)
    sub.add_parser("build", help=cmd_build.__doc__).set_defaults(func=cmd_build)
    worker = sub.add_parser("worker", help=cmd_worker.__doc__)
    worker.add_argument("--burst", action="store_true", help="drain the queue, then exit")
    worker.set_defaults(func=cmd_worker)
    web = sub.add_parser("web", help=cmd_web.__doc__)
    web.add_argument("--host", default="127.0.0.1")
    web.add_argument("--port", type=int, default=8000)
    web.add_argument("--workers", type=int, default=2)
    web.set_defaults(func=cmd_web)
    up = sub.add_parser("up", help=cmd_up.__doc__)
    up.add_argument("--port", type=int, default=8000)
    up.add_argument("--no-demo", action="store_true", help="do not load demo data")
    up.set_defaults(func=cmd_up)
    add_data_commands(sub)
    add_retention_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        return int(args.func(settings, args))
    except ConfigError as exc:
        print(f"hiroba: {exc}", file=sys.stderr)
        return 2
    except HirobaError as exc:
        print(f"hiroba: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
