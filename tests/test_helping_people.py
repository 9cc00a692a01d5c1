"""Moderators find and help people, through HTTP with CSRF on both databases: the audited
account search over sealed data (a kana-width variant finds the same person; the words
searched for are in no URL, log or audit entry), switching a disabled account on again,
the four-eyes reset of a staff member's second factor and the new enrolment at sign-in,
correcting a live post directly and restoring a taken-down one. A real rq worker publishes
and mails (a real SMTP server, aiosmtpd), in Japanese and in English."""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta

import pyotp
import pytest
from accounts_support import client_for, forget_outcome_mails
from actors import EVENT, MODERATOR, make_staff, sign_in
from conftest import csrf_token, submit
from mailsink import mailsink  # noqa: F401 - the fixture
from moderation_support import (
    GROUP_PASSWORD,
    POSTER_ADDRESS,
    flashes,
    group_account,
    live_page,
    mailing_fixture,  # noqa: F401 - the fixture "mailing"
    new_post,
    people,
    review,
)
from sqlalchemy import select, update

from intake.accounts.models import AccountStatus
from intake.helping.mail import restored_text
from intake.helping.search import normalise
from intake.models import Account, AuditEntry, Decision, Post, RecoveryCode, utcnow
from intake.office.records import FactorReset
from intake.posts.models import PostStatus

OTHER_ADDRESS = "leak-probe-542@example.test"  # group 42's contact person


def _audit(instance, action: str) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    with instance.rt.sessions() as db:
        return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _search(client, query: str):  # type: ignore[no-untyped-def]
    return submit(client, "/app/moderation/accounts", {"query": query})


def _found(html: str) -> set[int]:
    return {int(n) for n in re.findall(r'href="/app/moderation/accounts/(\d+)"', html)}


def test_normalise_folds_width_kana_and_case() -> None:
    assert normalise("ﾛｳｴｲ ｹﾝｻ") == normalise("ろうえいけんさ") == normalise("ロウエイケンサ")
    assert normalise("ＬＥＡＫ－Probe") == "leak-probe"


