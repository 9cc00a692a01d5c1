"""Contact and inquiries through HTTP: the operator's details in the footers and on the contact
page, the inquiry form in Japanese and English with applying's anti-abuse checks, the sealed
row, the moderators' inbox (status, assignee, notes, a reply mailed by a real rq worker to a
real SMTP server), the audit entries, the retention purge and who may not see the inbox."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from accounts_support import client_for, reconfigure, register_and_approve, sign_in_member
from actors import make_moderator, sign_in
from conftest import csrf_token, submit
from mailsink import MailSink, mailsink  # noqa: F401 - the fixture
from sqlalchemy import select, text, update

from intake.deployment import load_deployment
from intake.errors import ConfigError
from intake.models import AuditEntry, Inquiry, InquiryEntry, utcnow
from worker.schedule import schedule_retention

OPERATOR_TOML = """
[operator]
name = "しんじゅく広場 <b>運営事務局</b>"
address = "東京都新宿区検査町1-2-3"
phone = "03-5555-0123"
hours = "平日 9:00〜17:00"
email = "office@hiroba.example.jp"

[retention]
inquiry_days = 30
"""
ASKER = {
    "category": "applying",
    "message": "申込みの取消し方を教えてください。\n二行目です。",
    "name": "問合 太郎",
    "email": "asker-probe@example.test",
    "phone": "",
    "consent": "y",
}


@pytest.fixture(name="office")
def office_fixture(instance, mailsink: MailSink):  # type: ignore[no-untyped-def]  # noqa: F811
    """The instance with the operator's details and mail to the test SMTP server."""
    reconfigure(
        instance,
        OPERATOR_TOML,
        HIROBA_SMTP_HOST=mailsink.host,
        HIROBA_SMTP_PORT=str(mailsink.port),
        HIROBA_MAIL_FROM="noreply@hiroba.example.jp",
        HIROBA_PUBLIC_URL="https://hiroba.example.jp",
    )
    return instance, mailsink


def _inquiries(instance) -> list[Inquiry]:  # type: ignore[no-untyped-def]
    with instance.rt.sessions() as db:
        return list(db.scalars(select(Inquiry).order_by(Inquiry.id)))


def _audit(instance, action: str) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    with instance.rt.sessions() as db:
        return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_contact_page_shows_the_operator_escaped_and_keeps_bad_input(office) -> None:  # type: ignore[no-untyped-def]
    instance, _sink = office
    client = client_for(instance)
    page = client.get("/app/contact")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    # The operator's text is text: escaped on the page and in the footer of every page.
    assert "&lt;b&gt;運営事務局&lt;/b&gt;" in html and "<b>運営事務局</b>" not in html
    assert html.count("03-5555-0123") >= 2  # the contact page and the footer
    assert "平日 9:00〜17:00" in html and 'href="mailto:office@hiroba.example.jp"' in html
    for label in ("登録・ログイン", "投稿・イベント", "申込み", "個人情報", "その他"):
        assert label in html
    other = client.get("/app/login").get_data(as_text=True)
    assert "03-5555-0123" in other and 'href="/app/contact?lang=ja"' in other

    bad = submit(
        client,
        "/app/contact",
        {"category": "", "message": "  ", "name": "問合 花子", "email": "", "phone": "12"},
    )
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "お問い合わせの種類を選んでください。" in html
    assert "この項目は必須です。" in html  # the message
    assert "電話番号は0から始まる10桁または11桁" in html
    assert "送信するには同意が必要です。" in html
    assert 'value="問合 花子"' in html and 'value="12"' in html  # kept as typed
    none = submit(client, "/app/contact", {**ASKER, "email": ""})
    assert none.status_code == 422
    assert "返信先のメールアドレスか電話番号のどちらかを入力してください。" in none.get_data(
        as_text=True
    )
    assert _inquiries(instance) == []


