"""An organizer's export of one event's applicants: a CSV inside an AES-encrypted ZIP.

The CSV is UTF-8 with a BOM, so Excel in Japanese opens it; its headers and words are in
the language of the organizer's page (Japanese, or English with ``?lang=en``). The
ZIP's password is generated here and shown once; the encrypted file waits in Redis
under a random id for a few minutes and can be downloaded once, by its creator only.
Every export is written to the ledger (管理簿) and to the audit log.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass

import pyzipper

from .. import redis_keys
from ..formatting import dates, phones
from ..mail import translations
from ..models import Account
from ..protection import audit, ledger
from ..runtime import Runtime
from ..spreadsheet import spreadsheet_csv
from ..store import transaction
from ..validation import N_
from .organizer import (
    CANCELLED,
    CONFIRMED,
    SOURCE_LABELS,
    WAITING,
    applications_in_order,
    open_applicant,
    own_event,
    questions_of,
)

EXPORT_SECONDS = 600
# Letters and digits without look-alikes (0/O, 1/l/I), so the password is typed easily.
PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"  # noqa: S105 - an alphabet
PASSWORD_LENGTH = 16


HEADER = [
    N_("申込番号"),
    N_("状態"),
    N_("人数"),
    N_("氏名"),
    N_("住所"),
    N_("電話番号"),
    N_("メールアドレス"),
    N_("申込日時（日本時間）"),
    N_("出欠"),
    N_("受付方法"),
]
ATTENDED = N_("出席")


@dataclass(frozen=True)
class ExportTicket:
    """What the organizer is shown once: the download id, the password and the count."""

    token: str
    password: str
    file_name: str
    records: int
    ledger_id: int


def _password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


def _state(status: str) -> str:
    if status in CONFIRMED:
        return N_("参加確定")
    if status in WAITING:
        return N_("キャンセル待ち")
    if status in CANCELLED:
        return N_("キャンセル")
    return N_("受付処理中")


def encrypted_zip(name: str, data: bytes, password: str) -> bytes:
    """Return a ZIP holding one file, encrypted with AES-256 under password."""
    buffer = io.BytesIO()
    with pyzipper.AESZipFile(
        buffer, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
    ) as archive:
        archive.setpassword(password.encode())
        archive.setencryption(pyzipper.WZ_AES, nbits=256)
        archive.writestr(name, data)
    return buffer.getvalue()


def create_export(rt: Runtime, account_id: int, post_id: int, lang: str = "ja") -> ExportTicket:
    """Build the encrypted export of one own event with its words in lang, record it, and
    park it for one download."""
    text = translations(lang).gettext
    password, token = _password(), secrets.token_urlsafe(24)
    with transaction(rt.sessions) as session:
        post = own_event(session, account_id, post_id)
        account = session.get(Account, account_id)
        questions = questions_of(post)
        rows = []
        for application in applications_in_order(session, post_id):
            a = open_applicant(rt, application, questions)
            rows.append(
                [
                    a.id,
                    text(_state(a.status)),
                    a.party_size,
                    a.name,
                    a.address,
                    phones.format_phone(a.phone),
                    a.email,
                    dates.format_timestamp(a.created_at),
                    text(ATTENDED) if a.attended else "",
                    text(SOURCE_LABELS.get(a.source, a.source)),
                    *(dict(a.answers).get(q, "") for q in questions),
                ]
            )
        stamp = f"{post_id}-{secrets.token_hex(3)}"
        file_name = f"applicants-{stamp}.zip"
        csv_bytes = spreadsheet_csv([*(text(name) for name in HEADER), *questions], rows)
        archive = encrypted_zip(f"applicants-{post_id}.csv", csv_bytes, password)
        handler = f"{account.public_name if account else ''} (account {account_id})"
        entry = ledger.record_handover(
            session,
            handler=handler,
            action="organizer_export",
            content=f"イベント申込者一覧: {post.title} (post {post_id})",
            counts={"applications": len(rows)},
            recipient=handler,
            file_name=file_name,
        )
        audit.record(
            session,
            account_id,
            "export_personal_data",
            "post",
            post_id,
            count=len(rows),
            detail=f"organizer export, ledger {entry.id}",
        )
        ledger_id = entry.id
    # Parked only once the ledger entry is committed; a Redis error reaches the caller.
    pipe = rt.redis.pipeline(transaction=True)
    pipe.hset(
        redis_keys.export(rt.settings.redis_prefix, token),
        mapping={"account": account_id, "name": file_name, "data": archive},
    )
    pipe.expire(redis_keys.export(rt.settings.redis_prefix, token), EXPORT_SECONDS)
    pipe.execute()
    return ExportTicket(token, password, file_name, len(rows), ledger_id)


def take_export(rt: Runtime, account_id: int, token: str) -> tuple[str, bytes] | None:
    """Return (file name, encrypted ZIP) once, to its creator; None when gone or not theirs."""
    key = redis_keys.export(rt.settings.redis_prefix, token)
    owner = rt.redis.hget(key, "account")
    if owner is None or int(owner) != account_id:
        return None
    pipe = rt.redis.pipeline(transaction=True)
    pipe.hmget(key, ["name", "data"])
    pipe.delete(key)
    (name, data), deleted = pipe.execute()
    if not deleted or name is None or data is None:
        return None  # a concurrent download took it first
    return name.decode(), bytes(data)
