"""Phone numbers through the real application form, and the organizer's CSV in Japan time.

Through HTTP with CSRF, on both databases: a bad number is refused with a field message and
the input kept; +81 is accepted and stored as the national number; the export's 申込日時 is
Japan time and its header says so; phones are written with hyphens, as text Excel keeps;
its headers and words are English when the organizer's page is (?lang=en), Japanese otherwise.
"""

from __future__ import annotations

import html
import io
import json
import re
from datetime import datetime

import pyzipper
from conftest import csrf_token, submit
from formula_payloads import PAYLOADS, cells, formula_cells
from organizer_support import GROUP_A, group_event, sign_in_group
from sqlalchemy import select
from test_applying import form, live_event
from test_export import DOWNLOAD, PASSWORD, export

from intake.applications.organizer import open_applicant
from intake.models import Application

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def stored_phones(instance, post_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    with instance.rt.sessions() as db:
        rows = db.scalars(select(Application).where(Application.post_id == post_id))
        return [open_applicant(instance.rt, row, []).phone for row in rows]


def test_a_bad_phone_is_refused_with_the_input_kept(instance, client):
    post_id = live_event(instance)
    typed = "03-1234-567"  # a digit short
    response = submit(client, f"/app/events/{post_id}/apply", form(1, phone=typed))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "電話番号は0から始まる10桁または11桁" in html
    assert f'value="{typed}"' in html and 'value="申込 花子1"' in html
    assert stored_phones(instance, post_id) == []


def test_a_phone_with_plus_81_is_accepted_and_stored_nationally(instance, client):
    post_id = live_event(instance)
    response = submit(client, f"/app/events/{post_id}/apply", form(1, phone="+81 3-1234-5678"))
    assert response.status_code == 302
    other = submit(
        client, f"/app/events/{post_id}/apply", form(2, phone="０９０－１２３４－５６７８")
    )
    assert other.status_code == 302
    assert sorted(stored_phones(instance, post_id)) == ["0312345678", "09012345678"]


def test_the_export_is_in_japan_time_with_phones_as_hyphenated_text(instance, client):
    setup = group_event(instance, capacity=5, applicants=3)
    late, abroad = setup.applications[0], setup.applications[1]
    with instance.rt.sessions() as db, db.begin():
        # 23:48 in Tokyo is 14:48 UTC, stored naive; 15:05 UTC is already the next day there.
        first = db.get(Application, late)
        second = db.get(Application, abroad)
        assert first is not None and second is not None
        first.created_at = datetime(2026, 12, 9, 14, 48)
        first.phone_enc = instance.rt.vault.seal("0312345678", "applications.phone")
        second.created_at = datetime(2026, 12, 9, 15, 5)
        second.phone_enc = instance.rt.vault.seal("+16502530000", "applications.phone")
    sign_in_group(client, GROUP_A)
    _, password, url = export(client, setup.post_id)
    with pyzipper.AESZipFile(io.BytesIO(client.get(url).get_data())) as archive:
        archive.setpassword(password.encode())
        rows = cells(archive.read(archive.namelist()[0]))
    header = rows[0]
    when, phone = header.index("申込日時（日本時間）"), header.index("電話番号")
    by_id = {row[0]: row for row in rows[1:] if row}
    assert by_id[str(late)][when] == "2026-12-09 23:48"
    assert by_id[str(abroad)][when] == "2026-12-10 00:05"
    assert by_id[str(late)][phone] == "03-1234-5678"  # hyphens: text, never the number 312345678
    # A number abroad starts with +: the CSV writer still neutralises it as text.
    assert by_id[str(abroad)][phone] == "'+1 650-253-0000"
    third = by_id[str(setup.applications[2])]
    assert third[phone] == "070-7003-1357"
    assert json.dumps(rows, ensure_ascii=False).count("UTC") == 0


def _export_in(client, post_id: int, lang: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """Export from the organizer's page in lang (its form carries ?lang=); return the rows."""
    page = client.get(f"/app/organizer/events/{post_id}?lang={lang}").get_data(as_text=True)
    action = re.search(r'<form method="post" action="([^"]*/export[^"]*)"', page)
    assert action, page[:3000]
    path = html.unescape(action.group(1))
    assert ("lang=en" in path) == (lang == "en"), path
    response = client.post(path, data={"csrf_token": csrf_token(page)})
    assert response.status_code == 200
    shown = response.get_data(as_text=True)
    password, url = PASSWORD.search(shown), DOWNLOAD.search(shown)
    assert password and url, shown[:3000]
    with pyzipper.AESZipFile(io.BytesIO(client.get(url.group(1)).get_data())) as archive:
        archive.setpassword(password.group(1).encode())
        return cells(archive.read(archive.namelist()[0]))


def test_the_export_speaks_the_organizers_page_language_and_stays_safe(instance, client):
    setup = group_event(instance, capacity=1, applicants=3)
    hostile = setup.applications[0]
    with instance.rt.sessions() as db, db.begin():
        row = db.get(Application, hostile)
        assert row is not None
        row.name_enc = instance.rt.vault.seal(PAYLOADS[0], "applications.name")
        row.phone_enc = instance.rt.vault.seal("0312345678", "applications.phone")
        row.attended = True
    sign_in_group(client, GROUP_A)
    english = _export_in(client, setup.post_id, "en")
    header = english[0]
    assert header[:10] == [
        "Application number", "Status", "People", "Name", "Address", "Phone number",
        "Email address", "Applied at (Japan time)", "Attendance", "Received by",
    ]  # fmt: skip
    assert header[10] == "アレルギーの有無"  # the organizer's own question, as written
    by_id = {row[0]: row for row in english[1:] if row}
    first = by_id[str(hostile)]
    assert first[1] == "Confirmed" and first[8] == "Attended" and first[9] == "Web"
    assert {by_id[str(a)][1] for a in setup.applications[1:]} == {"Waiting list"}
    assert first[5] == "03-1234-5678" and first[3] == "'" + PAYLOADS[0]
    assert formula_cells(english) == []
    words = [cell for row in english for i, cell in enumerate(row) if i in (1, 8, 9)]
    assert not any(JAPANESE.search(cell) for cell in [*header[:10], *words]), english
    # Japanese otherwise: the same file in Japanese words, as safe.
    japanese = _export_in(client, setup.post_id, "ja")
    assert japanese[0][:3] == ["申込番号", "状態", "人数"] and "電話番号" in japanese[0]
    row_ja = {row[0]: row for row in japanese[1:] if row}[str(hostile)]
    assert row_ja[1] == "参加確定" and row_ja[8] == "出席" and row_ja[9] == "ウェブ"
    assert row_ja[5] == "03-1234-5678" and formula_cells(japanese) == []
