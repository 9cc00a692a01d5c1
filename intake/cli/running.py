"""The `hiroba` commands that run the parts: web (gunicorn), worker, a full build, republish."""

from __future__ import annotations

import argparse
import os
import sys

from ..config import Settings
from ..deploy.render import DeployOptions
from ..watching.access_log import ACCESS_FORMAT
from .language import _


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


# Each gunicorn worker serves this many requests at once on threads of its own (gthread).
# A request spends most of its time waiting (Redis, the database's commit, the event's
# lock): with one request per worker, 4 workers had at most 4 applications in flight, so
# a group commit held at most 4. The app is thread-safe: a database session per
# request from the engine's pool, Redis clients from a thread-safe pool, in-process
# caches behind locks (README, "Threads").
DEFAULT_THREADS = DeployOptions.web_threads


def serving_options(workers: int, threads: int = DEFAULT_THREADS) -> list[str]:
    """Return gunicorn's options for how `hiroba web` serves (the bench serves the same way)."""
    return [
        "--workers",
        str(workers),
        "--worker-class",
        "gthread" if threads > 1 else "sync",
        "--threads",
        str(threads),
    ]


def web_argv(host: str, port: int, workers: int, threads: int = DEFAULT_THREADS) -> list[str]:
    """Return the gunicorn command serving the intake app and the live site."""
    return _python_module(
        "gunicorn",
        "--bind",
        f"{host}:{port}",
        *serving_options(workers, threads),
        # Hiroba's format (HIROBA_LOG_FORMAT) and tokens in paths redacted (intake/watching).
        "--logger-class",
        "intake.watching.access_log.GunicornLogger",
        "--access-logfile",
        "-",
        "--access-logformat",
        ACCESS_FORMAT,
        "intake.web:create_app()",
    )


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    """Run the rq worker and its reconciler (the worker package, in its own process)."""
    return _become(worker_argv(args.burst))


def _wait(args: argparse.Namespace) -> list[str]:
    cold = ["--cold"] if getattr(args, "cold", False) else []
    return cold + ([] if args.wait is None else ["--wait", str(args.wait)])


def cmd_build(settings: Settings, args: argparse.Namespace) -> int:
    """Run a full build of the site and switch it live; print the live folder."""
    return _become(_python_module("worker", "build", *_wait(args)))


def cmd_republish(settings: Settings, args: argparse.Namespace) -> int:
    """Rewrite content/ from the database (approved posts, their media, group profiles) and
    run a full build: what a restored instance needs to serve its site again."""
    return _become(_python_module("worker", "republish", *_wait(args)))


def _require_keys(settings: Settings) -> None:
    """Raise MissingKeys (a ConfigError) when the database uses a key id this host lacks."""
    from ..crypto import load_vault
    from ..protection.keys import require_keys
    from ..store import make_engine, session_factory

    engine = make_engine(settings.database_url)
    try:
        require_keys(session_factory(engine), load_vault(settings.keys_dir))
    finally:
        engine.dispose()


def cmd_web(settings: Settings, args: argparse.Namespace) -> int:
    """Serve the intake app (and the live site) with gunicorn on the loopback address."""
    _require_keys(settings)  # one sentence here rather than gunicorn's traceback
    return _become(web_argv(args.host, args.port, args.workers, args.threads))


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register this module's commands on the `hiroba` parser."""
    helps = {
        "build": _("サイトを全体ビルドして公開に切り替え、公開中のフォルダーを表示します"),
        "republish": _(
            "データベースから content/ を書き直し（承認済みの投稿、その画像、団体紹介）、"
            "全体ビルドします。復元したインスタンスがサイトを再び公開するときに使います"
        ),
    }
    for name, func in (("build", cmd_build), ("republish", cmd_republish)):
        one = sub.add_parser(name, help=helps[name])
        one.add_argument(
            "--wait",
            type=float,
            help=_("実行中のビルドの終了を待つ秒数（既定 1800）"),
        )
        if name == "build":
            one.add_argument(
                "--cold",
                action="store_true",
                help=_(
                    "公開中のサイトから変わっていないファイルを引き継がず、すべてのページを"
                    "描き直し、検索索引も作り直します"
                ),
            )
        one.set_defaults(func=func)
    worker = sub.add_parser(
        "worker", help=_("rq ワーカーと照合処理を起動します（worker パッケージ、別プロセス）")
    )
    worker.add_argument("--burst", action="store_true", help=_("キューを空にしてから終了します"))
    worker.set_defaults(func=cmd_worker)
    web = sub.add_parser(
        "web",
        help=_("受付アプリ（と公開中のサイト）を gunicorn でループバックアドレスに提供します"),
    )
    web.add_argument("--host", default="127.0.0.1", help=_("待ち受けるアドレス"))
    web.add_argument("--port", type=int, default=8000, help=_("待ち受けるポート"))
    web.add_argument("--workers", type=int, default=2, help=_("gunicorn のワーカー数"))
    web.add_argument(
        "--threads",
        type=int,
        default=DEFAULT_THREADS,
        help=_("ワーカーごとに同時に処理するリクエストの数（スレッド数。1 ならスレッドなし）"),
    )
    web.set_defaults(func=cmd_web)
