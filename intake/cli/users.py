"""The `hiroba` commands for accounts: create a moderator or staff account, disable one."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import TYPE_CHECKING

from ..config import Settings
from .language import _, invalid

if TYPE_CHECKING:
    from ..accounts.second_factor import Enrolment


def enrolment_text(enrolment: Enrolment) -> str:
    """Return a new second factor as `create-user` and `demo` print it, once."""
    codes = "\n".join(f"  {code}" for code in enrolment.recovery_codes)
    return "\n".join(
        (
            _("二段階認証（表示はこの一度だけです。Hiroba は読める形の写しを残しません）:"),
            "  " + _("秘密鍵 (base32): %(secret)s") % {"secret": enrolment.secret},
            f"  otpauth URI: {enrolment.uri}",
            "  " + _("認証アプリに登録してください（URI を QR コードとして読むか、秘密鍵を入力）"),
            _("回復コード（それぞれ一度だけ使えます）:"),
            codes,
        )
    )


def cmd_create_user(settings: Settings, args: argparse.Namespace) -> int:
    """Create an active moderator or ward-staff account."""
    from ..accounts.second_factor import enrol_account
    from ..accounts.services import LoginTaken, create_staff
    from ..runtime import Runtime
    from ..validation import InvalidInput, email, login_id, password

    secret = os.environ.get("HIROBA_PASSWORD") or getpass.getpass(_("パスワード: "))
    try:
        login, secret = login_id(args.login), password(secret)
        address = email(args.email) if args.email else ""
    except InvalidInput as exc:
        print(_("エラー: %(problem)s") % {"problem": invalid(exc)}, file=sys.stderr)
        return 2
    rt = Runtime.from_settings(settings)
    try:
        account_id = create_staff(
            rt, args.role, login, secret, args.name or args.login, address, args.language
        )
        enrolment = enrol_account(rt, account_id)
    except LoginTaken:
        print(
            _("エラー: ログインID %(login)r はすでに使われています") % {"login": login},
            file=sys.stderr,
        )
        return 2
    finally:
        rt.close()
    print(
        _("%(role)s %(login)s を作成しました（アカウント %(id)s）")
        % {"role": args.role, "login": login, "id": account_id}
    )
    print(enrolment_text(enrolment))
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
        print(
            _("エラー: ログインID %(login)r のアカウントはありません") % {"login": args.login},
            file=sys.stderr,
        )
        return 2
    except InvalidTransition:
        print(
            _("エラー: アカウント %(login)r は有効ではありません") % {"login": args.login},
            file=sys.stderr,
        )
        return 2
    finally:
        rt.close()
    print(
        _("アカウント %(id)s を無効にしました。ログイン中のセッションは終了しました")
        % {"id": account_id}
    )
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
        print(_("エラー: %(problem)s") % {"problem": invalid(exc)}, file=sys.stderr)
        return 2
    rt = Runtime.from_settings(settings)
    try:
        account_id = account_by_login(rt, args.login)
        set_staff_address(rt, account_id, address, args.language)
    except NotFound:
        print(
            _("エラー: ログインID %(login)r の審査担当者・職員アカウントはありません")
            % {"login": args.login},
            file=sys.stderr,
        )
        return 2
    finally:
        rt.close()
    done = (
        _("アカウント %(id)s: アドレスを設定しました。メールの言語: %(lang)s")
        if address
        else _("アカウント %(id)s: アドレスを削除しました。メールの言語: %(lang)s")
    )
    print(done % {"id": account_id, "lang": args.language})
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register this module's commands on the `hiroba` parser."""
    user = sub.add_parser(
        "create-user",
        help=_("有効な審査担当者（moderator）または区職員（staff）のアカウントを作ります"),
    )
    user.add_argument("--role", choices=["moderator", "staff"], required=True, help=_("役割"))
    user.add_argument("--login", required=True, help=_("ログインID"))
    user.add_argument("--name", help=_("表示名（既定: ログインID）"))
    user.add_argument("--email", default="", help=_("審査担当者のまとめメールの宛先"))
    user.add_argument("--language", choices=["ja", "en"], default="ja", help=_("メールの言語"))
    user.set_defaults(func=cmd_create_user)

    mail = sub.add_parser(
        "set-user-email",
        help=_('審査担当者のまとめメールの宛先とその言語を設定します（--email "" で削除）'),
    )
    mail.add_argument("--login", required=True, help=_("ログインID"))
    mail.add_argument("--email", required=True, help=_('アドレス（"" で削除）'))
    mail.add_argument("--language", choices=["ja", "en"], default="ja", help=_("メールの言語"))
    mail.set_defaults(func=cmd_set_user_email)

    disable = sub.add_parser(
        "disable-user", help=_("アカウントをログインIDで無効にし、そのセッションをすべて終了します")
    )
    disable.add_argument("--login", required=True, help=_("ログインID"))
    disable.add_argument("--reason", default="", help=_("理由（監査ログに残ります）"))
    disable.set_defaults(func=cmd_disable_user)
