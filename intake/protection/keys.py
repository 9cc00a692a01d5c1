"""Rotation of the data keys: add a key, re-encrypt every sealed value, retire old keys.

Rotation runs beside the live app. Every token names its key, and every process re-reads
data-keys.json when it changes (Vault.refresh), so old and new values stay readable
throughout. Values are re-encrypted in small committed batches, each one a
compare-and-set, so a value the app changes meanwhile is never overwritten.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import and_, func, not_, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ..crypto import DATA_KEYS_FILE, Vault, read_data_keys
from ..errors import ConfigError, HirobaError
from ..models import SEALED_COLUMNS, Base
from ..store import transaction
from ..validation import N_
from . import audit

log = logging.getLogger(__name__)

BATCH_SIZE = 200
MAX_PASSES = 5


class KeyInUse(HirobaError):
    """A key cannot be retired while stored values still use it."""


class UnknownKey(HirobaError):
    """No data key has this id."""


class MissingKeys(ConfigError):
    """The database holds values sealed with data keys this host's key file lacks."""

    def __init__(self, missing: list[str], keys_file: Path) -> None:
        self.missing = missing
        super().__init__(
            N_(
                "データベースには鍵 %(ids)s で暗号化された値があるのに %(path)s にその鍵が"
                "ないので、`hiroba rotate-keys` を実行したホストから鍵のフォルダー"
                "（data-keys.json）をコピーして、もう一度起動してください。"
            ),
            ids=", ".join(missing),
            path=keys_file,
        )


def context_of(model: type[Base], column: str) -> str:
    """Return the encryption context (table.field) of a sealed column."""
    return f"{model.__tablename__}.{column.removesuffix('_enc')}"


def write_data_keys(path: Path, keys: dict[str, bytes], active: str) -> None:
    """Replace the key file atomically, keeping mode 0600."""
    spec = {"active": active, "keys": {k: base64.b64encode(v).decode() for k, v in keys.items()}}
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(json.dumps(spec, indent=1))
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(temp, 0o600)
    os.replace(temp, path)


def _next_key_id(keys: dict[str, bytes]) -> str:
    numbers = [int(m.group(1)) for k in keys if (m := re.fullmatch(r"k(\d+)", k))]
    return f"k{max(numbers, default=0) + 1}"


def add_key(keys_dir: Path, activate: bool = True) -> str:
    """Add a fresh 256-bit data key, make it active (unless told not to) and return its id.

    Several hosts add it inactive first (`rotate-keys --prepare`): once the key file is on
    every host, every host can open what the new key seals before any value uses it.
    """
    path = keys_dir / DATA_KEYS_FILE
    keys, active = read_data_keys(path)
    new_id = _next_key_id(keys)
    write_data_keys(path, {**keys, new_id: os.urandom(32)}, new_id if activate else active)
    return new_id


def activate_key(keys_dir: Path, key_id: str) -> None:
    """Make an existing data key the active one (the key that seals new values)."""
    path = keys_dir / DATA_KEYS_FILE
    keys, _ = read_data_keys(path)
    if key_id not in keys:
        raise UnknownKey(
            N_("%(path)s にデータ鍵「%(key_id)s」はありません。"), path=path, key_id=key_id
        )
    write_data_keys(path, keys, key_id)


@dataclass
class RotationResult:
    """What a re-encryption pass did."""

    active: str
    reencrypted: int = 0
    per_column: dict[str, int] = field(default_factory=dict)
    remaining: dict[str, int] = field(default_factory=dict)


def key_usage(session: Session, key_id: str | None = None) -> dict[str, int]:
    """Return, per key id (or for one key id), how many stored values it seals."""
    usage: dict[str, int] = {}
    for model, column in SEALED_COLUMNS:
        col = getattr(model, column)
        if key_id is not None:
            n = session.scalar(select(func.count()).where(col.like(f"{key_id}:%"))) or 0
            if n:
                usage[key_id] = usage.get(key_id, 0) + n
            continue
        for (token,) in session.execute(select(col).where(col.is_not(None))):
            kid = token.partition(":")[0]
            usage[kid] = usage.get(kid, 0) + 1
    return usage


def key_ids_in_use(session: Session) -> set[str]:
    """Return every key id that seals a stored value: the distinct id prefix of each sealed
    column, all in one UNION (a few rows back, however many values there are).

    Every process runs this at its start (require_keys: the web app, each worker, most
    `hiroba` commands), on a new engine whose statement cache is empty: built with the
    ORM, its 26 SELECTs were compiled anew each time, which cost several times the query.
    The SQL is written out instead, from the models' own table and column names."""
    dialect = session.get_bind().dialect
    quote = dialect.identifier_preparer.quote
    position = "instr" if dialect.name == "sqlite" else "strpos"
    selects = []
    for model, column in SEALED_COLUMNS:
        col, table = quote(column), quote(model.__tablename__)
        selects.append(
            f"SELECT substr({col}, 1, {position}({col}, ':') - 1) FROM {table}"  # noqa: S608 - the models' names, quoted
            f" WHERE {col} LIKE '%:%'"
        )
    return set(session.scalars(text(" UNION ".join(selects))))


