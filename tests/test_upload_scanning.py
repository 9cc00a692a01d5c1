"""Malware scanning of uploads through a real clamd (Debian's /usr/sbin/clamd) started here.

The daemon's only signature matches a marker the test puts inside a real PNG (a text
chunk) and a real PDF (its keywords): the scan sees the bytes as uploaded, before the
image is re-encoded or the PDF rewritten. Infected and clean files of both kinds go
through the post form; a stopped daemon refuses every file (fail closed).
"""

from __future__ import annotations

import io
import logging
import socket
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from accounts_support import client_for, reconfigure
from actors import EVENT, make_moderator, open_group, sign_in
from clamd_support import CLAMD, DB_VERSION, MARKER, SIGNATURE, Clamd, start_clamd
from conftest import csrf_token
from personal_data import hiroba
from PIL import Image, PngImagePlugin
from pypdf import PdfWriter
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from intake.config import Settings
from intake.errors import ConfigError
from intake.installation.checkup import check_scanner
from intake.mail import translations
from intake.models import AuditEntry, Post, Upload
from intake.uploads.clamd import Clamd as ClamdAddress
from intake.uploads.scanning import (
    Scanner,
    ScannerUnavailable,
    parse_version,
)

pytestmark = pytest.mark.skipif(
    not CLAMD.exists(), reason="Debian's clamav-daemon (/usr/sbin/clamd) is not installed"
)

GROUP = ("durable-group", "durable-password-1")  # actors.open_group
INFECTED = "ファイルからコンピュータウイルスなどの不正なプログラムが見つかったため"
UNAVAILABLE = "ファイルのウイルス検査が今はできないため"


