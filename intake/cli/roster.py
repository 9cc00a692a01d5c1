"""The `hiroba` commands for the ward's records: the roster of handlers and the ledger."""

from __future__ import annotations

import argparse
import sys

from ..config import Settings
from ..formatting import dates


def cmd_users_list(settings: Settings, args: argparse.Namespace) -> int:
    """List every moderator and staff account (取扱者名簿); --format csv for the ward."""
    from ..accounts.models import ACCOUNT_KIND_LABELS, ACCOUNT_STATUS_LABELS, account_word
    from ..oversight.roster import HEADER, handlers, roster_csv
    from ..runtime import Runtime

    rt = Runtime.from_settings(settings)
    try:
        if args.format == "csv":
            sys.stdout.buffer.write(roster_csv(rt, None, "cli"))
            return 0
        lines = handlers(rt, None, "cli")
    finally:
        rt.close()
    print("\t".join(HEADER))
    for h in lines:
        last = dates.format_timestamp(h.last_signin) if h.last_signin else "-"
        print(
            "\t".join(
                [
                    str(h.id),
                    h.login,
                    h.name,
                    account_word(ACCOUNT_KIND_LABELS, h.role),
                    dates.format_timestamp(h.created_at),
                    "あり" if h.second_factor else "なし",
                    last,
                    account_word(ACCOUNT_STATUS_LABELS, h.status),
                ]
            )
        )
    return 0


def cmd_ledger_list(settings: Settings, args: argparse.Namespace) -> int:
    """List the ledger of hand-overs (個人情報管理簿); --format csv for the ward."""
    from ..protection.ledger import CODE_HEADER, HEADER, handover_word, ledger_csv, read_entries
    from ..runtime import Runtime

    rt = Runtime.from_settings(settings)
    try:
        if args.format == "csv":
            sys.stdout.buffer.write(ledger_csv(rt, None, "cli"))
            return 0
        lines = list(reversed(read_entries(rt, None, "cli", limit=100_000)))
    finally:
        rt.close()
    print("\t".join(h for h in HEADER if h != CODE_HEADER))  # words for people, no codes
    for e in lines:
        when = dates.format_timestamp(e.at)
        fields = [str(e.id), when, e.handler, handover_word(e.action), e.content]
        fields += [str(e.total), e.recipient]
        print("\t".join([*fields, e.file_name]).replace("\n", " "))
    return 0


def cmd_ledger_add(settings: Settings, args: argparse.Namespace) -> int:
    """Add a hand-over outside the software (paper forms, a DVD, the return to the ward)."""
    from ..oversight.forms import MAX_QUANTITY, handover_day
    from ..protection.ledger import Handover, add_handover
    from ..runtime import Runtime

    day = handover_day(args.date)
    texts = {"handler": 100, "content": 2000, "recipient": 200}
    problems = [
        f"--{k} is required (at most {n} characters)"
        for k, n in texts.items()
        if not getattr(args, k).strip() or len(getattr(args, k)) > n
    ]
    if day is None:
        problems.insert(0, "--date must be YYYY-MM-DD")
    if not 0 <= args.quantity <= MAX_QUANTITY:
        problems.append(f"--quantity must be from 0 to {MAX_QUANTITY}")
    if problems or day is None:
        print(f"error: {problems[0]}", file=sys.stderr)
        return 2
    rt = Runtime.from_settings(settings)
    try:
        number = add_handover(
            rt,
            None,
            Handover(
                day,
                args.handler.strip(),
                args.content.strip(),
                args.quantity,
                args.recipient.strip(),
            ),
        )
    finally:
        rt.close()
    print(f"added ledger entry {number}")
    return 0


def cmd_incident_report(settings: Settings, args: argparse.Namespace) -> int:
    """List the records and people the audit log shows were touched, for the first report."""
    from datetime import date

    from ..accounts.signin import account_by_login
    from ..errors import NotFound
    from ..protection.incident import build, normal_address, render
    from ..runtime import Runtime

    try:
        since = date.fromisoformat(args.since)
    except ValueError:
        print("error: --since must be YYYY-MM-DD", file=sys.stderr)
        return 2
    if args.address:
        try:
            normal_address(args.address)
        except ValueError:
            print("error: --address must be an IP address", file=sys.stderr)
            return 2
    rt = Runtime.from_settings(settings)
    try:
        account_id = account_by_login(rt, args.account) if args.account else None
        report = build(rt, since, account_id, args.address or None)
    except NotFound:
        print(f"error: no account signs in as {args.account!r}", file=sys.stderr)
        return 2
    finally:
        rt.close()
    print(render(report))
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register this module's commands on the `hiroba` parser."""
    users = sub.add_parser("users", help="the roster of moderator and staff accounts")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    listing = users_sub.add_parser("list", help=cmd_users_list.__doc__)
    listing.add_argument("--format", choices=["text", "csv"], default="text")
    listing.set_defaults(func=cmd_users_list)

    ledger = sub.add_parser("ledger", help="the ledger of personal-data hand-overs")
    ledger_sub = ledger.add_subparsers(dest="ledger_command", required=True)
    listing = ledger_sub.add_parser("list", help=cmd_ledger_list.__doc__)
    listing.add_argument("--format", choices=["text", "csv"], default="text")
    listing.set_defaults(func=cmd_ledger_list)
    add = ledger_sub.add_parser("add", help=cmd_ledger_add.__doc__)
    add.add_argument("--date", required=True, help="YYYY-MM-DD (Japan's date)")
    add.add_argument("--handler", required=True, help="who handed the data over")
    add.add_argument("--content", required=True, help="what, in what form")
    add.add_argument("--quantity", required=True, type=int, help="how many records or items")
    add.add_argument("--recipient", required=True, help="to whom")
    add.set_defaults(func=cmd_ledger_add)

    incident = sub.add_parser("incident", help="incident response (事故対応)")
    incident_sub = incident.add_subparsers(dest="incident_command", required=True)
    report = incident_sub.add_parser("report", help=cmd_incident_report.__doc__)
    report.add_argument("--since", required=True, help="YYYY-MM-DD (Japan's date)")
    report.add_argument("--account", help="only what this login did")
    report.add_argument("--address", help="only what came from this client address")
    report.set_defaults(func=cmd_incident_report)