def test_an_inquiry_in_each_language_is_stored_sealed(office) -> None:  # type: ignore[no-untyped-def]
    instance, _sink = office
    client = client_for(instance)
    sent = submit(client, "/app/contact", ASKER)
    assert sent.status_code == 302
    assert sent.headers["Location"] == "/app/contact/thanks"  # no number, nothing personal
    thanks = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "お問い合わせを受け付けました" in thanks and "問合 太郎" not in thanks

    english = client_for(instance)
    form = english.get("/app/contact?lang=en").get_data(as_text=True)
    assert "Contact form" in form and "Personal data" in form and "Hours" in form
    data = {**ASKER, "category": "privacy", "email": "", "phone": "090-1234-5678"}
    data["name"], data["message"] = "Probe Smith", "Please delete my data."
    sent = submit(english, "/app/contact?lang=en", data)
    assert sent.status_code == 302 and sent.headers["Location"] == "/app/contact/thanks?lang=en"
    thanks = english.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Your inquiry was received" in thanks

    first, second = _inquiries(instance)
    assert (first.category, first.status, first.lang) == ("applying", "received", "ja")
    assert (second.category, second.lang, second.email_enc) == ("privacy", "en", None)
    with instance.rt.engine.connect() as connection:
        raw = "\n".join(
            str(value)
            for row in connection.execute(text("SELECT * FROM inquiries"))
            for value in row
        )
    for secret in ("問合 太郎", "asker-probe", "取消し", "Probe Smith", "09012345678", "delete"):
        assert secret not in raw
    vault = instance.rt.vault
    assert vault.open(first.name_enc, "inquiries.name") == "問合 太郎"
    message = vault.open(first.message_enc, "inquiries.message") or ""
    assert message.startswith("申込みの取消し方") and message.endswith("二行目です。")
    assert vault.open(second.phone_enc, "inquiries.phone") == "09012345678"


def test_the_contact_form_has_applyings_anti_abuse_checks(instance) -> None:  # type: ignore[no-untyped-def]
    reconfigure(instance, HIROBA_APPLY_MIN_SECONDS="60", HIROBA_RATE_LIMIT_APPLY="3 per minute")
    client = client_for(instance)
    unstamped = submit(client, "/app/contact", ASKER)  # the signed stamp is missing
    assert unstamped.status_code == 422
    assert "フォームの有効期限が切れました" in unstamped.get_data(as_text=True)
    page = client.get("/app/contact").get_data(as_text=True)
    stamp = re.search(r'name="started" type="hidden" value="([^"]+)"', page)
    assert stamp is not None
    data = {**ASKER, "csrf_token": csrf_token(page), "started": stamp.group(1)}
    too_fast = client.post("/app/contact", data=data)
    assert too_fast.status_code == 422
    assert "送信が早すぎます" in too_fast.get_data(as_text=True)
    bot = submit(client, "/app/contact", {**ASKER, "website": "http://spam.example"})
    assert bot.status_code == 422
    assert "入力欄以外の項目が変更されています" in bot.get_data(as_text=True)
    limited = submit(client, "/app/contact", ASKER)
    assert limited.status_code == 429
    assert _inquiries(instance) == []


