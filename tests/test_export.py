"""An organizer's export: a BOM'd Japanese CSV in an AES ZIP, its password shown once."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
import pyzipper
from conftest import csrf_token
from formula_payloads import FORMULA_STARTS, PAYLOADS, cells, formula_cells
from organizer_support import GROUP_A, GROUP_B, group_event, sign_in_group
from sqlalchemy import select

from intake.applications.services import ApplicationData, apply
from intake.models import AuditEntry, Post
from intake.office.records import LedgerEntry

PASSWORD = re.compile(r'<code class="password" id="zip-password">([^<]+)</code>')
DOWNLOAD = re.compile(r'href="(/app/organizer/exports/[^"]+)"')


def export(client, post_id: int) -> tuple[str, str, str]:  # type: ignore[no-untyped-def]
    """POST the export; return (page, password, download URL)."""
    page = client.get(f"/app/organizer/events/{post_id}").get_data(as_text=True)
    response = client.post(
        f"/app/organizer/events/{post_id}/export", data={"csrf_token": csrf_token(page)}
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    password, url = PASSWORD.search(html), DOWNLOAD.search(html)
    assert password and url
    return html, password.group(1), url.group(1)


def test_the_export_opens_with_its_password_only_and_is_in_the_ledger(instance, client):
    setup = group_event(instance, capacity=2, applicants=3)
    sign_in_group(client, GROUP_A)
    html, password, url = export(client, setup.post_id)
    assert password not in url and "3件" in html
    download = client.get(url)
    assert download.status_code == 200 and download.mimetype == "application/zip"
    assert "attachment" in download.headers["Content-Disposition"]
    data = download.get_data()
    assert password.encode() not in data and "主催検査".encode() not in data
    with pyzipper.AESZipFile(io.BytesIO(data)) as archive:
        [name] = archive.namelist()
        assert archive.getinfo(name).flag_bits & 0x1  # encrypted
        with pytest.raises(RuntimeError):
            archive.read(name)  # no password
        archive.setpassword(b"wrong-password-0")
        with pytest.raises(RuntimeError):
            archive.read(name)
        archive.setpassword(password.encode())
        raw = archive.read(name)
    with pytest.raises((RuntimeError, NotImplementedError)), zipfile.ZipFile(io.BytesIO(data)) as z:
        z.read(name)  # plain zip tools cannot read it without the AES password either
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    lines = text.split("\r\n")
    assert lines[0].startswith('"申込番号","状態","人数","氏名","住所","電話番号","メールアドレス"')
    assert lines[0].endswith('"アレルギーの有無"')
    assert "主催検査 三郎1" in text and "キャンセル待ち" in text and "回答3" in text
    assert len([line for line in lines[1:] if line]) == 3
    assert client.get(url).status_code == 404  # once only
    with instance.rt.sessions() as db:
        [entry] = db.scalars(select(LedgerEntry)).all()
        [audited] = db.scalars(
            select(AuditEntry).where(AuditEntry.action == "export_personal_data")
        ).all()
    assert entry.action == "organizer_export" and entry.total == 3
    assert json.loads(entry.counts) == {"applications": 3}
    assert f"post {setup.post_id}" in entry.content and str(setup.group_a) in entry.handler
    assert entry.at is not None and entry.file_name.endswith(".zip")
    assert (audited.actor_id, audited.target_id, audited.count) == (
        setup.group_a,
        setup.post_id,
        3,
    )


def test_only_the_exporter_can_download_and_others_cannot_export(instance, app):
    setup = group_event(instance, applicants=2)
    owner, other = app.test_client(), app.test_client()
    sign_in_group(owner, GROUP_A)
    sign_in_group(other, GROUP_B)
    _, _, url = export(owner, setup.post_id)
    assert other.get(url).status_code == 404
    token = csrf_token(other.get("/app/organizer/events").get_data(as_text=True))
    refused = other.post(
        f"/app/organizer/events/{setup.post_id}/export", data={"csrf_token": token}
    )
    assert refused.status_code == 404
    assert owner.get(url).status_code == 200  # the other's attempt did not use it up
    with instance.rt.sessions() as db:
        assert len(db.scalars(select(LedgerEntry)).all()) == 1


@pytest.mark.parametrize("payload", PAYLOADS, ids=[repr(s) for s in FORMULA_STARTS])
def test_no_cell_of_the_export_starts_a_formula(instance, client, payload):
    """Every column carrying applicants' or the organizer's text is neutralised."""
    setup = group_event(instance, capacity=2, applicants=1)
    with instance.rt.sessions() as db, db.begin():
        post = db.get(Post, setup.post_id)
        assert post is not None
        post.questions = json.dumps([{"label": payload, "kind": "text"}])
    hostile = ApplicationData(
        name=payload, address=payload, phone=payload, email=payload, answers=[payload]
    )
    apply(instance.rt, setup.post_id, hostile)
    sign_in_group(client, GROUP_A)
    _, password, url = export(client, setup.post_id)
    with pyzipper.AESZipFile(io.BytesIO(client.get(url).get_data())) as archive:
        archive.setpassword(password.encode())
        rows = cells(archive.read(archive.namelist()[0]))
    assert formula_cells(rows) == []
    header, _, row = rows
    assert header[-1] == "'" + payload
    assert row[3:7] == ["'" + payload] * 4 and row[-1] == "'" + payload
    assert rows[1][5] == "070-7001-1357"  # an ordinary phone number stays as it is
