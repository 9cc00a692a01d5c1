"""Seeded personal data for the stored-data tests (rotation, backup, contract end), and the
`hiroba` command run as a real process against an instance."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from actors import new_post, open_group
from conftest import Instance
from sqlalchemy import select

from intake.accounts.services import PersonData, Registration, register
from intake.applications.services import ApplicationData, apply
from intake.models import SEALED_COLUMNS
from intake.moderation import decisions as post_decisions
from intake.moderation import services as moderation
from intake.protection.keys import context_of

HIROBA_SCRIPT = Path(sys.executable).parent / "hiroba"
HIROBA = [str(HIROBA_SCRIPT)] if HIROBA_SCRIPT.exists() else [sys.executable, "-m", "intake.cli"]

# Distinctive fictional values: a scan of stored bytes for them must come back empty.
INDIVIDUAL = PersonData(
    name="保管検査 三四郎",
    kana="ほかんけんさ さんしろう",
    postal_code="160-0022",
    address="東京都新宿区保管検査町7丁目7番7号",
    phone="090-7777-1357",
    email="storage-probe-77@example.test",
)
APPLICANTS = [
    ApplicationData(
        name=f"申込保管検査 花江{n}",
        address=f"東京都新宿区申込保管町{n}-2-3",
        phone=f"080-5555-{n:04d}",
        email=f"apply-storage-{n}@example.test",
    )
    for n in (1, 2)
]
PLAINTEXTS = [
    INDIVIDUAL.name,
    INDIVIDUAL.address,
    INDIVIDUAL.phone,
    INDIVIDUAL.email,
    "storage-probe-login",
    *(a.name for a in APPLICANTS),
    *(a.address for a in APPLICANTS),
    *(a.email for a in APPLICANTS),
]


@dataclass
class Seeded:
    moderator: int
    group: int
    individual: int
    post: int
    applications: list[int] = field(default_factory=list)


def seed(instance: Instance) -> Seeded:
    """Make a moderator, a group (two persons), an individual, an approved event, two applicants."""
    moderator, group = open_group(instance)
    individual = register(
        instance.rt,
        Registration(
            kind="individual",
            login="storage-probe-login",
            password="storage-password-1",
            public_name="ほかん",
            persons={"self": INDIVIDUAL},
        ),
    )
    moderation.decide_account(instance.rt, moderator, individual, approve=True)
    post = new_post(instance, group, 1, capacity=10)
    post_decisions.approve(instance.rt, moderator, post_decisions.Subject("post", post))
    seeded = Seeded(moderator, group, individual, post)
    seeded.applications = [apply(instance.rt, post, data).application_id for data in APPLICANTS]
    return seeded


def sealed_values(instance: Instance) -> dict[tuple[str, str, int], str]:
    """Return every stored sealed token, keyed by (table, column, row id)."""
    found: dict[tuple[str, str, int], str] = {}
    with instance.rt.sessions() as db:
        for model, column in SEALED_COLUMNS:
            table = model.__table__
            for row_id, token in db.execute(select(table.c["id"], table.c[column])):
                if token is not None:
                    found[(model.__tablename__, column, row_id)] = token
    return found


def opened(instance: Instance, tokens: dict[tuple[str, str, int], str]) -> dict[tuple, str | None]:
    """Open every token with the instance's vault."""
    models = {model.__tablename__: model for model, _ in SEALED_COLUMNS}
    return {
        key: instance.rt.vault.open(token, context_of(models[key[0]], key[1]))
        for key, token in tokens.items()
    }


def database_bytes(instance: Instance) -> bytes:
    """Return the SQLite database file with its WAL and journal, as stored on disk."""
    db_file = Path(instance.settings.database_url.split(":///", 1)[1])
    return b"".join(
        path.read_bytes()
        for path in [db_file, Path(f"{db_file}-wal"), Path(f"{db_file}-journal")]
        if path.exists()
    )


def plaintext_in(data: bytes, values: list[str] | None = None) -> list[str]:
    """Return the seeded values found in data as UTF-8."""
    return [v for v in (values or PLAINTEXTS) if v.encode("utf-8") in data]


def hiroba(
    env: dict[str, str], *args: str, timeout: float = 300, **extra: str
) -> subprocess.CompletedProcess[str]:
    """Run `hiroba args...` as a real process with the instance's environment (forked from
    one with the CLI imported: tests/preforked.py; `HIROBA` is the console script itself)."""
    from preforked import run_hiroba

    home = Path(env["HIROBA_HOME"])
    home.parent.mkdir(parents=True, exist_ok=True)
    return run_hiroba(list(args), {**env, **extra}, home.parent, timeout)


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    tail = f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    assert result.returncode == 0, f"{result.args}\n{tail}"
    assert "Traceback" not in result.stderr
    return result


def failed(result: subprocess.CompletedProcess[str], code: int = 1) -> str:
    assert result.returncode == code, f"{result.returncode}\n{result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stderr, result.stderr
    return result.stderr