def test_search_by_name_kana_login_phone_and_mail_is_audited_without_the_words(
    instance, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    who = people(instance)
    first, second = group_account(instance, 41), group_account(instance, 42)
    page = who.moderator.get("/app/moderation/accounts")
    assert page.status_code == 200 and 'method="post"' in page.get_data(as_text=True)
    caplog.set_level(logging.DEBUG)
    queries = {
        "ﾛｳｴｲｹﾝｻ ﾊﾅｺ": {first, second},  # half-width katakana finds the hiragana kana
        "花子41": {first},
        "０９０－９０４１－７５３１": {first},  # full-width digits and dashes
        "09095427531": {second},  # the contact person's phone, without dashes
        "LEAK-PROBE-542@EXAMPLE.TEST": {second},
        "ＦＬＯＷ－ＧＲＯＵＰ－４２": {second},  # the login, full width
        "テスト団体": {first, second},
        "該当しない名前": set(),
    }
    for query, expected in queries.items():
        response = _search(who.moderator, query)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, html[:2000]
        assert response.headers["Cache-Control"] == "no-store"
        assert _found(html) == expected, query
    assert "合うアカウントはありません" in html
    blank = _search(who.moderator, "   ")
    assert blank.status_code == 422 and "この項目は必須です" in blank.get_data(as_text=True)

    entries = _audit(instance, "search_accounts")
    assert [e.count for e in entries] == [len(v) for v in queries.values()]
    with instance.rt.sessions() as db:
        moderator_id = db.scalars(
            select(Account.id).where(Account.public_name == "テスト運営")
        ).one()
    for entry in entries:
        assert entry.actor_id == moderator_id and entry.target_id is None
        for query in queries:
            assert query not in entry.detail
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for query in queries:
        assert query not in logged
    # A reader who is not a moderator gets nothing.
    assert who.poster.get("/app/moderation/accounts").status_code in (302, 403)


def test_a_disabled_account_is_switched_on_again_and_told_in_its_language(mailing) -> None:  # type: ignore[no-untyped-def]
    instance, sink = mailing
    who = people(instance)
    forget_outcome_mails(instance, sink)
    sink.messages.clear()
    target = group_account(instance, 42)
    token = csrf_token(
        who.moderator.get(f"/app/moderation/accounts/{target}").get_data(as_text=True)
    )
    stopped = who.moderator.post(
        f"/app/moderation/accounts/{target}/disable", data={"reason": "確認", "csrf_token": token}
    )
    assert stopped.status_code == 302
    account_page = who.moderator.get(f"/app/moderation/accounts/{target}").get_data(as_text=True)
    assert f'href="/app/moderation/accounts/{target}/enable"' in account_page

    path = f"/app/moderation/accounts/{target}/enable"
    bad = submit(who.moderator, path, {"reason": " "})
    assert bad.status_code == 422 and "この項目は必須です" in bad.get_data(as_text=True)
    done = submit(who.moderator, path, {"reason": "本人確認ができたため"})
    assert done.status_code == 302
    with instance.rt.sessions() as db:
        assert db.get(Account, target).status == AccountStatus.ACTIVE
    [entry] = _audit(instance, "account_reenabled")
    assert entry.target_id == target and entry.detail == "本人確認ができたため"
    instance.worker_burst()
    [message] = sink.wait_for(1)
    assert message["To"] == OTHER_ADDRESS and "利用を再開しました" in message["Subject"]
    assert "https://hiroba.example.jp/app/login" in message.get_content()
    again = client_for(instance)
    sign_in(again, "flow-group-42", GROUP_PASSWORD)  # signs in again
    assert submit(who.moderator, path, {"reason": "二度目"}).status_code == 200  # not disabled

    # In English for an account that registered in English.
    with instance.rt.sessions.begin() as db:
        db.execute(
            update(Account)
            .where(Account.id == target)
            .values(language="en", status=AccountStatus.DISABLED)
        )
    assert submit(who.moderator, path, {"reason": "再開"}).status_code == 302
    instance.worker_burst()
    english = sink.wait_for(2)[1]
    assert "Your account can be used again" in english["Subject"]
    assert "?lang=en" in english.get_content()


def _staff_clients(instance):  # type: ignore[no-untyped-def]
    make_staff(instance, "moderator", *MODERATOR, name="テスト運営")
    make_staff(instance, "moderator", "mod-second", "second-password-1", name="第二運営")
    make_staff(instance, "staff", "ward-staff", "staff-password-1", name="区の職員")
    first, second, staff = client_for(instance), client_for(instance), client_for(instance)
    sign_in(first, *MODERATOR)
    sign_in(second, "mod-second", "second-password-1")
    sign_in(staff, "ward-staff", "staff-password-1")
    with instance.rt.sessions() as db:
        ids = {
            a.public_name: a.id
            for a in db.scalars(select(Account).where(Account.kind.in_(("moderator", "staff"))))
        }
    return first, second, staff, ids


def test_a_staff_factor_reset_needs_a_second_moderator_and_a_new_enrolment(instance) -> None:  # type: ignore[no-untyped-def]
    first, second, staff, ids = _staff_clients(instance)
    ward, me = ids["区の職員"], ids["テスト運営"]
    page = first.get("/app/moderation/staff").get_data(as_text=True)
    assert "区の職員" in page and "第二運営" in page
    # Each role as a word (one list of the words: accounts.models.ACCOUNT_KIND_LABELS).
    assert "<td>区職員</td>" in page and "<td>運営</td>" in page
    assert "<td>staff</td>" not in page and "<td>moderator</td>" not in page
    assert f"/app/moderation/staff/{me}/factor-reset" not in page  # no button for oneself

    token = csrf_token(page)
    own = first.post(
        f"/app/moderation/staff/{me}/factor-reset", data={"reason": "自分", "csrf_token": token}
    )
    assert own.status_code == 403 and "自分の二段階認証はリセットできません" in own.get_data(
        as_text=True
    )
    blank = first.post(
        f"/app/moderation/staff/{ward}/factor-reset", data={"reason": "", "csrf_token": token}
    )
    assert blank.status_code == 422 and "この項目は必須です" in blank.get_data(as_text=True)
    asked = first.post(
        f"/app/moderation/staff/{ward}/factor-reset",
        data={"reason": "スマートフォンを紛失", "csrf_token": token},
    )
    assert asked.status_code == 302
    with instance.rt.sessions() as db:
        reset = db.scalars(select(FactorReset)).one()
    assert reset.account_id == ward and reset.requested_by == me

    # The moderator who asked cannot confirm; the factor stays.
    confirm = f"/app/moderation/factor-resets/{reset.id}/confirm"
    refused = first.post(confirm, data={"csrf_token": token})
    assert refused.status_code == 403
    assert "依頼した本人と、リセットされる本人は確認できません" in refused.get_data(as_text=True)
    with instance.rt.sessions() as db:
        assert db.get(Account, ward).totp_secret_enc is not None
    assert staff.get("/app/staff").status_code == 200

    listed = second.get("/app/moderation/staff").get_data(as_text=True)
    assert confirm in listed and "テスト運営が" in listed
    done = second.post(confirm, data={"csrf_token": csrf_token(listed)})
    assert done.status_code == 302
    with instance.rt.sessions() as db:
        assert db.get(Account, ward).totp_secret_enc is None
        assert not db.scalars(select(RecoveryCode).where(RecoveryCode.account_id == ward)).all()
    assert staff.get("/app/staff").status_code == 302  # the session ended
    assert [e.target_id for e in _audit(instance, "factor_reset_requested")] == [ward]
    [confirmed] = _audit(instance, "factor_reset_confirmed")
    assert confirmed.actor_id == ids["第二運営"] and confirmed.target_id == ward
    assert second.post(confirm, data={"csrf_token": csrf_token(listed)}).status_code == 409

    # At the next sign-in the staff member enrols a new factor, proven by a code.
    again = client_for(instance)
    response = submit(again, "/app/login", {"login": "ward-staff", "password": "staff-password-1"})
    assert response.status_code == 302 and response.headers["Location"] == "/app/login/enrol"
    enrol = again.get("/app/login/enrol")
    html = enrol.get_data(as_text=True)
    assert enrol.status_code == 200 and enrol.headers["Cache-Control"] == "no-store"
    secret = re.search(r"<code>([A-Z2-7]{16,})</code>", html)
    assert secret is not None and len(re.findall(r"<code>\w{5}-\w{5}</code>", html)) == 10
    wrong = again.post("/app/login/enrol", data={"code": "000000", "csrf_token": csrf_token(html)})
    assert wrong.status_code == 422  # and a fresh secret is shown
    html = wrong.get_data(as_text=True)
    secret = re.search(r"<code>([A-Z2-7]{16,})</code>", html)
    assert secret is not None
    code = pyotp.TOTP(secret.group(1)).now()
    ok = again.post("/app/login/enrol", data={"code": code, "csrf_token": csrf_token(html)})
    assert ok.status_code == 302 and ok.headers["Location"] == "/app/staff"
    assert again.get("/app/staff").status_code == 200
    with instance.rt.sessions() as db:
        assert db.scalars(select(FactorReset)).one().enrolled_at is not None
        assert (
            len(db.scalars(select(RecoveryCode).where(RecoveryCode.account_id == ward)).all()) == 10
        )
    assert [e.actor_id for e in _audit(instance, "factor_enrolled")] == [ward]
    assert again.get("/app/login/enrol").status_code == 302  # nothing to enrol any more


def _live_post(who) -> int:  # type: ignore[no-untyped-def]
    post_id = new_post(who)
    who.instance.worker_burst()  # ingest
    approved = review(who.moderator, f"/app/moderation/posts/{post_id}", action="approve")
    assert approved.status_code == 302
    who.instance.worker_burst()  # publish, build, mail
    return post_id


HOSTILE = '<script>alert("x")</script>川沿い清掃'


def test_a_moderator_corrects_a_live_post_and_the_poster_is_told_what_changed(mailing) -> None:  # type: ignore[no-untyped-def]
    instance, sink = mailing
    who = people(instance)
    forget_outcome_mails(instance, sink)
    post_id = _live_post(who)
    sink.messages.clear()
    live = who.moderator.get(f"/app/moderation/live/{post_id}").get_data(as_text=True)
    path = f"/app/moderation/live/{post_id}/correct"
    assert f'href="{path}"' in live

    same = submit(who.moderator, path, {**EVENT, "note": ""})
    assert same.status_code == 422 and "変更された項目がありません" in same.get_data(as_text=True)
    bad = submit(who.moderator, path, {**EVENT, "title": "", "fee": "五百円"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "この項目は必須です" in html and "五百円" in html

    done = submit(
        who.moderator,
        path,
        {**EVENT, "title": HOSTILE, "place_name": "落合第二地域センター", "note": "会場の誤り"},
    )
    assert done.status_code == 302, done.get_data(as_text=True)[:2000]
    with instance.rt.sessions() as db:
        post = db.get(Post, post_id)
        assert post.title == HOSTILE and post.status == PostStatus.APPROVED
        decision = db.scalars(select(Decision).where(Decision.action == "correct")).one()
        assert json.loads(decision.edits) == {
            "title": ["川沿いクリーン作戦", HOSTILE],
            "place_name": ["落合第一地域センター", "落合第二地域センター"],
        }
    [entry] = _audit(instance, "correct_post")
    assert entry.target_id == post_id and entry.detail == "corrected: title, place_name"
    instance.worker_burst()  # republish, build, mail
    page = live_page(instance, post_id).read_text(encoding="utf-8")
    assert "落合第二地域センター" in page and "<script>alert" not in page
    [message] = sink.wait_for(1)
    body = message.get_content()
    assert message["To"] == POSTER_ADDRESS and "修正しました" in message["Subject"]
    assert "・会場名: 落合第一地域センター → 落合第二地域センター" in body
    assert f"・タイトル: 川沿いクリーン作戦 → {HOSTILE}" in body and "会場の誤り" in body
    mine = who.poster.get("/app/my").get_data(as_text=True)
    assert "運営者が公開中の内容を次のとおり修正しました" in mine and "会場の誤り" in mine
    assert "<script>alert" not in mine

    # In English for a poster who registered in English.
    with instance.rt.sessions.begin() as db:
        db.execute(update(Account).where(Account.id == who.poster_id).values(language="en"))
    again = submit(who.moderator, path, {**EVENT, "title": "川沿い清掃", "note": ""})
    assert again.status_code == 302
    instance.worker_burst()
    english = sink.wait_for(2)[1].get_content()
    assert "・Title: " in english and "corrected" in sink.messages[1]["Subject"]


def test_a_taken_down_post_is_restored_and_the_poster_told(mailing) -> None:  # type: ignore[no-untyped-def]
    instance, sink = mailing
    who = people(instance)
    forget_outcome_mails(instance, sink)
    post_id = _live_post(who)
    token = csrf_token(who.moderator.get(f"/app/moderation/live/{post_id}").get_data(as_text=True))
    down = who.moderator.post(
        f"/app/moderation/live/{post_id}/takedown",
        data={"reason": "確認のため非公開", "csrf_token": token},
    )
    assert down.status_code == 302
    instance.worker_burst()
    assert not live_page(instance, post_id).exists()
    sink.messages.clear()

    listing = who.moderator.get("/app/moderation/accounts").get_data(as_text=True)
    path = f"/app/moderation/live/{post_id}/restore"
    assert f'href="{path}"' in listing
    bad = submit(who.moderator, path, {"reason": ""})
    assert bad.status_code == 422 and "この項目は必須です" in bad.get_data(as_text=True)
    done = submit(who.moderator, path, {"reason": "誤りだったため"})
    assert done.status_code == 302
    assert "再び公開しました" in flashes(
        who.moderator.get(done.headers["Location"]).get_data(as_text=True)
    )
    with instance.rt.sessions() as db:
        post = db.get(Post, post_id)
        assert post.status == PostStatus.APPROVED and post.takedown_reason == ""
    [entry] = _audit(instance, "restore_post")
    assert entry.target_id == post_id and entry.detail == "誤りだったため"
    instance.worker_burst()
    assert live_page(instance, post_id).exists()
    [message] = sink.wait_for(1)
    assert message["To"] == POSTER_ADDRESS and "再び公開しました" in message["Subject"]
    assert "再び公開しました" in message.get_content()
    assert "運営者が再び公開しました" in who.poster.get("/app/my").get_data(as_text=True)
    assert submit(who.moderator, path, {"reason": "二度目"}).status_code == 200  # not down


def test_a_past_taken_down_post_is_not_restored(instance) -> None:  # type: ignore[no-untyped-def]
    who = people(instance)
    post_id = _live_post(who)
    token = csrf_token(who.moderator.get(f"/app/moderation/live/{post_id}").get_data(as_text=True))
    who.moderator.post(
        f"/app/moderation/live/{post_id}/takedown", data={"reason": "非公開", "csrf_token": token}
    )
    long_ago = utcnow() - timedelta(days=400)
    with instance.rt.sessions.begin() as db:
        db.execute(
            update(Post)
            .where(Post.id == post_id)
            .values(starts_at=long_ago, ends_at=long_ago, occurrences="[]")
        )
    path = f"/app/moderation/live/{post_id}/restore"
    page = who.moderator.get(path).get_data(as_text=True)
    assert "再公開はできません" in page
    refused = who.moderator.post(path, data={"reason": "戻す", "csrf_token": csrf_token(page)})
    assert refused.status_code == 200
    with instance.rt.sessions() as db:
        assert db.get(Post, post_id).status == PostStatus.TAKEN_DOWN
    assert not _audit(instance, "restore_post")


def test_the_restoration_mail_reads_in_english_and_japanese() -> None:
    subject, body = restored_text("Hiroba", "https://h.example", 7, "Clean-up", "en")
    assert subject == "[Hiroba] Your post is published again"
    assert 'published "Clean-up" (post No. 7) again' in body
    assert "My page: https://h.example/app/my?lang=en" in body
    subject, body = restored_text("広場", "https://h.example", 7, "清掃", "ja")
    assert (
        subject == "【広場】投稿を再び公開しました"
        and "マイページ: https://h.example/app/my\n" in body
    )
