"""The moderators' account search: by name, kana, login, phone or e-mail, all sealed.

Personal data is sealed column by column (intake/crypto), so no index can match a part
of a name. A ward's site holds a few thousand accounts: the search opens every sealed
value it compares in memory, on each search, and keeps nothing opened. `make bench-search`
measures it at 5,000 accounts (README). Each search is audited: who, when and how many
accounts matched; never the words searched for.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..models import Account
from ..protection import audit
from ..runtime import Runtime
from ..store import transaction

SEARCHABLE_KINDS = ("individual", "group")
PERSON_FIELDS = ("name", "kana", "phone", "email")
RESULT_LIMIT = 100
_KATAKANA = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}  # カ -> か
_SEPARATORS = re.compile(r"[\s\-‐－ー−()（）]")
_DIGITS_ONLY = re.compile(r"^[\d\-‐－−()（） ]+$")


def normalise(text: str) -> str:
    """Fold width, case and katakana/hiragana, and drop spaces: ｶﾅ, カナ and かな match."""
    folded = unicodedata.normalize("NFKC", text or "").casefold().translate(_KATAKANA)
    return re.sub(r"\s+", "", folded)


def _phone(text: str) -> str:
    """Return only a phone number's digits (03-1234-5678 and 0312345678 match)."""
    return re.sub(r"\D", "", unicodedata.normalize("NFKC", text or ""))


@dataclass(frozen=True)
class Hit:
    """One account found: what the result list shows (no personal data beyond the role)."""

    id: int
    kind: str
    status: str
    public_name: str
    matched: tuple[str, ...]  # which kinds of value matched: "name", "login", "phone"...


def _matches(query: str, digits: str, values: list[tuple[str, str]]) -> tuple[str, ...]:
    found = []
    for name, value in values:
        if name == "phone":
            if digits and digits in _phone(value):
                found.append(name)
        elif value and query in normalise(value):
            found.append(name)
    return tuple(dict.fromkeys(found))


def account_values(rt: Runtime, account: Account) -> list[tuple[str, str]]:
    """Return the account's searchable values, opened: its name, login and persons' data."""
    values = [("name", account.public_name)]
    values.append(("login", rt.vault.open(account.login_enc, "accounts.login") or ""))
    for person in account.persons:
        for name in PERSON_FIELDS:
            opened = rt.vault.open(getattr(person, f"{name}_enc"), f"persons.{name}")
            values.append(("name" if name == "kana" else name, opened or ""))
    return values


def search_accounts(rt: Runtime, moderator_id: int, query: str) -> list[Hit]:
    """Return the individual and group accounts matching query, and audit the search."""
    wanted = normalise(query)
    digits = _phone(query) if _DIGITS_ONLY.match(query.strip() or "x") else ""
    hits: list[Hit] = []
    with transaction(rt.sessions) as session:
        if wanted:
            accounts = session.scalars(
                select(Account)
                .where(Account.kind.in_(SEARCHABLE_KINDS))
                .options(selectinload(Account.persons))
                .order_by(Account.id)
            )
            for account in accounts:
                matched = _matches(wanted, digits, account_values(rt, account))
                if matched:
                    hits.append(
                        Hit(account.id, account.kind, account.status, account.public_name, matched)
                    )
        audit.record(
            session,
            moderator_id,
            "search_accounts",
            "account",
            None,
            count=len(hits),
            detail="account search (the words searched for are not kept)",
        )
    return hits[:RESULT_LIMIT]