def missing_key_ids(session: Session, vault: Vault) -> list[str]:
    """Return the key ids that seal stored values but are not in vault's key file, sorted."""
    vault.refresh()
    return sorted(kid for kid in key_ids_in_use(session) if kid not in vault.keys)


def require_keys(sessions: sessionmaker[Session], vault: Vault) -> None:
    """Refuse to start (MissingKeys) when a stored value's key id is not in the key file.

    A database that does not answer (or has no schema yet) is not this check's to judge:
    the process starts, its requests answer 503 until the database is back, and the next
    start or `hiroba check` compares the keys.
    """
    try:
        with sessions() as session:
            missing = missing_key_ids(session, vault)
    except SQLAlchemyError as exc:
        log.warning("could not compare the data keys with the database (%s)", type(exc).__name__)
        return
    if missing:
        raise MissingKeys(missing, vault.keys_file or Path(DATA_KEYS_FILE))


def _reencrypt_column(
    sessions: sessionmaker[Session],
    vault: Vault,
    model: type[Base],
    column: str,
    batch_size: int,
) -> int:
    """Re-seal every value of one column not under the active key; return how many."""
    col, pk = getattr(model, column), model.__table__.c["id"]
    context = context_of(model, column)
    prefix = f"{vault.active}:"
    done, last_id = 0, 0
    while True:
        with transaction(sessions) as session:
            rows = session.execute(
                select(pk, col)
                .where(and_(pk > last_id, col.is_not(None), not_(col.like(f"{prefix}%"))))
                .order_by(pk)
                .limit(batch_size)
            ).all()
            for row_id, token in rows:
                fresh = vault.seal(vault.open(token, context), context)
                # Compare-and-set: a value changed since we read it is left to the next pass.
                changed = session.execute(
                    update(model).where(and_(pk == row_id, col == token)).values({column: fresh})
                )
                done += int(getattr(changed, "rowcount", 0) or 0)
        if len(rows) < batch_size:
            return done
        last_id = rows[-1][0]


def reencrypt_all(
    sessions: sessionmaker[Session],
    vault: Vault,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[str], None] = lambda _text: None,
) -> RotationResult:
    """Re-seal every stored value under the active key, in committed batches."""
    vault.refresh()
    result = RotationResult(active=vault.active)
    for _ in range(MAX_PASSES):
        moved = 0
        for model, column in SEALED_COLUMNS:
            n = _reencrypt_column(sessions, vault, model, column, batch_size)
            if n:
                name = f"{model.__tablename__}.{column}"
                result.per_column[name] = result.per_column.get(name, 0) + n
                progress(f"{name}: {n} re-encrypted")
            moved += n
        result.reencrypted += moved
        with sessions() as session:
            result.remaining = {
                k: n for k, n in key_usage(session).items() if k != vault.active and n
            }
        if not result.remaining:
            break
    with transaction(sessions) as session:
        audit.record(
            session,
            None,
            "rotate_keys",
            "sealed_values",
            None,
            count=result.reencrypted,
            detail=f"active key {vault.active}",
        )
    return result


def rotate(
    sessions: sessionmaker[Session],
    vault: Vault,
    keys_dir: Path,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[str], None] = lambda _text: None,
) -> RotationResult:
    """Add a new active key, then re-encrypt every stored value under it."""
    new_id = add_key(keys_dir)
    progress(f"added data key {new_id} (active)")
    vault.refresh()
    return reencrypt_all(sessions, vault, batch_size, progress)


def retire(sessions: sessionmaker[Session], keys_dir: Path, key_id: str) -> None:
    """Remove key_id from the key file after checking that no stored value uses it."""
    path = keys_dir / DATA_KEYS_FILE
    keys, active = read_data_keys(path)
    if key_id not in keys:
        raise UnknownKey(N_("データ鍵「%(key_id)s」はありません。"), key_id=key_id)
    if key_id == active:
        raise KeyInUse(
            N_("%(key_id)s は使用中の鍵です。先に `hiroba rotate-keys` を実行してください。"),
            key_id=key_id,
        )
    with sessions() as session:
        in_use = key_usage(session, key_id).get(key_id, 0)
    if in_use:
        raise KeyInUse(
            N_(
                "保存された値のうち %(count)s 件がまだ %(key_id)s を使っています。"
                "`hiroba rotate-keys --resume` を実行してください。"
            ),
            count=in_use,
            key_id=key_id,
        )
    write_data_keys(path, {k: v for k, v in keys.items() if k != key_id}, active)
