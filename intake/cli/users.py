"""The `hiroba` commands for accounts: create a moderator or staff account, disable one."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from ..config import Settings


def cmd_create_user(settings: Settings, args: argparse.Namespace) -> int:
    """Create an active moderator or ward-staff account."""
    from ..accounts.second_factor import enrol_account
    from ..accounts.services import LoginTaken, create_staff
    from ..runtime import Runtime
    from ..validation import InvalidInput, email, login_id, password

    secret = os.environ.get("HIROBA_PASSWORD") or getpass.getpass("password: ")
    try:
        login, secret = login_id(args.login), password(secret)
        address = email(args.email) if args.email else ""
    except InvalidInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rt = Runtime.from_settings(settings)
    try:
        account_id = create_staff(
            rt, args.role, login, secret, args.name or args.login, address, args.language
        )
        enrolment = enrol_account(rt, account_id)
    except LoginTaken:
        print(f"error: the login {login!r} is taken", file=sys.stderr)
        return 2
    finally:
        rt.close()
    print(f"created {args.role} {login} (account {account_id})")
    print(enrolment.describe())
    return 0


def cmd_disable_user(settings: Settings, args: argparse.Namespace) -> int:
    """Disable an account by its login and end all of its sessions at once."""
    from ..accounts.signin import account_by_login, disable_account
    from ..errors import InvalidTransition, NotFound
    from ..runtime import Runtime

    rt = Runtime.from_settings(settings)
    try:
        account_id = account_by_login(rt, args.login)
        disable_account(rt, None, account_id, f"hiroba disable-user: {args.reason}".strip())
    except NotFound:
        print(f"error: no account signs in as {args.login!r}", file=sys.stderr)
        return 2
    except InvalidTransition:
        print(f"error: account {args.login!r} is not active", file=sys.stderr)
        return 2
    finally:
        rt.close()
    print(f"disabled account {account_id}; its sessions have ended")
    return 0


def cmd_set_user_email(settings: Settings, args: argparse.Namespace) -> int:
    """Set (or, with --email "", remove) a moderator's address for the digest, and its language."""
    from ..accounts.services import set_staff_address
    from ..accounts.signin import account_by_login
    from ..errors import NotFound
    from ..runtime import Runtime
    from ..validation import InvalidInput, email

    try:
        address = email(args.email) if args.email else ""
    except InvalidInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rt = Runtime.from_settings(settings)
    try:
        account_id = account_by_login(rt, args.login)
        set_staff_address(rt, account_id, address, args.language)
    except NotFound:
        print(f"error: no moderator or staff account signs in as {args.login!r}", file=sys.stderr)
        return 2
    finally:
        rt.close()
    print(
        f"account {account_id}: address {'set' if address else 'removed'}, mails in {args.language}"
    )
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register this module's commands on the `hiroba` parser."""
    user = sub.add_parser("create-user", help=cmd_create_user.__doc__)
    user.add_argument("--role", choices=["moderator", "staff"], required=True)
    user.add_argument("--login", required=True)
    user.add_argument("--name", help="display name (default: the login)")
    user.add_argument("--email", default="", help="a moderator's address for the digest mail")
    user.add_argument(
        "--language", choices=["ja", "en"], default="ja", help="the language of its mails"
    )
    user.set_defaults(func=cmd_create_user)

    mail = sub.add_parser("set-user-email", help=cmd_set_user_email.__doc__)
    mail.add_argument("--login", required=True)
    mail.add_argument("--email", required=True, help='the address; "" removes it')
    mail.add_argument("--language", choices=["ja", "en"], default="ja")
    mail.set_defaults(func=cmd_set_user_email)

    disable = sub.add_parser("disable-user", help=cmd_disable_user.__doc__)
    disable.add_argument("--login", required=True)
    disable.add_argument("--reason", default="", help="kept in the audit log")
    disable.set_defaults(func=cmd_disable_user)
