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

from ..models import Account, Person
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


def _opened(rt: Runtime, sealed: dict[str, str | None]) -> list[tuple[str, str]]:
    """Open one row's sealed values: [(kind of value, text)], kana counted as a name."""
    return [
        ("name" if name == "kana" else name, rt.vault.open(token, f"persons.{name}") or "")
        for name, token in sealed.items()
    ]


def search_accounts(rt: Runtime, moderator_id: int, query: str) -> list[Hit]:
    """Return the individual and group accounts matching query, and audit the search.

    Plain rows, not ORM objects: the search reads every searchable account at each run.
    """
    wanted = normalise(query)
    digits = _phone(query) if _DIGITS_ONLY.match(query.strip() or "x") else ""
    hits: list[Hit] = []
    columns = [getattr(Person, f"{name}_enc") for name in PERSON_FIELDS]
    with transaction(rt.sessions) as session:
        if wanted:
            persons: dict[int, list[tuple[str, str]]] = {}
            rows = session.execute(
                select(Person.account_id, *columns)
                .join(Account, Account.id == Person.account_id)
                .where(Account.kind.in_(SEARCHABLE_KINDS))
            )
            for account_id, *sealed in rows:
                values = _opened(rt, dict(zip(PERSON_FIELDS, sealed, strict=True)))
                persons.setdefault(account_id, []).extend(values)
            accounts = session.execute(
                select(
                    Account.id, Account.kind, Account.status, Account.public_name, Account.login_enc
                )
                .where(Account.kind.in_(SEARCHABLE_KINDS))
                .order_by(Account.id)
            )
            for account_id, kind, status, public_name, login_enc in accounts:
                values = [("name", public_name)]
                values.append(("login", rt.vault.open(login_enc, "accounts.login") or ""))
                matched = _matches(wanted, digits, values + persons.get(account_id, []))
                if matched:
                    hits.append(Hit(account_id, kind, status, public_name, matched))
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
