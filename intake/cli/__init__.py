"""The `hiroba` command: set up an instance, create users, load demo data, run the parts."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

from ..config import Settings
from ..errors import ConfigError, HirobaError
from . import deploy, instance, protection, reporting, roster, running, up, users, watching
from .language import _, error_message, language_of, speaking


def installed_version() -> str:
    """Return the installed distribution's version (a checkout installed with -e has one)."""
    try:
        return version("hiroba")
    except PackageNotFoundError:
        return _("不明（インストールされていません）")


def build_parser() -> argparse.ArgumentParser:
    """Return the `hiroba` parser with every topic's commands."""
    parser = argparse.ArgumentParser(
        prog="hiroba",
        description=_(
            "`hiroba` コマンド: インスタンスの準備、利用者の作成、デモデータの読み込み、"
            "各部分の起動。表示は日本語です（LANG=en で英語）。"
        ),
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"hiroba {installed_version()}",
        help=_("バージョンを表示して終了します"),
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for topic in (instance, up, users, roster, running, protection, deploy, watching, reporting):
        topic.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one `hiroba` command in the environment's language (intake/cli/language.py)."""
    with speaking(language_of()):
        return _run(argv)


def _run(argv: Sequence[str] | None) -> int:
    """Run one command; print a one-line error and return its exit code on failure."""
    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "reads_settings", False):  # `check` reports bad settings itself
            return int(args.func(None, args))
        settings = Settings.from_env()
        return int(args.func(settings, args))
    except ConfigError as exc:
        print(f"hiroba: {error_message(exc)}", file=sys.stderr)
        return 2
    except HirobaError as exc:
        print(f"hiroba: {error_message(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
