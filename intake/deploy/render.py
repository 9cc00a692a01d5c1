"""Fill the deployment templates (package data in intake/deploy/files) for one instance.

Every value that reaches a file is checked first: a server name, a path or a port that
could end a directive (`;`, `{`, a quote, a space) is refused with one sentence, so no
option can smuggle configuration into nginx or systemd.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path, PurePosixPath

from jinja2 import Environment, FunctionLoader, StrictUndefined

from ..config import SETTINGS, Settings
from ..config.smtp import default_sender
from ..errors import ConfigError
from ..validation import N_
from .headers import CACHE_DEFAULT, CACHE_RULES, CALENDAR_TYPE, COMMON, HSTS, SITE_CSP

MEGABYTE = 1024 * 1024
NGINX = "/usr/sbin/nginx"
MIME_TYPES = "/etc/nginx/mime.types"
# Debian 12 has nginx 1.22: `listen ... http2`. From 1.25.1 `http2 on;` replaces it.
HTTP2_DIRECTIVE_SINCE = (1, 25, 1)
UNITS = (
    "hiroba-web.service",
    "hiroba-worker.service",
    "hiroba-backup.service",
    "hiroba-backup.timer",
    "hiroba-watch.service",
    "hiroba-watch.timer",
)
SERVER_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.?)*")
LISTEN = re.compile(r"(?:(?:\d{1,3}\.){3}\d{1,3}:|\[[0-9A-Fa-f:]+\]:)?(\d{1,5})")
UPSTREAM = re.compile(r"(?:(?:\d{1,3}\.){3}\d{1,3}|\[[0-9A-Fa-f:]+\]|[A-Za-z0-9.-]+):(\d{1,5})")
ACCOUNT = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
PLAIN_PATH = re.compile(r"/[A-Za-z0-9_./+@:=,~-]*")


def typed(value: str) -> str:
    """Return a value the operator typed as it can be shown in a one-line message: line
    breaks and other control characters escaped as Python writes them, the rest as typed."""
    return repr(value)[1:-1]


def _path(name: str, value: str | Path) -> str:
    text = str(value)
    if not PLAIN_PATH.fullmatch(text) or "/../" in f"{text}/":
        raise ConfigError(
            N_(
                "%(name)s の「%(value)s」は、英数字と ./_-+@:=,~ だけの絶対パスにしてください"
                "（空白、引用符、.. は使えません）。"
            ),
            name=name,
            value=typed(text),
        )
    return text


def _port(name: str, value: str, pattern: re.Pattern[str]) -> int:
    match = pattern.fullmatch(value)
    if not match or not 0 < int(match.group(1)) < 65536:
        raise ConfigError(
            N_("%(name)s の「%(value)s」はポート番号でも「アドレス:ポート」でもありません。"),
            name=name,
            value=typed(value),
        )
    return int(match.group(1))


@dataclass(frozen=True)
class DeployOptions:
    """What `hiroba deploy` was asked for; the rest comes from the instance's settings."""

    server_name: str = ""
    listen: tuple[str, ...] = ("443", "[::]:443")
    http_listen: tuple[str, ...] = ("80", "[::]:80")
    upstream: str = "127.0.0.1:8000"
    web_workers: int = 4
    web_threads: int = 8  # and `hiroba web`'s default: why, in intake/cli/running.py
    tls_cert: str = ""
    tls_key: str = ""
    acme_root: str = "/var/www/letsencrypt"
    brotli: bool = False
    nginx_version: tuple[int, ...] | None = None
    user: str = "hiroba"
    group: str = "hiroba"
    env_file: str = "/etc/hiroba/hiroba.env"
    hiroba: str = ""
    log_dir: str = "/var/log/hiroba"
    # A complete nginx.conf running from this folder (pid, temporary files, logs) instead
    # of a site file for /etc/nginx/sites-available: for trying a configuration out.
    standalone_dir: str = ""
    standalone_user: str = ""


def installed_nginx_version(binary: str = NGINX) -> tuple[int, ...] | None:
    """Return the version of the installed nginx, or None when there is none."""
    if not Path(binary).is_file():
        return None
    found = subprocess.run([binary, "-v"], capture_output=True, text=True, check=False)
    match = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", found.stderr + found.stdout)
    return tuple(int(part) for part in match.groups()) if match else None