def test_moderators_answer_from_the_inbox_and_the_reply_is_mailed(office) -> None:  # type: ignore[no-untyped-def]
    instance, sink = office
    public = client_for(instance)
    english = {**ASKER, "message": "How do I cancel?", "email": "asker-en@example.test"}
    assert submit(public, "/app/contact?lang=en", english).status_code == 302
    assert submit(public, "/app/contact", {**ASKER, "category": "other"}).status_code == 302
    inquiry = _inquiries(instance)[0]

    make_moderator(instance)
    moderator = client_for(instance)
    sign_in(moderator, "mod-tester", "moderator-password-1")
    inbox = moderator.get("/app/moderation/inquiries")
    html = inbox.get_data(as_text=True)
    assert inbox.status_code == 200
    assert f'href="/app/moderation/inquiries/{inquiry.id}"' in html
    assert "問合 太郎" not in html and "asker-en" not in html  # nothing personal listed
    assert not _audit(instance, "view_inquiry")
    done = moderator.get("/app/moderation/inquiries?status=done").get_data(as_text=True)
    assert f"/app/moderation/inquiries/{inquiry.id}" not in done

    path = f"/app/moderation/inquiries/{inquiry.id}"
    thread = moderator.get(path).get_data(as_text=True)
    assert "asker-en@example.test" in thread and "How do I cancel?" in thread
    assert [e.target_id for e in _audit(instance, "view_inquiry")] == [inquiry.id]
    token = csrf_token(thread)
    moderator_id = re.search(r'<option value="(\d+)">テスト運営</option>', thread)
    assert moderator_id is not None

    assigned = moderator.post(
        f"{path}/handling",
        data={"csrf_token": token, "status": "in_progress", "assignee": moderator_id.group(1)},
    )
    assert assigned.status_code == 302
    noted = moderator.post(f"{path}/note", data={"csrf_token": token, "note-body": "電話で確認中"})
    assert noted.status_code == 302
    empty = moderator.post(f"{path}/reply", data={"csrf_token": token, "reply-body": "  "})
    assert empty.status_code == 422
    assert "この項目は必須です。" in empty.get_data(as_text=True)
    reply = "You can cancel from the link in your confirmation mail."
    replied = moderator.post(f"{path}/reply", data={"csrf_token": token, "reply-body": reply})
    assert replied.status_code == 302
    assert "送信待ち" in moderator.get(path).get_data(as_text=True)

    worker = instance.worker_burst()
    assert "asker-en" not in worker.stdout + worker.stderr  # nothing personal in the log
    messages = sink.wait_for(1)
    assert len(messages) == 1  # the reply only: a note is never mailed
    mail = messages[0]
    assert mail["To"] == "asker-en@example.test"
    assert mail["Reply-To"] == "office@hiroba.example.jp"
    assert f"Reply to your inquiry (No. {inquiry.id})" in mail["Subject"]
    body = mail.get_content()
    assert reply in body and "Applying to events" in body and "03-5555-0123" in body
    assert "電話で確認中" not in body

    closed = moderator.post(
        f"{path}/handling",
        data={"csrf_token": token, "status": "done", "assignee": moderator_id.group(1)},
    )
    assert closed.status_code == 302
    after = moderator.get(path).get_data(as_text=True)
    assert "送信済み" in after and "電話で確認中" in after and reply in after
    with instance.rt.sessions() as db:
        row = db.get(Inquiry, inquiry.id)
        assert row is not None and (row.status, row.assignee_id) == ("done", int(moderator_id[1]))
        entries = list(db.scalars(select(InquiryEntry).order_by(InquiryEntry.id)))
    assert [(e.kind, e.mail_state) for e in entries] == [("note", None), ("reply", "sent")]
    assert all(
        "電話" not in (e.body_enc or "") and "cancel" not in (e.body_enc or "") for e in entries
    )
    listed = moderator.get("/app/moderation/inquiries?status=done").get_data(as_text=True)
    assert f"/app/moderation/inquiries/{inquiry.id}" in listed
    assert len(_audit(instance, "reply_inquiry")) == 1
    assert len(_audit(instance, "note_inquiry")) == 1
    assert [e.detail for e in _audit(instance, "update_inquiry")][-1].startswith("status")
    assert len(_audit(instance, "view_inquiry")) >= 3


def test_a_phone_only_inquiry_takes_no_reply_by_mail(instance) -> None:  # type: ignore[no-untyped-def]
    public = client_for(instance)
    phone_only = {**ASKER, "email": "", "phone": "03-1111-2222"}
    assert submit(public, "/app/contact", phone_only).status_code == 302
    inquiry = _inquiries(instance)[0]
    make_moderator(instance)
    moderator = client_for(instance)
    sign_in(moderator, "mod-tester", "moderator-password-1")
    path = f"/app/moderation/inquiries/{inquiry.id}"
    thread = moderator.get(path).get_data(as_text=True)
    assert "電話で回答してください" in thread and "03-1111-2222" in thread  # shown with hyphens
    refused = moderator.post(
        f"{path}/reply", data={"csrf_token": csrf_token(thread), "reply-body": "回答です"}
    )
    assert refused.status_code == 422
    with instance.rt.sessions() as db:
        assert db.scalars(select(InquiryEntry)).all() == []


def test_without_a_mail_server_a_reply_is_kept_and_shown_as_not_sent(instance) -> None:  # type: ignore[no-untyped-def]
    assert submit(client_for(instance), "/app/contact", ASKER).status_code == 302
    path = f"/app/moderation/inquiries/{_inquiries(instance)[0].id}"
    make_moderator(instance)
    moderator = client_for(instance)
    sign_in(moderator, "mod-tester", "moderator-password-1")
    token = csrf_token(moderator.get(path).get_data(as_text=True))
    sent = moderator.post(f"{path}/reply", data={"csrf_token": token, "reply-body": "回答です"})
    assert sent.status_code == 302
    instance.worker_burst()
    thread = moderator.get(path).get_data(as_text=True)
    assert "送信できませんでした" in thread and "回答です" in thread
    with instance.rt.sessions() as db:
        assert [e.mail_state for e in db.scalars(select(InquiryEntry))] == ["skipped"]


