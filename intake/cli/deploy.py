"""`hiroba deploy nginx|systemd|env|all`: print the server's files filled in for this instance.

Paths come from HIROBA_HOME (and HIROBA_SITE_DIR, HIROBA_CONTENT_DIR); the options name
what the instance cannot know: the server's name, the ports, the certificate. Nothing is
edited by hand, so running the command again after a change is the way to update a file.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import replace
from pathlib import Path

from ..config import Settings
from ..deploy.render import (
    DeployOptions,
    render_all,
    render_env,
    render_logrotate,
    render_nginx,
    render_units,
    typed,
)
from ..errors import ConfigError
from ..validation import N_
from .language import _

DEFAULTS = DeployOptions()


def options_from(args: argparse.Namespace) -> DeployOptions:
    """Return the renderer's options from the parsed command line."""
    version = None
    if getattr(args, "nginx_version", None):
        try:
            version = tuple(int(part) for part in args.nginx_version.split("."))
        except ValueError:
            wrong = args.nginx_version
            raise ConfigError(
                N_("--nginx-version の「%(version)s」は 1.22.1 のような形ではありません。"),
                version=typed(wrong),
            ) from None
    return DeployOptions(
        server_name=args.server_name,
        listen=tuple(args.listen or DEFAULTS.listen),
        http_listen=tuple(args.http_listen or DEFAULTS.http_listen),
        upstream=args.upstream,
        web_workers=args.workers,
        web_threads=args.threads,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        acme_root=args.acme_root,
        brotli=args.brotli,
        nginx_version=version,
        user=args.user,
        group=args.group or args.user,
        env_file=args.env_file,
        hiroba=args.hiroba,
        log_dir=args.log_dir,
        standalone_dir=str(Path(args.standalone).resolve()) if args.standalone else "",
        standalone_user=args.standalone_user,
    )


def _write(folder: Path, files: dict[str, str]) -> int:
    """Write each file under folder (the environment file 0640: it may hold passwords)."""
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        os.chmod(path, 0o640 if name.endswith(".env") else 0o644)
        print(_("書き出しました: %(path)s") % {"path": path})
    return 0


def cmd_nginx(settings: Settings, args: argparse.Namespace) -> int:
    """Print the nginx site: the static site with security headers, TLS, /app/ proxied."""
    print(render_nginx(settings, options_from(args)), end="")
    return 0


def cmd_systemd(settings: Settings, args: argparse.Namespace) -> int:
    """Print the systemd units (or write them into --unit-dir) and the logrotate file."""
    options = options_from(args)
    units = render_units(settings, options)
    if args.unit_dir:
        return _write(Path(args.unit_dir), units)
    for name, text in units.items():
        print(f"### {name}\n{text}")
    print(f"### logrotate (/etc/logrotate.d/hiroba)\n{render_logrotate(settings, options)}", end="")
    return 0


def cmd_env(settings: Settings, args: argparse.Namespace) -> int:
    """Print the environment file: production values first, every other setting after."""
    print(render_env(settings, options_from(args)), end="")
    return 0


# `hiroba deploy all --example`: the repository's deploy/ folder, whatever this machine has.
EXAMPLE_HOME = "/srv/hiroba/instance"
EXAMPLE = {"server_name": "hiroba.example.jp", "hiroba": "/srv/hiroba/venv/bin/hiroba",
           "nginx_version": (1, 22, 1)}  # fmt: skip


def cmd_all(settings: Settings, args: argparse.Namespace) -> int:
    """Write every file into --output (the layout of the repository's deploy/ folder)."""
    options = options_from(args)
    if args.example:
        settings = Settings.from_env({"HIROBA_HOME": EXAMPLE_HOME})
        options = replace(options, **EXAMPLE)  # type: ignore[arg-type]
    return _write(Path(args.output), render_all(settings, options))


def _options(parser: argparse.ArgumentParser) -> None:
    d = DEFAULTS
    add = parser.add_argument
    add("--server-name", default="", help=_("ホスト名（既定: HIROBA_SITE_URL から）"))
    listen = _("HTTPS のアドレス、繰り返し可（既定 %(value)s）") % {"value": d.listen}
    add("--listen", action="append", help=listen)
    http_listen = _("HTTP のアドレス（既定 %(value)s）") % {"value": d.http_listen}
    add("--http-listen", action="append", help=http_listen)
    add("--upstream", default=d.upstream, help=_("`hiroba web` のアドレス（host:port）"))
    add("--workers", type=int, default=d.web_workers, help=_("hiroba-web の gunicorn ワーカー数"))
    threads = _("hiroba-web のワーカーごとのスレッド数（既定 %(value)s）") % {
        "value": d.web_threads
    }
    add("--threads", type=int, default=d.web_threads, help=threads)
    add("--tls-cert", default="", help=_("証明書チェーン（既定: Let's Encrypt のパス）"))
    add("--tls-key", default="", help=_("秘密鍵（既定: Let's Encrypt のパス）"))
    add("--acme-root", default=d.acme_root, help=_("Let's Encrypt のチャレンジのフォルダー"))
    add("--brotli", action="store_true", help=_("brotli でも圧縮します（そのモジュールが必要）"))
    add(
        "--nginx-version",
        default="",
        help=_("この nginx 向けに書きます（既定: インストール済みのもの）"),
    )
    add("--user", default=d.user, help=_("Hiroba を動かすシステムの利用者"))
    add("--group", default="", help=_("そのグループ（既定: 利用者名）"))
    add("--env-file", default=d.env_file, help=_("ユニットが読む環境ファイル"))
    add("--hiroba", default="", help=_("hiroba コマンドのパス（既定: このコマンド）"))
    add("--log-dir", default=d.log_dir, help=_("サイトの nginx ログのフォルダー"))
    add("--standalone", default="", help=_("このフォルダーから動く nginx.conf 一式"))
    add("--standalone-user", default="", help=_("--standalone のとき: nginx のワーカーの利用者"))


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `hiroba deploy` and its four kinds of output."""
    deploy = sub.add_parser("deploy", help=_("このインスタンス用のサーバーのファイルを表示します"))
    kinds = deploy.add_subparsers(dest="kind", required=True)
    helps = {
        "nginx": _(
            "nginx のサイト設定を表示します（静的サイト、セキュリティヘッダー、TLS、/app/ の転送）"
        ),
        "systemd": _(
            "systemd のユニット（--unit-dir なら書き出し）と logrotate のファイルを表示します"
        ),
        "env": _("環境ファイルを表示します（本番の値が先、ほかの設定が後）"),
    }
    for name, func in (("nginx", cmd_nginx), ("systemd", cmd_systemd), ("env", cmd_env)):
        parser = kinds.add_parser(name, help=helps[name])
        _options(parser)
        parser.set_defaults(func=func)
        if name == "systemd":
            parser.add_argument("--unit-dir", default="", help=_("ユニットをここに書き出します"))
    every = kinds.add_parser(
        "all",
        help=_("すべてのファイルを --output に書き出します（リポジトリの deploy/ と同じ配置）"),
    )
    _options(every)
    every.add_argument("--output", required=True, help=_("書き出すフォルダー"))
    every.add_argument(
        "--example",
        action="store_true",
        help=_("%(home)s 向け（deploy/ フォルダー）") % {"home": EXAMPLE_HOME},
    )
    every.set_defaults(func=cmd_all)
