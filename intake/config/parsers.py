"""Parsers of environment setting values: each returns the value or raises ValueError
with the sentence the operator sees (``hiroba check`` and start-up print it)."""

from __future__ import annotations

import re
from email.utils import getaddresses, parseaddr
from ipaddress import IPv4Network, IPv6Network, ip_network

from ..validation import N_


def positive_int(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(N_("正の整数にしてください")) from None
    if value <= 0:
        raise ValueError(N_("正の整数にしてください"))
    return value


def flag(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(N_("1、0、true、false、yes、no、on、off のどれかにしてください"))


def whole_number(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(N_("0 以上の整数にしてください")) from None
    if value < 0:
        raise ValueError(N_("0 以上の整数にしてください"))
    return value


def rate_limit(raw: str) -> str:
    """Accept a Flask-Limiter rate such as '30 per minute' or '10/minute;100/hour'."""
    from limits import parse_many

    try:
        parse_many(raw)
    except ValueError:
        raise ValueError(N_("'30 per minute' のような頻度にしてください")) from None
    return raw


def clock_range(raw: str) -> tuple[int, int]:
    """Parse 'HH:MM-HH:MM' into minutes after midnight (start, end)."""
    try:
        start, end = (int(h) * 60 + int(m) for h, m in (p.split(":") for p in raw.split("-")))
    except ValueError:
        raise ValueError(N_("08:00-20:00 の形にしてください")) from None
    if not 0 <= start < end <= 24 * 60:
        raise ValueError(N_("08:00-20:00 の形で、始まりを終わりより前にしてください"))
    return start, end


DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def weekdays(raw: str) -> frozenset[int]:
    """Parse 'mon-fri' or 'mon,tue,sat' into weekday numbers (Monday is 0)."""
    days: set[int] = set()
    try:
        for part in raw.lower().replace(" ", "").split(","):
            first, _, last = part.partition("-")
            a, b = DAYS.index(first), DAYS.index(last or first)
            days.update(range(a, b + 1))
    except ValueError:
        raise ValueError(N_("mon-fri や mon,wed,sat のように曜日を書いてください")) from None
    if not days:
        raise ValueError(N_("曜日を一つ以上書いてください"))
    return frozenset(days)


def environment(raw: str) -> str:
    if raw not in {"development", "production"}:
        raise ValueError(N_("'development' か 'production' にしてください"))
    return raw


def redis_prefix(raw: str) -> str:
    """Parse HIROBA_REDIS_PREFIX: letters, digits, '_', '-' and '.', at most 40."""
    if (
        not raw
        or len(raw) > 40
        or not all(c.isascii() and (c.isalnum() or c in "_-.") for c in raw)
    ):
        raise ValueError(N_("1〜40文字の半角英数字、'_'、'-'、'.' にしてください"))
    return raw


def log_format(raw: str) -> str:
    """Parse HIROBA_LOG_FORMAT: text (one readable line) or json (one object per line)."""
    if raw not in {"text", "json"}:
        raise ValueError(N_("'text' か 'json' にしてください"))
    return raw


def smtp_tls(raw: str) -> str:
    """Parse HIROBA_SMTP_TLS: starttls, tls (implicit, port 465) or off."""
    if raw not in {"starttls", "tls", "off"}:
        raise ValueError(N_("'starttls'、'tls'、'off' のどれかにしてください"))
    return raw


def one_line(raw: str) -> str:
    """Refuse a value with a line break or another control character (a header's value)."""
    if any(ord(c) < 32 or ord(c) == 127 for c in raw):
        raise ValueError(N_("制御文字のない1行にしてください"))
    return raw


def networks(raw: str) -> tuple[IPv4Network | IPv6Network, ...]:
    """Parse a comma-separated list of addresses and CIDR networks (e.g. 10.0.0.5,10.1.0.0/16)."""
    found = []
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            found.append(ip_network(part, strict=False))
        except ValueError:
            raise ValueError(
                N_("%(part)r はアドレスでも 10.0.0.0/8 のようなネットワークでもありません"),
                {"part": part},
            ) from None
    return tuple(found)


ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*")


def sender(raw: str) -> str:
    """Parse a sender such as `しんじゅく広場 事務局 <office@example.jp>` or a bare address."""
    one_line(raw)
    if len(getaddresses([raw])) != 1:
        raise ValueError(N_("アドレスを一つにしてください"))
    name, address = parseaddr(raw)
    if not ADDRESS.fullmatch(address):
        raise ValueError(
            N_("'しんじゅく広場 事務局 <office@example.jp>' のようなアドレスにしてください")
        )
    if "<" in raw and not raw.rstrip().endswith(">"):
        raise ValueError(N_("山かっこで囲んだアドレスで終えてください"))
    if any(c in name for c in "<>@"):
        raise ValueError(N_("表示名に <、>、@ は使えません"))
    return raw.strip()