def test_only_moderators_reach_the_inbox(instance) -> None:  # type: ignore[no-untyped-def]
    assert submit(client_for(instance), "/app/contact", ASKER).status_code == 302
    inquiry = _inquiries(instance)[0]
    path = f"/app/moderation/inquiries/{inquiry.id}"
    anonymous = client_for(instance)
    for url in ("/app/moderation/inquiries", path):
        answer = anonymous.get(url)
        assert answer.status_code == 302 and "/app/login" in answer.headers["Location"]
    member = client_for(instance)
    register_and_approve(instance, member, 7, "inquiry-member")
    sign_in_member(member, "inquiry-member")
    assert member.get("/app/moderation/inquiries").status_code == 403
    assert member.get(path).status_code == 403
    token = csrf_token(member.get("/app/contact").get_data(as_text=True))
    posted = member.post(f"{path}/reply", data={"csrf_token": token, "reply-body": "x"})
    assert posted.status_code == 403
    assert not _audit(instance, "view_inquiry")


def test_the_retention_job_deletes_inquiries_after_inquiry_days(office) -> None:  # type: ignore[no-untyped-def]
    instance, _sink = office
    public = client_for(instance)
    for name in ("古い 問合", "新しい 問合"):
        assert submit(public, "/app/contact", {**ASKER, "name": name}).status_code == 302
    old, new = _inquiries(instance)
    make_moderator(instance)
    moderator = client_for(instance)
    sign_in(moderator, "mod-tester", "moderator-password-1")
    thread = moderator.get(f"/app/moderation/inquiries/{old.id}").get_data(as_text=True)
    moderator.post(
        f"/app/moderation/inquiries/{old.id}/note",
        data={"csrf_token": csrf_token(thread), "note-body": "古いメモ"},
    )
    with instance.rt.sessions() as db, db.begin():
        db.execute(
            update(Inquiry)
            .where(Inquiry.id == old.id)
            .values(updated_at=utcnow() - timedelta(days=31))
        )
        db.execute(
            update(Inquiry)
            .where(Inquiry.id == new.id)
            .values(updated_at=utcnow() - timedelta(days=29))
        )
    assert schedule_retention(instance.rt) is True
    instance.worker_burst()
    assert [i.id for i in _inquiries(instance)] == [new.id]
    with instance.rt.sessions() as db:
        assert db.scalars(select(InquiryEntry)).all() == []
    (purged,) = _audit(instance, "purge_inquiries")
    assert purged.count == 1 and "30 days" in purged.detail
    assert moderator.get(f"/app/moderation/inquiries/{old.id}").status_code == 404


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('[operator]\nphone = "03-1\\n2"\n', "operator.phone"),
        ("[operator]\nname = 3\n", "operator.name"),
        ('[operator]\nemail = "not an address"\n', "operator.email"),
        ("[retention]\ninquiry_days = 0\n", "retention.inquiry_days"),
        ("[retention]\nforever = 1\n", "retention.forever"),
    ],
)
def test_bad_operator_details_or_retention_stop_start_up(
    tmp_path: Path, toml: str, key: str
) -> None:
    (tmp_path / "hiroba.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(key)):
        load_deployment(tmp_path)


def test_the_operator_defaults_to_nothing_shown_and_a_year_of_retention(tmp_path: Path) -> None:
    deployment = load_deployment(tmp_path)
    assert deployment.inquiry_days == 365
    assert deployment.operator.public() == dict.fromkeys(
        ("name", "address", "phone", "hours", "email"), ""
    )


def test_every_public_page_shows_the_operator_in_both_languages(instance, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from worker.build.full import build_site
    from worker.build.tree import fingerprint

    before = fingerprint(instance.settings)
    reconfigure(instance, OPERATOR_TOML)
    assert fingerprint(instance.settings) != before  # a change of details rebuilds in full
    out = tmp_path / "site"
    build_site(instance.settings, out)
    pages = {
        "ja": [out / "index.html", out / "pages" / "privacy" / "index.html"],
        "en": [out / "en" / "index.html", out / "en" / "pages" / "privacy" / "index.html"],
    }
    for lang, paths in pages.items():
        for path in paths:
            html = path.read_text(encoding="utf-8")
            assert "&lt;b&gt;運営事務局&lt;/b&gt;" in html and "<b>運営事務局" not in html, path
            assert "03-5555-0123" in html and "平日 9:00〜17:00" in html, path
            assert f'href="/app/contact?lang={lang}"' in html, path  # the page's language
    english = pages["en"][0].read_text(encoding="utf-8")
    assert ">Hours<" in english and ">Contact<" in english
    privacy = pages["ja"][1].read_text(encoding="utf-8")
    assert re.search(r'href="/app/contact\?lang=ja"[^>]*>お問い合わせページ</a>', privacy)
    privacy = pages["en"][1].read_text(encoding="utf-8")
    assert re.search(r'href="/app/contact\?lang=en"[^>]*>contact page</a>', privacy)
