"""`hiroba purge`: purge applicants' personal data of events past the retention period."""

from __future__ import annotations

import argparse

from ..config import Settings


def cmd_purge(settings: Settings, args: argparse.Namespace) -> int:
    """Purge applicants' personal data of events over for HIROBA_RETENTION_DAYS (counts stay)."""
    from ..runtime import Runtime
    from ..services.retention import purge

    rt = Runtime.from_settings(settings)
    try:
        events = purge(rt, dry_run=args.dry_run)
    finally:
        rt.close()
    verb = "would purge" if args.dry_run else "purged"
    for event in events:
        held = event.held_at.strftime("%Y-%m-%d")
        print(
            f"{verb} post {event.post_id} {held} {event.title}: {event.applications} applications"
        )
    total = sum(event.applications for event in events)
    print(
        f"{verb} {total} application(s) of {len(events)} event(s) "
        f"over for more than {settings.retention_days} days"
    )
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register this module's commands on the `hiroba` parser."""
    purge = sub.add_parser("purge", help=cmd_purge.__doc__)
    purge.add_argument("--dry-run", action="store_true", help="only show what would be purged")
    purge.set_defaults(func=cmd_purge)
