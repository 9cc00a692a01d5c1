"""Paper and phone (電話・紙): a paper registration without an e-mail address and its printed
letter; applications staff type in; change requests a moderator types in; posts a moderator
enters on an account's behalf, and the notice mailed to its holder.

Through HTTP with CSRF, on both databases, with a real rq worker and a real SMTP server
(aiosmtpd)."""

from __future__ import annotations

import io
import re

import pytest
import pyzipper
from accounts_support import client_for, individual_form, reconfigure
from actors import EVENT, MODERATOR, applicant, decide, make_moderator, sign_in
from conftest import Instance, csrf_token, submit
from formula_payloads import cells
from mailsink import MailSink, mailsink  # noqa: F401 - the fixture
from organizer_support import GROUP_A, GROUP_B, group_event
from sqlalchemy import select

from intake.accounts.models import EntrySource
from intake.accounts.services import (
    PersonData,
    Registration,
    login_index,
    open_person,
    register,
)
from intake.models import (
    Account,
    Application,
    AuditEntry,
    ChangeRequest,
    PasswordResetToken,
    Post,
    Task,
    TaskState,
)
from intake.moderation import services as moderation

PUBLIC_URL = "https://hiroba.example.jp"
OPERATOR_TOML = """
[operator]
name = "しんじゅく広場 <b>運営事務局</b>"
address = "東京都新宿区検査町1-2-3"
phone = "03-5555-0123"
hours = "平日 9:00〜17:00"
email = "office@hiroba.example.jp"
"""
INITIAL = re.compile(r'<code class="password">([a-z0-9]{16})</code>')


@pytest.fixture(name="office")
def office_fixture(instance: Instance, mailsink: MailSink):  # type: ignore[no-untyped-def]  # noqa: F811
    """The instance with the operator's details and mail to the test SMTP server."""
    reconfigure(
        instance,
        OPERATOR_TOML,
        HIROBA_SMTP_HOST=mailsink.host,
        HIROBA_SMTP_PORT=str(mailsink.port),
        HIROBA_MAIL_FROM="noreply@hiroba.example.jp",
        HIROBA_PUBLIC_URL=PUBLIC_URL,
    )
    return instance, mailsink


def moderator_client(instance: Instance, lang: str = "ja"):  # type: ignore[no-untyped-def]
    make_moderator(instance)
    client = client_for(instance)
    client.get(f"/app/login?set_lang={lang}")  # the language switch: a cookie
    sign_in(client, *MODERATOR)
    return client


def moderator_id(instance: Instance) -> int:
    """Return the id of the moderator who signs in (MODERATOR), not of a set-up's own."""
    index = login_index(instance.rt.vault, MODERATOR[0])
    with instance.rt.sessions() as db:
        return int(db.scalars(select(Account.id).where(Account.login_index == index)).one())


def audited(instance: Instance, action: str) -> list[tuple[int | None, str, int | None, str]]:
    with instance.rt.sessions() as db:
        entries = db.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
        return [(e.actor_id, e.target_kind, e.target_id, e.detail) for e in entries]


def no_failed_tasks(instance: Instance) -> bool:
    with instance.rt.sessions() as db:
        states = set(db.scalars(select(Task.state)))
    return TaskState.FAILED not in states


def without_email(n: int, login: str) -> dict[str, str]:
    data = individual_form(n, login)
    data["person-email"] = ""
    return data


# Paper registrations -------------------------------------------------------------------


