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
)
from ..errors import ConfigError

DEFAULTS = DeployOptions()


def options_from(args: argparse.Namespace) -> DeployOptions:
    """Return the renderer's options from the parsed command line."""
    version = None
    if getattr(args, "nginx_version", None):
        try:
            version = tuple(int(part) for part in args.nginx_version.split("."))
        except ValueError:
            wrong = args.nginx_version
            raise ConfigError(f"--nginx-version {wrong!r} is not like 1.22.1.") from None
    return DeployOptions(
        server_name=args.server_name,
        listen=tuple(args.listen or DEFAULTS.listen),
        http_listen=tuple(args.http_listen or DEFAULTS.http_listen),
        upstream=args.upstream,
        web_workers=args.workers,
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
        print(f"wrote {path}")
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
    add("--server-name", default="", help="host name (default: from HIROBA_SITE_URL)")
    add("--listen", action="append", help=f"HTTPS address, repeatable (default {d.listen})")
    add("--http-listen", action="append", help=f"HTTP address (default {d.http_listen})")
    add("--upstream", default=d.upstream, help="address of `hiroba web` (host:port)")
    add("--workers", type=int, default=d.web_workers, help="gunicorn workers of hiroba-web")
    add("--tls-cert", default="", help="certificate chain (default: Let's Encrypt's path)")
    add("--tls-key", default="", help="private key (default: Let's Encrypt's path)")
    add("--acme-root", default=d.acme_root, help="folder of Let's Encrypt's challenges")
    add("--brotli", action="store_true", help="compress with brotli too (needs its module)")
    add("--nginx-version", default="", help="write for this nginx (default: the installed)")
    add("--user", default=d.user, help="system user running Hiroba")
    add("--group", default="", help="its group (default: the user's name)")
    add("--env-file", default=d.env_file, help="the environment file the units read")
    add("--hiroba", default="", help="path of the hiroba command (default: this one)")
    add("--log-dir", default=d.log_dir, help="folder of the site's nginx logs")
    add("--standalone", default="", help="a whole nginx.conf running from this folder")
    add("--standalone-user", default="", help="with --standalone: nginx's worker user")


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `hiroba deploy` and its four kinds of output."""
    deploy = sub.add_parser("deploy", help="print the server's files for this instance")
    kinds = deploy.add_subparsers(dest="kind", required=True)
    for name, func in (("nginx", cmd_nginx), ("systemd", cmd_systemd), ("env", cmd_env)):
        parser = kinds.add_parser(name, help=func.__doc__)
        _options(parser)
        parser.set_defaults(func=func)
        if name == "systemd":
            parser.add_argument("--unit-dir", default="", help="write the units here")
    every = kinds.add_parser("all", help=cmd_all.__doc__)
    _options(every)
    every.add_argument("--output", required=True, help="folder to write the files into")
    every.add_argument(
        "--example", action="store_true", help=f"for {EXAMPLE_HOME} (the deploy/ folder)"
    )
    every.set_defaults(func=cmd_all)
