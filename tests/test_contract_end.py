"""Contract end: export for return (encrypted ZIP, ledger), then erasure and its report."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
import pyzipper
from conftest import Instance
from formula_payloads import PAYLOADS, cells, formula_cells
from personal_data import (
    APPLICANTS,
    INDIVIDUAL,
    PLAINTEXTS,
    database_bytes,
    hiroba,
    ok,
    plaintext_in,
    sealed_values,
    seed,
)
from sqlalchemy import select

from intake.accounts.services import PERSON_FIELDS, PersonData, Registration, authenticate, register
from intake.applications.services import ApplicationData, apply
from intake.models import BLIND_INDEX_COLUMNS, SEALED_COLUMNS, Account, AuditEntry
from intake.office.records import LedgerEntry
from intake.protection import audit
from intake.protection.ledger import counts_of

PASSWORD = "return-passphrase-2026"


def test_export_for_return(instance: Instance, tmp_path: Path) -> None:
    seed(instance)
    output = tmp_path / "return.zip"
    result = ok(
        hiroba(
            instance.env,
            "export-for-return",
            "--output",
            str(output),
            "--handler",
            "委託先担当 山田",
            "--recipient",
            "新宿区 地域振興課",
            HIROBA_PASSWORD=PASSWORD,
        )
    )
    assert str(output) in result.stdout
    raw = output.read_bytes()
    assert not plaintext_in(raw)

    with pyzipper.AESZipFile(output) as archive:
        names = set(archive.namelist())
        assert {"accounts.csv", "persons.csv", "applications.csv", "README.txt"} <= names
        with pytest.raises(RuntimeError, match="password"):
            archive.read("persons.csv")
        archive.setpassword(b"not-the-password")
        with pytest.raises(RuntimeError):
            archive.read("persons.csv")
        archive.setpassword(PASSWORD.encode())
        files = {name: archive.read(name) for name in names}
    with zipfile.ZipFile(output) as plain_zip, pytest.raises((RuntimeError, NotImplementedError)):
        plain_zip.read("persons.csv", pwd=PASSWORD.encode())  # AES: not ZipCrypto
    assert all(data.startswith("\ufeff".encode()) for data in files.values())
    persons = list(csv.DictReader(io.StringIO(files["persons.csv"].decode("utf-8-sig"))))
    applicants = list(csv.DictReader(io.StringIO(files["applications.csv"].decode("utf-8-sig"))))
    accounts = list(csv.DictReader(io.StringIO(files["accounts.csv"].decode("utf-8-sig"))))
    me = next(p for p in persons if p["name"] == INDIVIDUAL.name)
    assert (me["address"], me["phone"], me["email"]) == (
        INDIVIDUAL.address,
        INDIVIDUAL.phone,
        INDIVIDUAL.email,
    )
    assert {a["name"] for a in applicants} == {a.name for a in APPLICANTS}
    assert "storage-probe-login" in {a["login_id"] for a in accounts}
    assert set(PLAINTEXTS) <= {v for row in persons + applicants + accounts for v in row.values()}

    with instance.rt.sessions() as db:
        [entry] = db.scalars(select(LedgerEntry)).all()
        assert entry.handler == "委託先担当 山田" and entry.recipient == "新宿区 地域振興課"
        assert entry.action == "export_for_return" and entry.file_name == "return.zip"
        assert counts_of(entry) == {
            "accounts": len(accounts),
            "persons": len(persons),
            "applications": 2,
            "change_requests": 0,
        }
        assert entry.total == len(accounts) + len(persons) + 2
        logged = db.scalars(
            select(AuditEntry).where(AuditEntry.action == "export_personal_data")
        ).one()
        assert logged.count == entry.total


def test_erase_personal_data(instance: Instance, tmp_path: Path) -> None:
    seeded = seed(instance)
    ok(hiroba(instance.env, "backup"))
    backups = instance.settings.home / "backups"
    assert len(list(backups.iterdir())) == 1
    tokens = sealed_values(instance)
    assert instance.rt.redis.keys("rq:job:*"), "the seeded flows queued jobs"
    with instance.rt.sessions() as db:
        n_accounts = len(db.scalars(select(Account.id)).all())

    refused = hiroba(instance.env, "erase-personal-data", "--operator", "消去担当 佐藤")
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert sealed_values(instance) == tokens

    result = ok(hiroba(instance.env, "erase-personal-data", "--operator", "消去担当 佐藤", "--yes"))
    text_path = Path(result.stdout.split("消去の報告書: ", 1)[1].splitlines()[0])
    json_path = text_path.with_suffix(".json")
    assert text_path.parent == instance.settings.home / "reports"
    report = json.loads(json_path.read_text())
    assert report["operator"] == "消去担当 佐藤"
    assert report["accounts"] == n_accounts == 3
    assert report["persons"] == 3 and report["applications"] == 2
    assert report["sealed_values"] == len(tokens)
    # Logins, the three persons' emails, and each applicant's email and phone (duplicates).
    assert report["blind_indexes"] == n_accounts + 3 + 2 * 2
    assert report["backups_deleted"] == 1
    assert report["queued_jobs_removed"] >= 1
    text = text_path.read_text(encoding="utf-8")
    assert "個人情報削除報告書" in text and "消去担当 佐藤" in text and "イベント申込者: 2" in text

    with instance.rt.sessions() as db:
        for model, column in (*SEALED_COLUMNS, *BLIND_INDEX_COLUMNS):
            values = db.scalars(select(getattr(model, column))).all()
            assert all(v is None for v in values), f"{model.__tablename__}.{column}"
        assert {a.status for a in db.scalars(select(Account))} == {"erased"}
        assert audit.verify(db).ok
        erased = db.scalars(
            select(AuditEntry).where(AuditEntry.action == "erase_personal_data")
        ).one()
        assert "消去担当 佐藤" in erased.detail and erased.count == len(tokens)
    assert authenticate(instance.rt, "storage-probe-login", "storage-password-1") is None
    assert authenticate(instance.rt, "durable-group", "durable-password-1") is None
    assert not list(backups.iterdir())
    queue = instance.rt.queue
    assert queue.count == 0 and queue.failed_job_registry.count == 0
    assert not instance.rt.redis.keys("rq:job:*")
    keys = json.loads((instance.settings.keys_dir / "data-keys.json").read_text())
    assert "k1" not in keys["keys"], "the old data key must be destroyed"
    assert seeded.individual

    if instance.settings.is_sqlite:
        stored = database_bytes(instance)
        assert not plaintext_in(stored)
        leftovers = [t for t in tokens.values() if t.split(":", 1)[1][:40].encode() in stored]
        assert not leftovers, "erased ciphertext lingers in the database file"


def test_export_for_return_starts_no_formula_in_any_cell(
    instance: Instance, tmp_path: Path
) -> None:
    """Every text column of every file, for the whole class of formula starts, is neutralised."""
    seeded = seed(instance)
    for n, payload in enumerate(PAYLOADS):
        fields = {name: payload for name in PERSON_FIELDS}
        register(
            instance.rt,
            Registration(
                kind="individual",
                login=f"{payload}-{n}",
                password="formula-password-1",
                public_name=payload,
                persons={"self": PersonData(**fields)},
            ),
        )
        apply(
            instance.rt,
            seeded.post,
            ApplicationData(payload, payload, f"{payload}{n}", f"{payload}{n}"),
        )
    output = tmp_path / "return.zip"
    ok(
        hiroba(
            instance.env,
            "export-for-return",
            "--output",
            str(output),
            "--handler",
            "担当",
            HIROBA_PASSWORD=PASSWORD,
        )
    )
    with pyzipper.AESZipFile(output) as archive:
        archive.setpassword(PASSWORD.encode())
        tables = {n: cells(archive.read(n)) for n in archive.namelist() if n.endswith(".csv")}
    assert {name: formula_cells(rows) for name, rows in tables.items()} == {
        name: [] for name in tables
    }
    quoted = {"'" + payload for payload in PAYLOADS}
    persons = [
        dict(zip(tables["persons.csv"][0], row, strict=True)) for row in tables["persons.csv"][1:]
    ]
    assert quoted <= {p["name"] for p in persons} and quoted <= {p["address"] for p in persons}
    assert quoted <= {p["phone"] for p in persons} and quoted <= {p["birth_date"] for p in persons}
    applicants = tables["applications.csv"]
    assert quoted <= {row[5] for row in applicants} and quoted <= {row[6] for row in applicants}
    assert INDIVIDUAL.phone in {p["phone"] for p in persons}  # ordinary values stay as they are
