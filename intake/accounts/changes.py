"""Change requests (登録情報変更申請): a user proposes, a moderator approves or rejects.

The proposed values are sealed while the request waits. A decision erases them: an
approved change lives on in the person's row, a rejected one is gone. The audit log
names the fields that changed, never their values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields

from sqlalchemy import select

from ..errors import HirobaError, InvalidTransition, NotFound
from ..models import Account, ChangeRequest, Person, utcnow
from ..protection import audit
from ..runtime import Runtime
from ..store import transaction
from .models import AccountStatus, ChangeRequestStatus, EntrySource
from .services import PersonData, collected_fields, open_person

CONTEXT = "change_requests.proposed"
SELF_SERVICE_KINDS = ("individual", "group")

FIELD_LABELS = {
    "name": "氏名",
    "kana": "ふりがな",
    "postal_code": "郵便番号",
    "address": "住所",
    "phone": "電話番号",
    "fax": "FAX番号",
    "email": "メールアドレス",
    "title": "役職",
    "occupation": "職業",
    "gender": "性別",
    "birth_date": "生年月日",
}


class NoChanges(HirobaError):
    """The proposal is the same as the registered data."""


@dataclass
class OwnData:
    """What a signed-in individual or group sees of its own registration."""

    account: Account
    persons: list[tuple[str, PersonData]]
    requests: list[ChangeRequest]


@dataclass
class Review:
    """A change request as a moderator sees it: only the changed fields, old beside new."""

    request: ChangeRequest
    account: Account
    rows: list[tuple[str, str, str]]


def own_data(rt: Runtime, account_id: int) -> OwnData:
    """Return an account's own registered data, decrypted, and its change requests."""
    with rt.sessions() as session:
        account = session.get(Account, account_id)
        if account is None or account.kind not in SELF_SERVICE_KINDS:
            raise NotFound(f"account {account_id}")
        persons = [(p.role, open_person(rt.vault, p)) for p in account.persons]
        requests = list(
            session.scalars(
                select(ChangeRequest)
                .where(ChangeRequest.account_id == account_id)
                .order_by(ChangeRequest.id.desc())
            )
        )
        return OwnData(account=account, persons=persons, requests=requests)


def current_person(
    rt: Runtime, account_id: int, role: str, staff_id: int | None = None
) -> tuple[str, PersonData]:
    """Return the account's kind and one of its persons' data, for the change form; a
    moderator's read (staff_id, to type in a change received by phone or paper) is audited."""
    with transaction(rt.sessions) as session:
        account = session.get(Account, account_id)
        person = _person(account, role)
        assert account is not None
        if staff_id is not None:
            if account.status != AccountStatus.ACTIVE:
                raise NotFound(f"account {account_id}")
            audit.record(
                session,
                staff_id,
                "view_personal_data",
                "account",
                account_id,
                count=1,
                detail=f"change request entry; {role}",
            )
        return account.kind, open_person(rt.vault, person)


def _person(account: Account | None, role: str) -> Person:
    if account is None or account.kind not in SELF_SERVICE_KINDS:
        raise NotFound("account")
    for person in account.persons:
        if person.role == role:
            return person
    raise NotFound(f"person {role}")


def propose(
    rt: Runtime,
    account_id: int,
    role: str,
    proposed: PersonData,
    source: EntrySource = EntrySource.WEB,
    entered_by: int | None = None,
) -> int:
    """Store the fields that differ from the registered data, sealed; return the request id.

    A request a moderator typed in from a phone call or paper (entered_by) is the same
    record, marked with its source and the moderator, audited, and decided like any other.
    """
    personal = rt.settings.deployment.personal_fields
    with transaction(rt.sessions) as session:
        account = session.get(Account, account_id)
        person = _person(account, role)
        assert account is not None
        if account.status != AccountStatus.ACTIVE:
            raise InvalidTransition(f"account {account_id} is {account.status}")
        current = open_person(rt.vault, person)
        changed = {
            name: getattr(proposed, name)
            for name in collected_fields(account.kind, personal)
            if getattr(proposed, name) != getattr(current, name)
        }
        if not changed:
            raise NoChanges(role)
        request = ChangeRequest(
            account_id=account_id,
            person_role=role,
            proposed_enc=rt.vault.seal(json.dumps(changed, ensure_ascii=False), CONTEXT),
            fields=",".join(changed),
            status=ChangeRequestStatus.PENDING,
            source=source,
            entered_by=entered_by,
        )
        session.add(request)
        session.flush()
        if entered_by is not None:
            audit.record(
                session,
                entered_by,
                "enter_personal_data",
                "change_request",
                request.id,
                count=len(changed),
                detail=f"{source} change request; {role}; fields: {','.join(changed)}",
            )
        return request.id


