"""Registration, sign-in and staff accounts."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from .. import jobs, outbox
from ..crypto import Vault
from ..deployment import PersonalFields
from ..errors import HirobaError, NotFound
from ..models import Account, Person
from ..protection import audit
from ..protection.access import AccessKind
from ..runtime import Runtime
from ..store import transaction
from . import login_ids
from .models import ACCOUNT_WAITING, AccountStatus
from .passwords import hash_password, needs_rehash, verify_password
from .sessions import end_account_sessions

ROLES = ("individual", "group", "moderator", "staff")
LANGUAGES = ("ja", "en")  # the intake's (intake/web/locale.py): what a registrant may use
PERSON_FIELDS = (
    "name",
    "kana",
    "postal_code",
    "address",
    "phone",
    "fax",
    "email",
    "title",
    "occupation",
    "gender",
    "birth_date",
)


BASE_FIELDS = {
    "individual": ("name", "kana", "postal_code", "address", "phone", "fax", "email"),
    "group": ("name", "kana", "postal_code", "address", "phone", "fax", "email"),
}


def collected_fields(kind: str, personal: PersonalFields) -> tuple[str, ...]:
    """Return the person fields this deployment collects for an individual or a group."""
    optional = personal.optional_for(kind)
    return BASE_FIELDS[kind] + tuple(n for n in PERSON_FIELDS if n in optional)


def person_from(values: Mapping[str, Any], kind: str, personal: PersonalFields) -> PersonData:
    """Return PersonData from submitted values, keeping only the fields that are collected."""
    keep = collected_fields(kind, personal)
    return PersonData(**{name: str(values.get(name) or "") for name in keep})


class LoginTaken(HirobaError):
    """Another account already uses this login ID."""


class NotApproved(HirobaError):
    """The password is right, but the registration waits for a moderator or was refused."""

    def __init__(self, status: str, reason: str = "") -> None:
        super().__init__(status)
        self.status = status
        self.reason = reason  # the moderator's reason of a refusal


@dataclass
class PersonData:
    """The personal fields of one person; empty strings mean not given."""

    name: str
    kana: str = ""
    postal_code: str = ""
    address: str = ""
    phone: str = ""
    fax: str = ""
    email: str = ""
    title: str = ""
    occupation: str = ""
    gender: str = ""
    birth_date: str = ""


@dataclass
class Registration:
    """An individual's or a group's registration as submitted."""

    kind: str
    login: str
    password: str
    public_name: str
    persons: dict[str, PersonData]
    profile: str = ""
    topics: list[str] = field(default_factory=list)
    areas: list[str] = field(default_factory=list)
    language: str = "ja"  # of the form it came through: the outcome mail's language


def login_index(vault: Vault, login: str) -> str:
    """Return the blind index under which a login ID is looked up."""
    return vault.blind_index(login, "login")


def seal_person(vault: Vault, role: str, data: PersonData) -> Person:
    """Return a Person row with every given field sealed."""
    person = Person(role=role)
    for name in PERSON_FIELDS:
        value = getattr(data, name) or None
        setattr(person, f"{name}_enc", vault.seal(value, f"persons.{name}"))
    if data.email:
        person.email_index = vault.blind_index(data.email, "email")
    return person


def open_person(vault: Vault, person: Person) -> PersonData:
    """Return the decrypted fields of a Person row."""
    values = {
        name: vault.open(getattr(person, f"{name}_enc"), f"persons.{name}") or ""
        for name in PERSON_FIELDS
    }
    return PersonData(**values)


def register(
    rt: Runtime, reg: Registration, source: str = "web", entered_by: int | None = None
) -> int:
    """Store a registration durably, owe its ingest to the worker, and return the account id.

    A registration someone else typed in (entered_by) carries a password that person chose:
    the account must change it at its first sign-in (intake/first_password)."""
    # Hashed first: a taken ID must not answer sooner than a free one.
    password_hash = hash_password(reg.password)
    with transaction(rt.sessions) as session:
        index = login_index(rt.vault, reg.login)
        if session.scalar(select(Account.id).where(Account.login_index == index)):
            raise LoginTaken(reg.login)
        account = Account(
            kind=reg.kind,
            status=AccountStatus.RECEIVED,
            source=source,
            login_index=index,
            login_enc=rt.vault.seal(reg.login, "accounts.login"),
            password_hash=password_hash,
            public_name=reg.public_name,
            profile=reg.profile,
            topics=",".join(reg.topics),
            areas=",".join(reg.areas),
            language=reg.language if reg.language in LANGUAGES else "ja",
            must_change_password=entered_by is not None,
        )
        account.persons = [seal_person(rt.vault, role, data) for role, data in reg.persons.items()]
        session.add(account)
        session.flush()
        if entered_by is not None:
            audit.record(
                session,
                entered_by,
                "enter_personal_data",
                "account",
                account.id,
                count=len(account.persons),
                detail=f"{source} registration",
            )
        task = outbox.add_task(session, jobs.INGEST_ACCOUNT, account.id)
        account_id = account.id
    outbox.enqueue_tasks(rt.queue, [task])
    return account_id


def register_public(rt: Runtime, reg: Registration, client: str) -> int:
    """Register from a public form sent from the client address; return the account id.

    Raise LoginTaken alike for an ID another account holds (staff's included) and for a
    reserved one, and RegistrationPaused once client was told that too often (see
    intake/accounts/login_ids.py).
    """
    if not login_ids.may_register(rt, client):
        raise login_ids.RegistrationPaused()
    try:
        if login_ids.is_reserved(reg.login):
            hash_password(reg.password)  # the same work as for any other ID
            raise LoginTaken(reg.login)
        return register(rt, reg)
    except LoginTaken:
        if not login_ids.count_refusal(rt, client):
            raise login_ids.RegistrationPaused() from None
        raise


# Letters and digits that cannot be mistaken for each other when read off paper.
_PLAIN = "abcdefghjkmnpqrstuvwxyz23456789"


def initial_password() -> str:
    """Return a random initial password for a paper registration (16 unambiguous characters)."""
    return "".join(secrets.choice(_PLAIN) for _ in range(16))


def register_on_paper(rt: Runtime, moderator_id: int, reg: Registration) -> tuple[int, str]:
    """Store a registration a moderator typed in from paper; return its id and initial password."""
    reg.password = initial_password()
    account_id = register(rt, reg, source="paper", entered_by=moderator_id)
    return account_id, reg.password


def authenticate(rt: Runtime, login: str, password: str) -> Account | None:
    """Return the active account matching login and password, or None.

    Raise NotApproved when the password is right but the registration is still waiting
    or was refused: only someone who knows the password learns how it stands.
    """
    with transaction(rt.sessions) as session:
        account = session.scalars(
            select(Account).where(Account.login_index == login_index(rt.vault, login))
        ).first()
        if not verify_password(account.password_hash if account else None, password):
            return None
        assert account is not None
        if account.status in ACCOUNT_WAITING or account.status == AccountStatus.REJECTED:
            raise NotApproved(account.status, account.reject_reason)
        if account.status != AccountStatus.ACTIVE:
            return None
        if needs_rehash(account.password_hash):
            account.password_hash = hash_password(password)
        return account


def create_staff(
    rt: Runtime,
    role: str,
    login: str,
    password: str,
    name: str,
    address: str = "",
    language: str = "ja",
) -> int:
    """Create an active moderator or staff account (from the command line); address, when
    given, is sealed as the account's own and gets the moderators' digest, in language."""
    if role not in ("moderator", "staff"):
        raise ValueError(f"role must be moderator or staff, not {role!r}")
    with transaction(rt.sessions) as session:
        index = login_index(rt.vault, login)
        if session.scalar(select(Account.id).where(Account.login_index == index)):
            raise LoginTaken(login)
        account = Account(
            kind=role,
            status=AccountStatus.ACTIVE,
            source="cli",
            login_index=index,
            login_enc=rt.vault.seal(login, "accounts.login"),
            password_hash=hash_password(password),
            public_name=name,
            language=language,
        )
        if address:
            # No blind index: staff never reset a password by mail (SELF_SERVICE_KINDS).
            email_enc = rt.vault.seal(address, "persons.email")
            account.persons.append(Person(role="self", email_enc=email_enc))
        session.add(account)
        session.flush()
        audit.record(session, None, AccessKind.STAFF_CREATED, "account", account.id, 0, role)
        return account.id


def set_staff_address(rt: Runtime, account_id: int, address: str, language: str) -> None:
    """Seal address as a moderator's or staff account's own (empty: remove it) and set the
    language of its mails; NotFound for any other account."""
    with transaction(rt.sessions) as session:
        account = session.get(Account, account_id)
        if account is None or account.kind not in ("moderator", "staff"):
            raise NotFound(f"staff account {account_id}")
        account.language = language
        own = [p for p in account.persons if p.role == "self"]
        for person in own[1:] if address else own:
            account.persons.remove(person)
        if address:
            email_enc = rt.vault.seal(address, "persons.email")
            if own:
                own[0].email_enc = email_enc
            else:
                account.persons.append(Person(role="self", email_enc=email_enc))


class WrongCurrentPassword(HirobaError):
    """The current password given to change it is not the account's."""


def change_password(rt: Runtime, account_id: int, current: str, new: str) -> None:
    """Set a member's new password after checking the current one; audited; sessions end."""
    with transaction(rt.sessions) as session:
        account = session.get(Account, account_id, with_for_update=True)
        if account is None or account.status != AccountStatus.ACTIVE:
            raise NotFound(f"account {account_id}")
        if not verify_password(account.password_hash, current):
            raise WrongCurrentPassword(f"account {account_id}")
        account.password_hash = hash_password(new)
        account.must_change_password = False
        audit.record(session, account.id, "password_changed", "account", account.id, count=0)
    end_account_sessions(rt.redis, rt.settings.redis_prefix, account_id)
