"""The mail settings that are more than one value: the SMTP login (TLS, user, password or
its file, CA file) and the default sender."""

from __future__ import annotations

from ipaddress import ip_address
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..errors import ConfigError
from ..validation import N_

NOT_A_FILE = N_("%(name)s=%(raw)r はファイルではありません。")


def default_sender(site_name: str, public_url: str) -> str:
    """Return `<site name> 事務局 <office@host of the public URL>` (localhost for an address)."""
    host = urlsplit(public_url).hostname or "localhost"
    try:
        ip_address(host)
        host = "localhost"
    except ValueError:
        pass
    name = "".join(c for c in site_name if c not in '<>@"\\' and c.isprintable())
    return f"{name} 事務局 <office@{host}>"


def smtp_login(values: dict[str, Any]) -> dict[str, Any]:
    """Resolve TLS, user and password (from the variable or its file) of the SMTP server."""
    tls, user = values["HIROBA_SMTP_TLS"], values["HIROBA_SMTP_USER"]
    password, password_file = values["HIROBA_SMTP_PASSWORD"], values["HIROBA_SMTP_PASSWORD_FILE"]
    if password and password_file:
        raise ConfigError(
            N_(
                "HIROBA_SMTP_PASSWORD と HIROBA_SMTP_PASSWORD_FILE の"
                "どちらか一方だけを設定してください。"
            )
        )
    if password_file:
        path = Path(password_file)
        if not path.is_file():
            raise ConfigError(NOT_A_FILE, name="HIROBA_SMTP_PASSWORD_FILE", raw=password_file)
        password = path.read_text(encoding="utf-8").rstrip("\r\n")
    if password and not user:
        raise ConfigError(
            N_(
                "SMTP のパスワードがあるのに HIROBA_SMTP_USER がないので、"
                "利用者も設定してください。"
            )
        )
    if user and tls == "off" and not _is_loopback(values["HIROBA_SMTP_HOST"]):
        raise ConfigError(
            N_(
                "HIROBA_SMTP_TLS=off で別のサーバーに HIROBA_SMTP_USER を使うとパスワードが"
                "暗号化されずに送られるので、HIROBA_SMTP_TLS=starttls か tls にしてください。"
            )
        )
    ca_file = values["HIROBA_SMTP_CA_FILE"]
    if ca_file and not Path(ca_file).is_file():
        raise ConfigError(NOT_A_FILE, name="HIROBA_SMTP_CA_FILE", raw=ca_file)
    return {
        "smtp_tls": tls,
        "smtp_user": user,
        "smtp_password": password,
        "smtp_ca_file": ca_file,
    }


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False
