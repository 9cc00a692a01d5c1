"""Applying to an event: capacity in people, the waiting list, the form's checks, the signed
link, the availability JSON and the mails (a real SMTP server, a real rq worker)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from accounts_support import client_for, reconfigure
from actors import open_group
from conftest import csrf_token, submit
from mailsink import MailSink, mailsink  # noqa: F401 - the fixture
from sqlalchemy import select, update

from intake.applications import allocation
from intake.applications import services as svc
from intake.applications.links import application_path, local_now, make_link_token
from intake.applications.questions import Question, encode_questions
from intake.errors import InvalidTransition
from intake.models import Application, Post
from intake.moderation import decisions as post_decisions
from intake.posts.services import PostData, submit_post

LINK = re.compile(r'href="(/app/applications/[^"]+)"')
MAIL_LINK = re.compile(r"https?://\S+(/app/applications/\S+)")


def live_event(instance, capacity: int | None = 5, **extra) -> int:  # type: ignore[no-untyped-def]
    moderator, group = open_group(instance)
    data = PostData(
        kind="event",
        title="申込検査の行事",
        summary="申込の検査です。",
        starts_at=local_now().replace(microsecond=0) + timedelta(days=20),
        place_name="検査会場",
        capacity=capacity,
        accepts_applications=True,
        **extra,
    )
    post_id = submit_post(instance.rt, group, data)
    post_decisions.approve(instance.rt, moderator, post_decisions.Subject("post", post_id))
    return post_id


def person(n: int, party: int = 1) -> svc.ApplicationData:
    return svc.ApplicationData(
        name=f"申込 花子{n}",
        address=f"東京都新宿区検査町{n}",
        phone="",
        email=f"applicant-{n}@example.test",
        party_size=party,
    )


def form(n: int, **extra: str) -> dict[str, str]:
    return {
        "name": f"申込 花子{n}",
        "address": f"東京都新宿区検査町{n}",
        "phone": f"080-7{n:03d}-1357",
        "email": f"applicant-{n}@example.test",
        "party_size": "1",
        "consent": "y",
        **extra,
    }


def statuses(instance, post_id: int) -> dict[int, str]:  # type: ignore[no-untyped-def]
    with instance.rt.sessions() as db:
        rows = db.scalars(select(Application).where(Application.post_id == post_id))
        return {row.id: row.status for row in rows}


def test_capacity_counts_people_and_the_waiting_list_moves_in_order(instance):
    post_id = live_event(instance, capacity=5, waitlist=True)
    a = svc.apply(instance.rt, post_id, person(1, 2))
    b = svc.apply(instance.rt, post_id, person(2, 3))
    assert (a.status, b.status) == ("confirmed", "confirmed")
    c = svc.apply(instance.rt, post_id, person(3, 2))
    d = svc.apply(instance.rt, post_id, person(4, 1))
    assert (c.status, c.position, d.status, d.position) == ("waitlisted", 1, "waitlisted", 2)

    assert svc.cancel_application(instance.rt, a.application_id) == [c.application_id]
    assert svc.view_application(instance.rt, d.application_id).position == 1
    assert svc.cancel_application(instance.rt, c.application_id) == [d.application_id]
    # One place is free now; a party of two waits, and a party of one does not overtake it.
    e = svc.apply(instance.rt, post_id, person(5, 2))
    f = svc.apply(instance.rt, post_id, person(6, 1))
    assert (e.status, e.position, f.status, f.position) == ("waitlisted", 1, "waitlisted", 2)
    assert svc.cancel_application(instance.rt, b.application_id) == [
        e.application_id,
        f.application_id,
    ]
    with instance.rt.sessions() as db:
        assert svc.taken_places(db, post_id) == 4
    with pytest.raises(InvalidTransition):
        svc.cancel_application(instance.rt, b.application_id)
    assert svc.availability(instance.rt, post_id) == {
        "status": "few",
        "label": "残りわずか",
        "remaining": 1,
    }


def test_without_a_waiting_list_a_full_event_refuses(instance, client):
    post_id = live_event(instance, capacity=3)
    with pytest.raises(svc.PartyTooLarge):
        svc.apply(instance.rt, post_id, person(1, 4))
    svc.apply(instance.rt, post_id, person(1, 3))
    with pytest.raises(svc.EventFull):
        svc.apply(instance.rt, post_id, person(2, 1))
    with pytest.raises(svc.EventFull):  # the same refusal whether or not the details applied
        svc.apply(instance.rt, post_id, person(1, 1))
    assert svc.availability(instance.rt, post_id)["status"] == "full"
    page = client.get(f"/app/events/{post_id}/apply")
    assert page.status_code == 200 and "満員" in page.get_data(as_text=True)
    assert 'name="name"' not in page.get_data(as_text=True)


def test_the_deadline_closes_the_form(instance, client):
    post_id = live_event(instance, apply_until=local_now() - timedelta(minutes=1))
    page = client.get(f"/app/events/{post_id}/apply")
    assert page.status_code == 200 and "申込受付は終了しました" in page.get_data(as_text=True)
    with pytest.raises(svc.ApplicationsClosed):
        svc.apply(instance.rt, post_id, person(1))
    assert client.get(f"/app/events/{post_id}/availability").get_json() == {
        "status": "closed",
        "label": "受付終了",
        "remaining": 5,
        "text": "申込状況: 受付終了",
    }


def test_apply_through_the_form_mails_the_standing_and_a_link(instance, mailsink: MailSink):  # noqa: F811
    reconfigure(instance, HIROBA_SMTP_HOST=mailsink.host, HIROBA_SMTP_PORT=str(mailsink.port))
    post_id = live_event(instance, capacity=1, waitlist=True)
    client = client_for(instance)
    first = submit(client, f"/app/events/{post_id}/apply", form(1))
    assert first.status_code == 302
    page = client.get(first.headers["Location"]).get_data(as_text=True)
    # The page tells nothing of the outcome (a duplicate gets it too): the mail does.
    assert "申込を受け付けました" in page and "参加が確定" not in page and not LINK.search(page)
    other = client_for(instance)
    second = submit(other, f"/app/events/{post_id}/apply", form(2))
    assert other.get(second.headers["Location"]).get_data(as_text=True) == page
    assert sorted(statuses(instance, post_id).values()) == ["confirmed", "waitlisted"]
    instance.worker_burst()
    [waiting_mail] = [m for m in mailsink.wait_for(3) if m["To"] == "applicant-2@example.test"]
    assert "キャンセル待ち（1番目）" in waiting_mail.get_content()
    link = MAIL_LINK.search(waiting_mail.get_content())
    assert link and "applicant" not in link.group(1)  # the link carries no personal data
    own = other.get(link.group(1)).get_data(as_text=True)
    assert "キャンセル待ち（1番目）" in own and "申込をキャンセルする" in own


def test_consent_is_required_and_input_is_kept(instance, client):
    post_id = live_event(instance)
    response = submit(client, f"/app/events/{post_id}/apply", form(1, consent=""))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "申し込むには同意が必要です" in html and 'value="申込 花子1"' in html
    assert 'href="/pages/privacy/"' in html
    assert statuses(instance, post_id) == {}


def test_honeypot_is_refused_and_duplicates_take_no_second_place(instance, client):
    post_id = live_event(instance, waitlist=True)
    bot = submit(client, f"/app/events/{post_id}/apply", form(1, website="http://spam.example"))
    assert bot.status_code == 422
    assert "入力欄以外の項目が変更されています" in bot.get_data(as_text=True)
    assert statuses(instance, post_id) == {}
    assert submit(client, f"/app/events/{post_id}/apply", form(1)).status_code == 302
    for again in (form(1), form(9, email="APPLICANT-1@example.test"), form(8, phone="08070011357")):
        response = submit(client_for(instance), f"/app/events/{post_id}/apply", again)
        assert response.status_code == 302  # answered like a new application ...
    assert len(statuses(instance, post_id)) == 1  # ... but nothing was taken


def test_a_form_sent_too_soon_or_without_its_stamp_is_refused(instance):
    reconfigure(instance, HIROBA_APPLY_MIN_SECONDS="30")
    client = client_for(instance)
    post_id = live_event(instance)
    url = f"/app/events/{post_id}/apply"
    html = client.get(url).get_data(as_text=True)
    started = re.search(r'name="started" type="hidden" value="([^"]+)"', html)
    assert started
    data = {**form(1), "csrf_token": csrf_token(html)}
    fast = client.post(url, data={**data, "started": started.group(1)})
    assert fast.status_code == 422 and "送信が早すぎます" in fast.get_data(as_text=True)
    forged = client.post(url, data={**data, "started": started.group(1)[:-2] + "xx"})
    assert forged.status_code == 422 and "有効期限が切れました" in forged.get_data(as_text=True)
    assert statuses(instance, post_id) == {}


def test_rate_limit_per_address(instance):
    reconfigure(instance, HIROBA_RATE_LIMIT_APPLY="2 per minute")
    client = client_for(instance)
    post_id = live_event(instance, capacity=10)
    codes = [submit(client, f"/app/events/{post_id}/apply", form(n)).status_code for n in range(3)]
    assert codes == [302, 302, 429]


def test_signed_link_views_cancels_and_refuses_tampering(instance, client):
    post_id = live_event(instance, capacity=1, waitlist=True)
    assert submit(client, f"/app/events/{post_id}/apply", form(1)).status_code == 302
    [first_id] = statuses(instance, post_id)
    waiting = svc.apply(instance.rt, post_id, person(2))
    path = application_path(
        make_link_token(instance.settings.secret_key(), first_id, local_now() + timedelta(30))
    )
    for bad in (
        path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb"),
        "/app/applications/" + make_link_token(b"another-secret-key-of-32-bytes!!", 1, local_now()),
        "/app/applications/"
        + make_link_token(
            instance.settings.secret_key(), waiting.application_id, local_now() - timedelta(1)
        ),
    ):
        response = client.get(bad)
        assert response.status_code == 404 and "このリンクは使えません" in response.get_data(
            as_text=True
        )
        assert (
            client.post(bad, data={"csrf_token": csrf_token(client.get(path).text)}).status_code
            == 404
        )
    page = client.get(path).get_data(as_text=True)
    cancelled = client.post(path, data={"csrf_token": csrf_token(page)}, follow_redirects=True)
    assert "申込をキャンセルしました" in cancelled.get_data(as_text=True)
    assert sorted(statuses(instance, post_id).values()) == ["cancelled", "confirmed"]
    assert svc.view_application(instance.rt, waiting.application_id).status == "confirmed"


def test_availability_json(instance, client):
    post_id = live_event(instance, capacity=10, waitlist=True)
    url = f"/app/events/{post_id}/availability"
    assert client.get(url).get_json() == {
        "status": "available",
        "label": "空きあり",
        "remaining": 10,
        "text": "申込状況: 空きあり（残り10人）",
    }
    svc.apply(instance.rt, post_id, person(1, 8))
    assert client.get(url).get_json() == {
        "status": "few",
        "label": "残りわずか",
        "remaining": 2,
        "text": "申込状況: 残りわずか（残り2人）",
    }
    english = client.get(url + "?lang=en")
    assert english.get_json()["text"] == "Availability: Few places left (2 places left)"
    assert "Set-Cookie" not in english.headers  # the page's language, never remembered
    svc.apply(instance.rt, post_id, person(2, 2))
    assert client.get(url).get_json() == {
        "status": "waitlist",
        "label": "キャンセル待ち受付中",
        "remaining": 0,
        "text": "申込状況: キャンセル待ち受付中",
    }
    assert client.get("/app/events/999999/availability").status_code == 404


def test_custom_questions_and_contact_choice(instance):
    reconfigure(instance, toml='[applications]\ncontact = ["email"]\n')
    client = client_for(instance)
    questions = [
        Question("食物アレルギー", "text"),
        Question("参加する回", "choice", ("午前", "午後"), required=True),
        Question("手伝える作業", "checkbox", ("受付", "片付け")),
    ]
    post_id = live_event(instance, questions=encode_questions(questions), ask_contact="both")
    url = f"/app/events/{post_id}/apply"
    html = client.get(url).get_data(as_text=True)
    assert 'name="phone"' not in html and 'name="email"' in html and "参加する回" in html
    missing = submit(client, url, form(1, phone=""))
    assert missing.status_code == 422 and "選択してください" in missing.get_data(as_text=True)
    forged = submit(client, url, form(1, phone="", q1="夜"))
    assert forged.status_code == 422 and "選択肢の中から選んでください" in forged.get_data(
        as_text=True
    )
    answers = {"q0": "卵", "q1": "午後", "q2": ["受付", "片付け"]}
    assert submit(client, url, {**form(1, phone=""), **answers}).status_code == 302
    with instance.rt.sessions() as db:
        row = db.scalars(select(Application)).one()
        assert row.phone_enc is None and "卵" not in (row.answers_enc or "")
        opened = instance.rt.vault.open(row.answers_enc, "applications.answers")
        assert json.loads(opened or "") == ["卵", "午後", ["受付", "片付け"]]


def _to_applicants(messages: list) -> list:  # type: ignore[type-arg]
    return [m for m in messages if str(m["To"]).startswith("applicant-")]


def test_confirmation_and_promotion_mails_carry_a_working_link(instance, mailsink: MailSink):  # noqa: F811
    reconfigure(
        instance,
        HIROBA_SMTP_HOST=mailsink.host,
        HIROBA_SMTP_PORT=str(mailsink.port),
        HIROBA_PUBLIC_URL="https://hiroba.example.jp",
    )
    client = client_for(instance)
    post_id = live_event(instance, capacity=1, waitlist=True)
    assert submit(client, f"/app/events/{post_id}/apply", form(1)).status_code == 302
    waiting = submit(client_for(instance), f"/app/events/{post_id}/apply", form(2))
    assert waiting.status_code == 302
    instance.worker_burst()
    # The poster is also mailed once, about the approval of the event.
    applicants = _to_applicants(mailsink.wait_for(3))
    confirmed_mail, waiting_mail = sorted(applicants, key=lambda m: m["To"])
    assert confirmed_mail["To"] == "applicant-1@example.test"
    assert "参加確定" in confirmed_mail["Subject"]
    assert "キャンセル待ち" in waiting_mail.get_content() and "1番目" in waiting_mail.get_content()
    link = MAIL_LINK.search(confirmed_mail.get_content())
    assert link
    page = client.get(link.group(1)).get_data(as_text=True)
    assert "参加確定" in page
    client.post(link.group(1), data={"csrf_token": csrf_token(page)})
    instance.worker_burst()
    messages = _to_applicants(mailsink.wait_for(4))
    assert len(messages) == 3
    promoted = messages[2]
    assert promoted["To"] == "applicant-2@example.test"
    assert "繰り上がりました" in promoted.get_content()


# Per request, not per outcome: the clock, the session cookie, the rate limiter's window.
# x-request-id: a fresh random id per response (intake/watching/views.py), for the logs.
VOLATILE_HEADERS = {"date", "set-cookie", "retry-after", "x-request-id"}
TOKEN = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+|(/app/applications/)[^"\s<]+')


def _answer(client, url: str, data: dict[str, str]) -> tuple:  # type: ignore[no-untyped-def,type-arg]
    """Return what an applicant can observe: the POST's answer and the page it leads to."""
    response = submit(client, url, data)
    headers = sorted(
        (name.lower(), value)
        for name, value in response.headers.items()
        if name.lower() not in VOLATILE_HEADERS and not name.lower().startswith("x-ratelimit")
    )
    cookies = sorted(c.split("=", 1)[0] for c in response.headers.getlist("Set-Cookie"))
    page = client.get(response.headers["Location"]) if response.status_code == 302 else None
    shown = (page.status_code, TOKEN.sub(r"\1\2", page.get_data(as_text=True))) if page else None
    return response.status_code, headers, cookies, TOKEN.sub(r"\1\2", response.text), shown