def hiroba_command() -> str:
    """Return the path of the `hiroba` command beside the running Python (its venv), else
    the one on PATH."""
    beside = Path(sys.executable).parent / "hiroba"
    if beside.is_file():
        return str(beside)
    return shutil.which("hiroba") or "/usr/local/bin/hiroba"


def _server_name(settings: Settings, options: DeployOptions) -> str:
    name = options.server_name
    if not name and settings.site_url:
        name = settings.site_url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    name = name or "hiroba.example.jp"
    if not SERVER_NAME.fullmatch(name) or len(name) > 253:
        raise ConfigError(
            N_("--server-name の「%(name)s」はホスト名ではありません。"), name=typed(name)
        )
    return name


def _template(name: str) -> str:
    return (resources.files("intake.deploy") / "files" / name).read_text(encoding="utf-8")


def _environment() -> Environment:
    return Environment(  # noqa: S701 - configuration files, not HTML; values are checked
        loader=FunctionLoader(_template),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _quoted(value: str) -> str:
    """Quote a value for an nginx directive or a systemd environment file."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _context(settings: Settings, options: DeployOptions) -> dict[str, object]:
    """Return every value the templates use, each checked."""
    server_name = _server_name(settings, options)
    https_ports = [_port("--listen", value, LISTEN) for value in options.listen]
    for value in options.http_listen:
        _port("--http-listen", value, LISTEN)
    if not https_ports:
        raise ConfigError(N_("HTTPS 用の --listen アドレスを一つ以上指定してください。"))
    _port("--upstream", options.upstream, UPSTREAM)
    for account in (options.user, options.group, options.standalone_user):
        if account and not ACCOUNT.fullmatch(account):
            raise ConfigError(
                N_("「%(account)s」はユーザー名でもグループ名でもありません。"),
                account=typed(account),
            )
    letsencrypt = f"/etc/letsencrypt/live/{server_name}"
    version = options.nginx_version or installed_nginx_version() or (1, 22, 1)
    uploads = settings.deployment.uploads
    hiroba = options.hiroba or hiroba_command()
    writable = sorted({str(settings.home), str(settings.content_dir), str(settings.site_dir)})
    return {
        "server_name": server_name,
        "name": re.sub(r"[^A-Za-z0-9_]", "_", settings.redis_prefix),
        "listen": options.listen,
        "http_listen": options.http_listen,
        "https_port_suffix": "" if https_ports[0] == 443 else f":{https_ports[0]}",
        "upstream": options.upstream,
        "web_host": options.upstream.rsplit(":", 1)[0].strip("[]"),
        "web_port": options.upstream.rsplit(":", 1)[1],
        "web_workers": options.web_workers,
        "web_threads": options.web_threads,
        "tls_cert": _path("--tls-cert", options.tls_cert or f"{letsencrypt}/fullchain.pem"),
        "tls_key": _path("--tls-key", options.tls_key or f"{letsencrypt}/privkey.pem"),
        "acme_root": _path("--acme-root", options.acme_root),
        "live_dir": _path("the live site", settings.live_dir),
        "banner_css": _path("the banner", settings.site_dir / "banner" / "banner.css"),
        "home": _path("HIROBA_HOME", settings.home),
        "writable": [_path("a writable folder", path) for path in writable],
        "protect_home": not any(
            PurePosixPath(path).is_relative_to(top)
            for path in (*writable, hiroba)
            for top in ("/home", "/root")
        ),
        "max_body_megabytes": math.ceil(uploads.request_bytes / MEGABYTE) + 1,
        "http2_on": version >= HTTP2_DIRECTIVE_SINCE,
        "brotli": options.brotli,
        "site_headers": [
            (name, _quoted(value))
            for name, value in (("Content-Security-Policy", SITE_CSP), *COMMON)
        ],  # fmt: skip
        "hsts": (HSTS[0], _quoted(HSTS[1])),
        "cache_default": _quoted(CACHE_DEFAULT),
        "cache_rules": [(f"~{rule}".ljust(41), _quoted(value)) for rule, value in CACHE_RULES],
        "calendar_type": _quoted(CALENDAR_TYPE),
        "user": options.user,
        "group": options.group,
        "env_file": _path("--env-file", options.env_file),
        "hiroba": _path("the hiroba command", hiroba),
        "log_dir": _path("--log-dir", options.log_dir),
        "standalone_dir": _path("--standalone", options.standalone_dir)
        if options.standalone_dir
        else "",
        "standalone_user": options.standalone_user,
        "mime_types": MIME_TYPES,
        "access_log": f"{options.standalone_dir}/access.log"
        if options.standalone_dir
        else f"{options.log_dir}/access.log",
        "error_log": f"{options.standalone_dir}/error.log"
        if options.standalone_dir
        else f"{options.log_dir}/error.log",
    }


def render_nginx(settings: Settings, options: DeployOptions) -> str:
    """Return the nginx site for this instance (or a whole nginx.conf when standalone)."""
    name = "nginx-standalone.conf" if options.standalone_dir else "nginx-site.conf"
    return _environment().get_template(name).render(_context(settings, options))


def render_units(settings: Settings, options: DeployOptions) -> dict[str, str]:
    """Return {file name: text} of the systemd units for this instance."""
    context = _context(settings, options)
    env = _environment()
    return {unit: env.get_template(unit).render(context) for unit in UNITS}


def render_logrotate(settings: Settings, options: DeployOptions) -> str:
    """Return the logrotate file for the units' log files."""
    return _environment().get_template("logrotate").render(_context(settings, options))


# The settings an operator sets in production; the others are listed commented out.
PRODUCTION = ("HIROBA_HOME", "HIROBA_ENV", "HIROBA_DATABASE_URL", "HIROBA_REDIS_URL",
              "HIROBA_REDIS_PREFIX", "HIROBA_SITE_URL", "HIROBA_PUBLIC_URL",
              "HIROBA_TRUSTED_PROXIES", "HIROBA_SMTP_HOST", "HIROBA_SMTP_PORT",
              "HIROBA_MAIL_FROM")  # fmt: skip


def _production_values(settings: Settings, server_name: str) -> dict[str, str]:
    origin = f"https://{server_name}"
    return {
        "HIROBA_HOME": str(settings.home),
        "HIROBA_ENV": "production",
        "HIROBA_DATABASE_URL": settings.database_url,
        "HIROBA_REDIS_URL": settings.redis_url,
        "HIROBA_REDIS_PREFIX": settings.redis_prefix,
        "HIROBA_SITE_URL": settings.site_url or origin,
        "HIROBA_PUBLIC_URL": origin
        if settings.public_url == "http://127.0.0.1:8000"
        else settings.public_url,
        "HIROBA_TRUSTED_PROXIES": str(settings.trusted_proxies or 1),
        "HIROBA_SMTP_HOST": settings.smtp_host,
        "HIROBA_SMTP_PORT": str(settings.smtp_port),
        # Unset, the sender is derived from the public URL: derive it from the origin here.
        "HIROBA_MAIL_FROM": settings.mail_from
        if settings.mail_from != default_sender(settings.site_name, settings.public_url)
        else default_sender(settings.site_name, origin),
    }


def render_env(settings: Settings, options: DeployOptions) -> str:
    """Return the environment file: this instance's production values, then every other
    setting commented out with its default and its help."""
    context = _context(settings, options)
    values = _production_values(settings, str(context["server_name"]))
    for name, value in values.items():
        if "\n" in value:
            raise ConfigError(
                N_("%(name)s に改行が含まれているので、環境ファイルに書き込めません。"), name=name
            )
    known = {setting.name: setting for setting in SETTINGS}
    rows = [(name, known[name].help, _quoted(values[name])) for name in PRODUCTION]
    others = [
        (s.name, s.help, _quoted(s.default) if s.default is not None else '""')
        for s in SETTINGS
        if s.name not in PRODUCTION
    ]
    return _environment().get_template("hiroba.env").render(context, production=rows, others=others)


def render_all(settings: Settings, options: DeployOptions) -> dict[str, str]:
    """Return {file name: text} of every deployment file (the deploy/ folder's layout)."""
    return {
        "nginx/hiroba.conf": render_nginx(settings, options),
        **{f"systemd/{unit}": text for unit, text in render_units(settings, options).items()},
        "hiroba.env": render_env(settings, options),
        "logrotate/hiroba": render_logrotate(settings, options),
    }