def png_saying(text: str) -> bytes:
    """A real PNG carrying text in a tEXt chunk (kept as is in the file's bytes)."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", text)
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (0, 90, 200)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def pdf_saying(text: str) -> bytes:
    """A real one-page PDF whose Info dictionary carries text as its keywords."""
    writer = PdfWriter()
    writer.add_blank_page(200, 100)
    writer.add_metadata({"/Keywords": text})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def clamd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clamd]:
    daemon = start_clamd(tmp_path_factory.mktemp("clamd"))
    yield daemon
    daemon.stop()


def _client(instance, socket: Path):  # type: ignore[no-untyped-def]
    client = client_for(reconfigure(instance, HIROBA_CLAMD_SOCKET=str(socket)))
    open_group(instance)
    sign_in(client, *GROUP)
    return client


def _send(client, files: dict[str, bytes], path: str = "/app/posts/new", **fields: str):  # type: ignore[no-untyped-def]
    token = csrf_token(client.get(path).get_data(as_text=True))
    data: dict = {**EVENT, "images-0-alt": "青い四角", "pdfs-0-title": "チラシ", **fields}
    for name, content in files.items():
        data[name] = FileStorage(io.BytesIO(content), "upload.bin")
    boundary, body = encode_multipart({**data, "csrf_token": token})
    return client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def _stored(instance) -> tuple[list[Upload], list[Post]]:  # type: ignore[no-untyped-def]
    with instance.rt.sessions() as db:
        return list(db.scalars(select(Upload))), list(db.scalars(select(Post)))


def _refusals(instance) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    with instance.rt.sessions() as db:
        return list(
            db.scalars(select(AuditEntry).where(AuditEntry.action == "refuse_infected_upload"))
        )


def _uploads_folder_empty(instance) -> bool:  # type: ignore[no-untyped-def]
    root = instance.settings.home / "uploads"
    return not root.exists() or not any(root.rglob("*"))


def test_the_samples_carry_the_marker_in_their_raw_bytes():
    assert MARKER.encode() in png_saying(MARKER)
    assert MARKER.encode() in pdf_saying(MARKER)
    Image.open(io.BytesIO(png_saying(MARKER))).verify()  # a real image, not just bytes


@pytest.mark.parametrize("infected", ["images-0-file", "pdfs-0-file"])
def test_an_infected_image_or_pdf_is_refused_audited_and_nothing_is_stored(
    instance, clamd, infected
):
    client = _client(instance, clamd.socket)
    files = {"images-0-file": png_saying("clean picture"), "pdfs-0-file": pdf_saying("clean")}
    files[infected] = png_saying(MARKER) if infected.startswith("images") else pdf_saying(MARKER)
    response = _send(client, files, title="ウイルス入りの投稿")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert INFECTED in html
    assert f'id="{infected}-error"' in html
    assert html.count(INFECTED) == 1  # the clean file is not blamed
    assert 'value="ウイルス入りの投稿"' in html  # what was typed stays
    assert _stored(instance) == ([], [])
    assert _uploads_folder_empty(instance)
    [entry] = _refusals(instance)
    kind = "image" if infected.startswith("images") else "pdf"
    assert entry.detail == f"{kind}: {SIGNATURE}.UNOFFICIAL"
    assert entry.target_kind == "upload" and entry.actor_id is not None
    for personal in ("upload.bin", "durable-group", "耐久", "ウイルス入りの投稿", "青い四角"):
        assert personal not in entry.detail
    english = _send(client, files, path="/app/posts/new?lang=en").get_data(as_text=True)
    assert "a virus or other malicious program was found in this file" in english


def test_clean_images_and_pdfs_pass_the_scanner_and_are_stored(instance, clamd):
    client = _client(instance, clamd.socket)
    files = {"images-0-file": png_saying("clean picture"), "pdfs-0-file": pdf_saying("clean")}
    response = _send(client, files, title="きれいなファイルの投稿")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    uploads, posts = _stored(instance)
    assert sorted(u.kind for u in uploads) == ["image", "pdf"] and len(posts) == 1
    assert _refusals(instance) == []
    # The edit form is the other way files enter: an infected one added there is refused.
    edit_url = f"/app/posts/{posts[0].id}/edit"
    edit = {"images-0-file": png_saying(MARKER)}
    response = _send(client, edit, path=edit_url, title="直した投稿", **{"images-0-alt": "追加"})
    assert response.status_code == 422
    assert INFECTED in response.get_data(as_text=True)
    assert len(_stored(instance)[0]) == 2 and len(_refusals(instance)) == 1


def test_a_stopped_scanner_refuses_every_file_and_says_what_to_check(instance, tmp_path, caplog):
    daemon = start_clamd(tmp_path / "clamd-stopping")
    try:
        client = _client(instance, daemon.socket)
        files = {"images-0-file": png_saying("clean picture"), "pdfs-0-file": pdf_saying("ok")}
        assert _send(client, files, title="検査できた投稿").status_code == 302
    finally:
        daemon.stop()
    with caplog.at_level(logging.ERROR, logger="intake.uploads.scanning"):
        response = _send(client, files, title="検査できない投稿")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert html.count(UNAVAILABLE) == 2  # each file says it, none is accepted unscanned
    assert 'value="検査できない投稿"' in html
    uploads, posts = _stored(instance)
    assert len(uploads) == 2 and len(posts) == 1  # only the first, scanned post
    [record] = [r for r in caplog.records if r.name == "intake.uploads.scanning"]
    assert str(daemon.socket) in record.getMessage() and "clamd" in record.getMessage()
    english = _send(client, files, path="/app/posts/new?lang=en").get_data(as_text=True)
    assert "cannot be checked for viruses right now" in english
    # A post without files needs no scanner.
    assert _send(client, {}, title="ファイルのない投稿").status_code == 302
    # The moderators' status panel says it too, with where clamd was expected.
    moderator = client_for(instance)
    sign_in(moderator, *make_moderator(instance))
    status = moderator.get("/app/moderation/status").get_data(as_text=True)
    assert "ウイルス検査（clamd、" in status and str(daemon.socket) in status
    # Once clamd answers again, the next scan clears the warning.
    daemon.start()
    try:
        assert _send(client, files, title="検査が戻った投稿").status_code == 302
    finally:
        daemon.stop()
    status = moderator.get("/app/moderation/status").get_data(as_text=True)
    assert "ウイルス検査（clamd、" not in status


def test_the_scanner_reports_its_signature_database(clamd, tmp_path):
    scanner = Scanner(ClamdAddress(socket_path=str(clamd.socket), timeout=10))
    database = scanner.database()
    assert database.engine.startswith("ClamAV ")
    assert database.version == DB_VERSION
    assert database.date == datetime.fromtimestamp(clamd.built_at)
    assert scanner.scan(MARKER.encode()) == f"{SIGNATURE}.UNOFFICIAL"
    assert scanner.scan(b"nothing to see") is None
    with pytest.raises(ScannerUnavailable, match="clamd.sock"):
        Scanner(ClamdAddress(socket_path=str(tmp_path / "clamd.sock"), timeout=2)).database()


def test_a_clamd_with_local_signatures_only_answers_no_date():
    database = parse_version("ClamAV 1.4.6\n")
    assert (database.engine, database.version, database.date) == ("ClamAV 1.4.6", None, None)
    dated = parse_version("ClamAV 1.4.6/27500/Tue Dec  1 09:00:00 2026")
    assert dated.version == 27500 and dated.date == datetime(2026, 12, 1, 9, 0, 0)


def test_scanning_is_off_unless_configured_and_one_clamd_is_named(tmp_path):
    env = {"HIROBA_HOME": str(tmp_path)}
    assert Scanner.from_settings(Settings.from_env(env)) is None
    tcp = Scanner.from_settings(Settings.from_env({**env, "HIROBA_CLAMD_HOST": "10.0.0.5"}))
    assert tcp is not None and tcp.describe() == "10.0.0.5:3310"
    with pytest.raises(ConfigError, match="HIROBA_CLAMD_SOCKET と HIROBA_CLAMD_HOST"):
        Settings.from_env(
            {**env, "HIROBA_CLAMD_SOCKET": "/run/clamav/clamd.ctl", "HIROBA_CLAMD_HOST": "x"}
        )


def test_a_clamd_that_accepts_but_never_answers_times_out(tmp_path):
    path = tmp_path / "hung.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as hung:
        hung.bind(str(path))
        hung.listen(1)  # accepts connections into its backlog, never reads nor answers
        scanner = Scanner(ClamdAddress(socket_path=str(path), timeout=1))
        with pytest.raises(ScannerUnavailable, match="1 秒待っても答えがありません"):
            scanner.scan(b"data")


def test_check_reports_the_scanners_signature_age(instance, clamd, tmp_path):
    env = {"HIROBA_HOME": str(tmp_path)}
    settings = Settings.from_env({**env, "HIROBA_CLAMD_SOCKET": str(clamd.socket)})
    [finding] = check_scanner(settings)
    assert finding.ok and finding.part == "scanner"
    text = finding.line(translations("en").gettext)  # as `hiroba check` says it with LANG=en
    assert f"clamd at unix socket {clamd.socket} (ClamAV " in text
    assert f"signatures {DB_VERSION} of " in text and "(5 days old)" in text
    later = datetime.fromtimestamp(clamd.built_at) + timedelta(days=9)
    [stale] = check_scanner(settings, now=later)
    stale_text = stale.line(translations("en").gettext)
    assert not stale.ok and "(9 days old)" in stale_text and "freshclam" in stale_text
    gone = Settings.from_env({**env, "HIROBA_CLAMD_SOCKET": str(tmp_path / "none.sock")})
    [silent] = check_scanner(gone)
    silent_text = silent.line(translations("en").gettext)
    assert not silent.ok and "none.sock" in silent_text and "refused" in silent_text
    # In Japanese (the default) the whole line is Japanese, clamd's own failure included;
    # only the system's reason (strerror) stays as the system said it.
    said_ja = silent.line()
    assert "の clamd: 接続できません（" in said_ja and "clamd が答えるまで" in said_ja, said_ja
    assert "cannot connect" not in said_ja and "clamd at" not in said_ja, said_ja
    [off] = check_scanner(Settings.from_env(env))
    assert off.ok and off.line(translations("en").gettext).startswith("scanner: off")
    # And through the command, beside the other parts (the instance's private Redis): a
    # silent clamd is one of the problems it prints.
    result = hiroba(
        instance.env,
        "check",
        HIROBA_CLAMD_SOCKET=str(tmp_path / "none.sock"),
        LANG="en_US.UTF-8",
    )
    assert result.returncode == 1
    assert f"hiroba check: scanner: clamd at unix socket {tmp_path / 'none.sock'}" in result.stderr