# Details of applicant 1 (080-7001-1357, applicant-1@example.test) in every written form.
DUPLICATES = [
    form(1),
    form(11, email="APPLICANT-1@EXAMPLE.TEST", phone=""),
    form(12, email=" applicant-1@example.test ", phone="03-5555-0012"),
    form(13, phone="０８０－７００１－１３５７", email=""),
    form(14, phone="080 7001 1357", email="someone-else@example.test"),
    form(15, phone="(080)70011357", email=""),
]


def test_a_duplicate_is_answered_exactly_like_a_new_application(instance, mailsink: MailSink):  # noqa: F811
    reconfigure(
        instance,
        HIROBA_SMTP_HOST=mailsink.host,
        HIROBA_SMTP_PORT=str(mailsink.port),
        HIROBA_PUBLIC_URL="https://hiroba.example.jp",
    )
    post_id = live_event(instance, capacity=2, waitlist=True)
    url = f"/app/events/{post_id}/apply"
    fresh = [_answer(client_for(instance), url, form(n)) for n in (1, 2, 3)]
    assert fresh[0][0] == 302 and fresh[0] == fresh[1] == fresh[2]  # confirmed, confirmed, waiting
    before = (statuses(instance, post_id), svc.availability(instance.rt, post_id))
    for data in DUPLICATES:
        assert _answer(client_for(instance), url, data) == fresh[0], data
    # The protection holds: no second place, no place on the waiting list.
    assert (statuses(instance, post_id), svc.availability(instance.rt, post_id)) == before
    assert svc.apply(instance.rt, post_id, person(4)).position == 2
    instance.worker_burst()
    notices = [m for m in mailsink.wait_for(8) if "もう一度申込" in str(m["Subject"])]
    # Only the owner is told, and at most DUPLICATE_NOTICES_PER_DAY times a day.
    assert [m["To"] for m in notices] == [
        "applicant-1@example.test"
    ] * allocation.DUPLICATE_NOTICES_PER_DAY
    assert not [m for m in mailsink.messages if "someone-else" in str(m["To"])]
    text = notices[0].get_content()
    assert "新しい席は取っていません" in text and "参加確定" in text
    for secret in ("申込 花子1", "検査町1", "7001", "someone-else"):
        assert all(secret not in m.get_content() for m in notices), secret
    link = MAIL_LINK.search(text)
    assert link
    own = client_for(instance).get(link.group(1)).get_data(as_text=True)
    assert "参加確定" in own and "申込をキャンセルする" in own