def pending_requests(rt: Runtime) -> list[ChangeRequest]:
    """Return the change requests awaiting a decision, oldest first (no personal data)."""
    with rt.sessions() as session:
        return list(
            session.scalars(
                select(ChangeRequest)
                .where(ChangeRequest.status == ChangeRequestStatus.PENDING)
                .order_by(ChangeRequest.id)
            )
        )


def public_names(rt: Runtime, account_ids: list[int]) -> dict[int, str]:
    """Return the public names of these accounts, for lists."""
    with rt.sessions() as session:
        rows = session.execute(
            select(Account.id, Account.public_name).where(Account.id.in_(account_ids))
        )
        return {row.id: row.public_name for row in rows}


def _proposed(rt: Runtime, request: ChangeRequest) -> dict[str, str]:
    raw = rt.vault.open(request.proposed_enc, CONTEXT)
    return json.loads(raw) if raw else {}


def review(rt: Runtime, moderator_id: int, request_id: int) -> Review:
    """Return old and new values of the changed fields for a moderator, and audit the read."""
    with transaction(rt.sessions) as session:
        request = session.get(ChangeRequest, request_id)
        if request is None:
            raise NotFound(f"change request {request_id}")
        account = session.get(Account, request.account_id)
        assert account is not None
        proposed = _proposed(rt, request)
        rows: list[tuple[str, str, str]] = []
        if proposed:
            current = open_person(rt.vault, _person(account, request.person_role))
            rows = [(name, getattr(current, name), new) for name, new in proposed.items()]
            audit.record(
                session,
                moderator_id,
                "view_personal_data",
                "change_request",
                request_id,
                count=len(rows),
                detail=f"change request review; fields: {','.join(proposed)}",
            )
        return Review(request=request, account=account, rows=rows)


def decide(
    rt: Runtime, moderator_id: int, request_id: int, approve: bool, reason: str = ""
) -> None:
    """Apply (in one transaction) or reject a waiting change request; erase the proposal."""
    personal = rt.settings.deployment.personal_fields
    with transaction(rt.sessions) as session:
        request = session.get(ChangeRequest, request_id, with_for_update=True)
        if request is None:
            raise NotFound(f"change request {request_id}")
        if request.status != ChangeRequestStatus.PENDING:
            raise InvalidTransition(f"change request {request_id} is {request.status}")
        if approve:
            account = session.get(Account, request.account_id)
            person = _person(account, request.person_role)
            assert account is not None
            allowed = set(collected_fields(account.kind, personal))
            applied = {k: v for k, v in _proposed(rt, request).items() if k in allowed}
            known = {f.name for f in fields(PersonData)}
            for name, value in applied.items():
                if name not in known:
                    continue
                setattr(person, f"{name}_enc", rt.vault.seal(value or None, f"persons.{name}"))
                if name == "email":
                    person.email_index = rt.vault.blind_index(value, "email") if value else None
            audit.record(
                session,
                moderator_id,
                "change_personal_data",
                "account",
                request.account_id,
                count=len(applied),
                detail=f"change request {request_id}; {request.person_role}; "
                f"fields: {','.join(applied)}",
            )
        else:  # refused: nothing is applied, but who refused whose request is on record
            audit.record(
                session,
                moderator_id,
                "refuse_change_request",
                "account",
                request.account_id,
                detail=f"change request {request_id}; {request.person_role}",
            )
        request.status = ChangeRequestStatus.APPROVED if approve else ChangeRequestStatus.REJECTED
        request.reason = reason
        request.moderator_id = moderator_id
        request.decided_at = utcnow()
        request.proposed_enc = None
