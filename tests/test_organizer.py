"""Organizers see, mark and cancel the applicants of their own events, and mail them."""

from __future__ import annotations

import pytest
from accounts_support import client_for, reconfigure
from actors import new_post, submit
from conftest import csrf_token
from mailsink import MailSink, mailsink  # noqa: F401 - the fixture
from organizer_support import GROUP_A, GROUP_B, applicant_data, group_event, sign_in_group
from sqlalchemy import select

from intake.applications.services import apply
from intake.models import Application, AuditEntry, MessageDelivery
from intake.moderation import decisions as post_decisions


def audit_of(instance, action: str) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    with instance.rt.sessions() as db:
        return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def post_action(client, path: str, data: dict):  # type: ignore[no-untyped-def]
    page = client.get(path.rsplit("/", 1)[0])
    token = csrf_token(page.get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})


def test_a_group_sees_its_applicants_in_order_and_the_read_is_audited(instance, client):
    setup = group_event(instance, capacity=3, applicants=5)
    sign_in_group(client, GROUP_A)
    listing = client.get("/app/organizer/events").get_data(as_text=True)
    assert "耐久テスト行事1" in listing and "3人／3件" in listing and "2人／2件" in listing
    assert "主催検査" not in listing  # the list of events shows counts only
    page = client.get(f"/app/organizer/events/{setup.post_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    for n in range(1, 6):
        assert f"主催検査 三郎{n}" in html and f"organizer-probe-{n}@example.test" in html
    assert "アレルギーの有無" in html and "回答5" in html
    confirmed, waiting = html.split("キャンセル待ち（繰り上げの順）")
    assert all(f"三郎{n}" in confirmed for n in (1, 2, 3))
    assert waiting.index("三郎4") < waiting.index("三郎5") and "三郎1" not in waiting
    [entry] = audit_of(instance, "view_personal_data")
    assert (entry.actor_id, entry.target_kind, entry.target_id, entry.count) == (
        setup.group_a,
        "post",
        setup.post_id,
        5,
    )


def test_another_group_gets_404_for_every_url_of_the_event(instance, client):
    setup = group_event(instance, applicants=2)
    sign_in_group(client, GROUP_B)
    assert "耐久テスト行事" not in client.get("/app/organizer/events").get_data(as_text=True)
    base = f"/app/organizer/events/{setup.post_id}"
    for url in (base, f"{base}/message", "/app/organizer/events/999999"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "主催検査" not in response.get_data(as_text=True)
    token = csrf_token(client.get("/app/organizer/events").get_data(as_text=True))
    target = setup.applications[0]
    for path, data in (
        ("attendance", {"application_id": target, "attended": "yes"}),
        ("cancel", {"application_id": target}),
        ("export", {}),
        ("message", {"audience": "all", "subject": "件名", "body": "本文"}),
    ):
        response = client.post(f"{base}/{path}", data={**data, "csrf_token": token})
        assert response.status_code == 404, path
    with instance.rt.sessions() as db:
        application = db.get(Application, target)
        assert application is not None
        assert (application.status, application.attended) == ("confirmed", False)
        assert db.scalar(select(MessageDelivery.id)) is None
    assert audit_of(instance, "view_personal_data") == []
    assert audit_of(instance, "export_personal_data") == []


def test_an_application_of_another_event_cannot_be_reached_through_an_own_event(instance, client):
    setup = group_event(instance, applicants=1)
    other = group_event_of_b(instance, setup)
    sign_in_group(client, GROUP_A)
    base = f"/app/organizer/events/{setup.post_id}"
    response = post_action(client, f"{base}/cancel", {"application_id": other})
    assert response.status_code == 404
    with instance.rt.sessions() as db:
        assert db.get(Application, other).status == "confirmed"


def group_event_of_b(instance, setup) -> int:  # type: ignore[no-untyped-def]
    """Give group B an approved event with one application; return the application's id."""
    post_id = new_post(instance, setup.group_b, 2, capacity=5)
    post_decisions.approve(instance.rt, setup.moderator, post_decisions.Subject("post", post_id))
    return apply(instance.rt, post_id, applicant_data(99)).application_id


def test_attendance_and_cancel_promote_the_waiting_list(instance, client):
    setup = group_event(instance, capacity=2, applicants=3)
    first, second, third = setup.applications
    sign_in_group(client, GROUP_A)
    base = f"/app/organizer/events/{setup.post_id}"
    response = post_action(
        client, f"{base}/attendance", {"application_id": first, "attended": "yes"}
    )
    assert response.status_code == 302
    assert "出席済み" in client.get(base).get_data(as_text=True)
    response = post_action(client, f"{base}/cancel", {"application_id": second})
    assert response.status_code == 302
    with instance.rt.sessions() as db:
        states = {a.id: (a.status, a.attended) for a in db.scalars(select(Application))}
    assert states == {
        first: ("confirmed", True),
        second: ("cancelled", False),
        third: ("confirmed", False),
    }
    again = post_action(client, f"{base}/cancel", {"application_id": second})
    assert again.status_code == 409
    missing = post_action(client, f"{base}/cancel", {"application_id": ""})
    assert missing.status_code == 422 and "申込を選んでから" in missing.get_data(as_text=True)
    changes = audit_of(instance, "change_personal_data")
    assert {(e.actor_id, e.target_id) for e in changes} == {
        (setup.group_a, first),
        (setup.group_a, second),
    }


@pytest.fixture
def mailing(instance, mailsink: MailSink):  # type: ignore[no-untyped-def]  # noqa: F811
    reconfigure(
        instance,
        HIROBA_SMTP_HOST=mailsink.host,
        HIROBA_SMTP_PORT=str(mailsink.port),
        HIROBA_MAIL_FROM="noreply@hiroba.example.jp",
    )
    return instance, mailsink


def test_a_message_reaches_each_applicant_alone_and_the_organizer_sees_a_count(mailing):
    instance, sink = mailing
    setup = group_event(instance, capacity=2, applicants=3)
    instance.worker_burst()  # the confirmation mails of the applications
    sink.messages.clear()
    client = client_for(instance)
    sign_in_group(client, GROUP_A)
    url = f"/app/organizer/events/{setup.post_id}/message"
    form = client.get(url).get_data(as_text=True)
    assert "organizer-probe" not in form and "参加確定の方: 2人" in form
    bad = submit(client, url, {"audience": "confirmed", "subject": "  ", "body": "中身"})
    assert bad.status_code == 422 and "この項目は必須です" in bad.get_data(as_text=True)
    assert "中身" in bad.get_data(as_text=True)
    response = submit(
        client,
        url,
        {"audience": "confirmed", "subject": "集合場所の変更", "body": "正門に集合してください。"},
        follow=True,
    )
    html = response.get_data(as_text=True)
    assert "2人の申込者にメールを送ります" in html
    instance.worker_burst()
    messages = sink.wait_for(2)
    assert len(messages) == 2
    assert sorted(m["To"] for m in messages) == [
        "organizer-probe-1@example.test",
        "organizer-probe-2@example.test",
    ]
    for message in messages:
        assert message["Cc"] is None and message["Bcc"] is None
        assert "集合場所の変更" in message["Subject"]
        assert "正門に集合してください。" in message.get_content()
    [entry] = audit_of(instance, "message_applicants")
    assert (entry.actor_id, entry.target_id, entry.count) == (setup.group_a, setup.post_id, 2)
    instance.worker_burst()  # a second run sends nothing again
    assert len(sink.messages) == 2
