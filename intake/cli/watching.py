"""`hiroba watch`: one pass of the checks that open and close incidents (a timer runs it)."""

from __future__ import annotations

import argparse
import sys

from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from ..config import Settings
from ..outbox import retry_failed
from ..runtime import Runtime
from ..store import transaction
from ..watching.checks import watch
from ..watching.logs import configure_logging


def cmd_watch(settings: Settings, args: argparse.Namespace) -> int:
    """Check builds, workers, failed jobs and the audit chain; one mail per incident."""
    configure_logging(settings.log_format)
    rt = Runtime.from_settings(settings)
    try:
        report = watch(rt)
    except (RedisError, SQLAlchemyError) as exc:
        print(f"hiroba: watch could not read its state ({type(exc).__name__})", file=sys.stderr)
        return 1
    finally:
        rt.close()
    if report.skipped:
        print("another `hiroba watch` is running; nothing done")
        return 0
    for incident in report.opened:
        mailed = "mailed" if incident.mailed else "NOT mailed yet"
        print(f"opened {incident.kind.value} ({mailed}): {incident.detail}")
    for incident in report.still_open:
        mailed = "mailed" if incident.mailed else "NOT mailed yet"
        print(f"open {incident.kind.value} ({mailed}): {incident.detail}")
    for incident in report.resolved:
        print(f"resolved {incident.kind.value}")
    if not (report.opened or report.still_open):
        print("all clear")
    return 0


def cmd_retry_failed(settings: Settings, args: argparse.Namespace) -> int:
    """Owe again every task given up after its tries (e.g. mail, once SMTP is fixed)."""
    rt = Runtime.from_settings(settings)
    try:
        with transaction(rt.sessions) as session:
            count = retry_failed(session)
    finally:
        rt.close()
    print(f"{count} failed tasks owed again; the worker's reconciler enqueues them")
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register this module's commands on the `hiroba` parser."""
    sub.add_parser("watch", help=cmd_watch.__doc__).set_defaults(func=cmd_watch)
    retry = sub.add_parser("retry-failed", help=cmd_retry_failed.__doc__)
    retry.set_defaults(func=cmd_retry_failed)
