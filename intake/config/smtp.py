"""The mail settings that are more than one value: the SMTP login (TLS, user, password or
its file, CA file) and the default sender."""

from __future__ import annotations

from ipaddress import ip_address
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..errors import ConfigError


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
        raise ConfigError("Set HIROBA_SMTP_PASSWORD or HIROBA_SMTP_PASSWORD_FILE, not both.")
    if password_file:
        path = Path(password_file)
        if not path.is_file():
            raise ConfigError(f"HIROBA_SMTP_PASSWORD_FILE={password_file!r} is not a file.")
        password = path.read_text(encoding="utf-8").rstrip("\r\n")
    if password and not user:
        raise ConfigError("An SMTP password is set without HIROBA_SMTP_USER; set the user too.")
    if user and tls == "off" and not _is_loopback(values["HIROBA_SMTP_HOST"]):
        raise ConfigError(
            "HIROBA_SMTP_USER is set with HIROBA_SMTP_TLS=off to a remote server: the password "
            "would travel in clear; set HIROBA_SMTP_TLS=starttls or tls."
        )
    ca_file = values["HIROBA_SMTP_CA_FILE"]
    if ca_file and not Path(ca_file).is_file():
        raise ConfigError(f"HIROBA_SMTP_CA_FILE={ca_file!r} is not a file.")
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
