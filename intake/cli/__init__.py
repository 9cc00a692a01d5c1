"""The `hiroba` command: set up an instance, create users, load demo data, run the parts."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

from ..config import Settings
from ..errors import ConfigError, HirobaError
from . import deploy, instance, protection, reporting, roster, running, up, users, watching


def installed_version() -> str:
    """Return the installed distribution's version (a checkout installed with -e has one)."""
    try:
        return version("hiroba")
    except PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    """Return the `hiroba` parser with every topic's commands."""
    parser = argparse.ArgumentParser(prog="hiroba", description=__doc__)
    parser.add_argument("--version", action="version", version=f"hiroba {installed_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    for topic in (instance, up, users, roster, running, protection, deploy, watching, reporting):
        topic.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one `hiroba` command; print a one-line error and return its exit code on failure."""
    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "reads_settings", False):  # `check` reports bad settings itself
            return int(args.func(None, args))
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