def test_a_form_built_before_the_event_changed_stores_nothing_it_did_not_ask(instance, client):
    """The POST builds its form from the event this process read a moment ago (open_events);
    the allocation's locked read decides: changed questions mean the form is built again,
    a closed event or a passed deadline refuse as they do when read afresh."""
    post_id = live_event(instance, capacity=5)
    url = f"/app/events/{post_id}/apply"

    def change(**values: object) -> None:
        with instance.rt.sessions.begin() as db:
            db.execute(update(Post).where(Post.id == post_id).values(**values))

    token = csrf_token(client.get(url).get_data(as_text=True))
    asked = encode_questions([Question("参加する回", "choice", ("午前", "午後"), required=True)])
    change(questions=asked)
    rebuilt = client.post(url, data={**form(1), "csrf_token": token})
    assert rebuilt.status_code == 422 and "選択してください" in rebuilt.get_data(as_text=True)
    assert statuses(instance, post_id) == {}

    token = csrf_token(client.get(url).get_data(as_text=True))
    change(apply_until=local_now() - timedelta(minutes=1))
    late = client.post(url, data={**form(1), "q0": "午前", "csrf_token": token})
    assert late.status_code == 409 and "終了しました" in late.get_data(as_text=True)

    change(apply_until=None)
    token = csrf_token(client.get(url).get_data(as_text=True))
    change(accepts_applications=False)
    assert client.post(url, data={**form(1), "q0": "午前", "csrf_token": token}).status_code == 404
    assert statuses(instance, post_id) == {}

    # Kept while closed, open again: read again, not refused.
    change(accepts_applications=True, apply_until=local_now() - timedelta(minutes=1))
    assert "終了しました" in client.get(url).get_data(as_text=True)
    change(apply_until=None)
    reopened = client.post(url, data={**form(1), "q0": "午前", "csrf_token": token})
    assert reopened.status_code == 302 and len(statuses(instance, post_id)) == 1