def test_paper_registration_without_email_prints_the_letter_and_nothing_mails(office):
    instance, sink = office
    moderator = moderator_client(instance)
    form = moderator.get("/app/moderation/paper/individual").get_data(as_text=True)
    assert "メールアドレス（任意）" in form
    response = submit(moderator, "/app/moderation/paper/individual", without_email(41, "paper-41"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:3000]
    assert response.headers["Cache-Control"] == "no-store"
    assert "登録完了のお知らせ" in html and "漏洩検査 花子41 様" in html
    assert "東京都新宿区検査町41丁目9番9号" in html and "paper-41" in html
    assert f"{PUBLIC_URL}/app/login" in html and "03-5555-0123" in html
    assert "しんじゅく広場 &lt;b&gt;運営事務局&lt;/b&gt;" in html  # the operator's text is text
    assert "メールアドレスの登録がないため" in html
    found = INITIAL.search(html)
    assert found is not None
    initial = found.group(1)
    with instance.rt.sessions() as db:
        account = db.scalars(select(Account).where(Account.source == "paper")).one()
        assert open_person(instance.rt.vault, account.persons[0]).email == ""
        assert initial not in account.password_hash
        details = " ".join(str(e.detail) for e in db.scalars(select(AuditEntry)))
    assert initial not in details
    # A web registration still needs an address.
    web = submit(client_for(instance), "/app/register", without_email(42, "web-42"))
    assert web.status_code == 422 and "person-email-error" in web.get_data(as_text=True)

    decide(moderator, f"/app/moderation/accounts/{account.id}", approve=True)
    result = instance.worker_burst()
    assert initial not in result.stdout + result.stderr  # never in a log
    assert sink.messages == [] and no_failed_tasks(instance)  # no address: no mail, no failure
    member = client_for(instance)
    sign_in(member, "paper-41", initial)
    # The initial password must be replaced first (tests/test_first_password.py).
    assert member.get("/app/account").headers["Location"] == "/app/account/first-password"
    # A password reset for an account without an address owes nothing and says the same.
    asked = submit(client_for(instance), "/app/password/forgot", {"identifier": "paper-41"})
    assert asked.status_code == 302
    instance.worker_burst()
    assert sink.messages == [] and no_failed_tasks(instance)
    with instance.rt.sessions() as db:
        assert db.scalars(select(PasswordResetToken)).all() == []


def test_paper_letter_in_english(office):
    instance, _ = office
    moderator = moderator_client(instance, lang="en")
    response = submit(moderator, "/app/moderation/paper/individual", without_email(43, "paper-43"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:3000]
    assert "Notice of registration" in html and "Initial password" in html
    assert INITIAL.search(html) is not None


# Applications typed in by staff --------------------------------------------------------


def test_staff_type_in_applications_counted_like_any_other(office):
    instance, sink = office
    setup = group_event(instance, capacity=2, applicants=0)
    organizer = client_for(instance)
    sign_in(organizer, *GROUP_A)
    enter = f"/app/organizer/events/{setup.post_id}/enter"
    page = organizer.get(enter)
    assert page.status_code == 200 and "電話・紙の申込を入力" in page.get_data(as_text=True)
    phone_only = {**applicant(51), "email": "", "source": "phone", "q0": "なし"}
    bad = submit(organizer, enter, {**phone_only, "phone": ""})
    assert bad.status_code == 422 and "申込検査 次郎51" in bad.get_data(as_text=True)
    answer = submit(organizer, enter, phone_only, follow=True)
    html = answer.get_data(as_text=True)
    assert "参加確定です" in html and "確認メールは送られません" in html
    again = submit(organizer, enter, phone_only)
    assert again.status_code == 422 and "すでに申込があります" in again.get_data(as_text=True)

    moderator = moderator_client(instance)
    by_moderator = f"/app/moderation/events/{setup.post_id}/enter"
    assert "電話・紙で届いた申込を入力する" in moderator.get(
        f"/app/moderation/posts/{setup.post_id}"
    ).get_data(as_text=True)
    paper = {**applicant(52), "source": "paper"}
    answer = submit(moderator, by_moderator, paper, follow=True)
    assert "確認メールを申込者に送ります" in answer.get_data(as_text=True)
    web = submit(client_for(instance), f"/app/events/{setup.post_id}/apply", applicant(53))
    assert web.status_code == 302
    late = submit(moderator, by_moderator, {**applicant(54), "source": "phone"}, follow=True)
    assert "キャンセル待ち" in late.get_data(as_text=True)

    with instance.rt.sessions() as db:
        rows = list(db.scalars(select(Application).order_by(Application.seq)))
    placed = [(a.source, a.status) for a in rows]
    assert placed[:2] == [(EntrySource.PHONE, "confirmed"), (EntrySource.PAPER, "confirmed")]
    assert placed[-1] == (EntrySource.PHONE, "waitlisted")
    me = moderator_id(instance)
    entries = audited(instance, "enter_personal_data")
    assert (setup.group_a, "application", rows[0].id, "phone application") in entries
    assert (me, "application", rows[1].id, "paper application") in entries

    instance.worker_burst()
    addresses = {str(m["To"]) for m in sink.wait_for(2)}
    assert "apply-probe-52@example.test" in addresses
    assert "apply-probe-51@example.test" not in addresses and no_failed_tasks(instance)

    listing = organizer.get(f"/app/organizer/events/{setup.post_id}").get_data(as_text=True)
    assert "<td>電話</td>" in listing and "<td>紙</td>" in listing
    exported = organizer.post(
        f"/app/organizer/events/{setup.post_id}/export", data={"csrf_token": csrf_token(listing)}
    )
    html = exported.get_data(as_text=True)
    password = re.search(r'id="zip-password">([^<]+)<', html)
    url = re.search(r'href="(/app/organizer/exports/[^"]+)"', html)
    assert password and url
    with pyzipper.AESZipFile(io.BytesIO(organizer.get(url.group(1)).get_data())) as archive:
        archive.setpassword(password.group(1).encode())
        table = cells(archive.read(archive.namelist()[0]))
    column = table[0].index("受付方法")
    assert [row[column] for row in table[1:3]] == ["電話", "紙"]

    # Another group cannot type into this event; the English page has English words.
    other = client_for(instance)
    sign_in(other, *GROUP_B)
    assert other.get(enter).status_code == 404
    english = moderator.get(f"{by_moderator}?lang=en").get_data(as_text=True)
    assert "Enter an application received by phone or on paper" in english


# Change requests typed in by a moderator -----------------------------------------------


def test_moderator_types_in_a_change_request_decided_old_beside_new(office):
    instance, _ = office
    moderator = moderator_client(instance)
    me = moderator_id(instance)
    member = register(
        instance.rt,
        Registration(
            kind="individual",
            login="change-61",
            password="change-password-61",
            public_name="変更会員61",
            persons={"self": PersonData(name="変更 一郎", phone="03-1111-2222", address="旧住所")},
        ),
    )
    moderation.decide_account(instance.rt, me, member, approve=True)
    listed = moderator.get("/app/moderation/on-behalf").get_data(as_text=True)
    assert f"/app/moderation/accounts/{member}" in listed
    account_page = moderator.get(f"/app/moderation/accounts/{member}").get_data(as_text=True)
    path = f"/app/moderation/accounts/{member}/change/self"
    assert path in account_page
    form = moderator.get(path).get_data(as_text=True)
    assert "旧住所" in form and "受付方法" in form
    data = {
        "source": "phone",
        "person-name": "変更 一郎",
        "person-kana": "へんこう いちろう",
        "person-postal_code": "160-0022",
        "person-address": "新住所 <b>1-1</b>",
        "person-phone": "03-1111-2222",
        "person-email": "",
    }
    missing = submit(moderator, path, {**data, "source": ""})
    assert missing.status_code == 422 and "新住所 &lt;b&gt;1-1&lt;/b&gt;" in missing.get_data(
        as_text=True
    )
    response = submit(moderator, path, data)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    with instance.rt.sessions() as db:
        request = db.scalars(select(ChangeRequest)).one()
        assert (request.source, request.entered_by) == (EntrySource.PHONE, me)
    review = moderator.get(response.headers["Location"]).get_data(as_text=True)
    assert "旧住所" in review and "新住所 &lt;b&gt;1-1&lt;/b&gt;" in review and "電話" in review
    decide(moderator, f"/app/moderation/changes/{request.id}", approve=True)
    with instance.rt.sessions() as db:
        account = db.get(Account, member)
        assert account is not None
        assert open_person(instance.rt.vault, account.persons[0]).address == "新住所 <b>1-1</b>"
    assert (me, "change_request", request.id) in [
        e[:3] for e in audited(instance, "enter_personal_data")
    ]
    assert [e[2] for e in audited(instance, "change_personal_data")] == [member]
    # Only an active account's persons, and only moderators.
    assert moderator.get(f"/app/moderation/accounts/{member}/change/nobody").status_code == 404
    english = moderator.get(f"{path}?lang=en").get_data(as_text=True)
    assert "Enter a change received by phone or on paper" in english


# Posting on an account's behalf --------------------------------------------------------


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_moderator_posts_on_a_groups_behalf_and_the_group_is_told(office, lang):
    instance, sink = office
    moderator = moderator_client(instance)
    me = moderator_id(instance)
    group = register(
        instance.rt,
        Registration(
            kind="group",
            login="behalf-group",
            password="behalf-password-1",
            public_name="代理テスト団体",
            persons={
                "representative": PersonData(name="代理 一郎", email="behalf-rep@example.test"),
                "contact": PersonData(name="代理 二郎", email="behalf-contact@example.test"),
            },
            language=lang,
        ),
    )
    moderation.decide_account(instance.rt, me, group, approve=True)
    instance.worker_burst()
    sink.messages.clear()
    pick = moderator.get("/app/moderation/on-behalf").get_data(as_text=True)
    assert f"/app/moderation/on-behalf/{group}" in pick and "代理テスト団体" in pick
    path = f"/app/moderation/on-behalf/{group}"
    bad = submit(moderator, path, {**EVENT, "title": ""})
    assert bad.status_code == 422 and EVENT["summary"] in bad.get_data(as_text=True)
    response = submit(moderator, path, EVENT)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    with instance.rt.sessions() as db:
        post = db.scalars(select(Post)).one()
        assert (post.account_id, post.entered_by) == (group, me)
    review = moderator.get(response.headers["Location"]).get_data(as_text=True)
    assert "代わりに入力" in review
    assert audited(instance, "post_on_behalf") == [(me, "post", post.id, f"account {group}")]

    instance.worker_burst()
    [notice] = sink.wait_for(1)
    assert str(notice["To"]) == "behalf-contact@example.test"
    body = notice.get_content()
    if lang == "ja":
        assert "運営者があなたに代わって投稿を入力しました" in str(notice["Subject"])
        assert f"「{EVENT['title']}」（投稿番号 {post.id}）" in body
        assert f"{PUBLIC_URL}/app/my\n" in body
    else:
        assert "A moderator entered a post on your behalf" in str(notice["Subject"])
        assert f"{PUBLIC_URL}/app/my?lang=en" in body

    decide(moderator, f"/app/moderation/posts/{post.id}", approve=True)
    with instance.rt.sessions() as db:
        assert db.get(Post, post.id).status == "approved"  # type: ignore[union-attr]
    assert (me, "post", post.id) in [e[:3] for e in audited(instance, "decide_post")]
    holder = client_for(instance)
    sign_in(holder, "behalf-group", "behalf-password-1")
    assert "運営者が代わりに入力" in holder.get("/app/my").get_data(as_text=True)
    instance.worker_burst()
    assert no_failed_tasks(instance)
