"""Moderators are told when work waits (issue 15): the counts per queue on every moderation
page, and a digest mail at most every `[operator] digest_minutes`, one per active moderator
with an address, in the moderator's language, with counts only. Through HTTP, a real rq
worker (burst, and long-running with its reconciler), a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import time
from datetime import timedelta
from email.message import EmailMessage

import pytest
from accounts_support import (
    client_for,
    forget_outcome_mails,
    individual_form,
    reconfigure,
    register_and_approve,
    sign_in_member,
)
from actors import make_moderator, post_event, sign_in
from conftest import Instance, submit
from mailsink import MailSink, mailsink  # noqa: F401 - the fixture
from sqlalchemy import func, select

from intake.accounts.services import create_staff
from intake.accounts.signin import disable_account
from intake.jobs import SEND_MODERATOR_DIGEST
from intake.models import Account, Task, utcnow
from intake.moderation.waiting import waiting_work
from intake.office.records import ModeratorDigest
from worker.schedule import schedule_digest

JA_ADDRESS = "digest-ja@example.test"
EN_ADDRESS = "digest-en@example.test"
OFF_ADDRESS = "digest-disabled@example.test"
DIGEST_JA = "運営の作業が"
DIGEST_EN = "tasks are waiting"


def _settings(instance: Instance, sink: MailSink, minutes: int = 60) -> Instance:
    return reconfigure(
        instance,
        f"[operator]\ndigest_minutes = {minutes}\n\n[publishing]\nnightly_build = false\n",
        HIROBA_SMTP_HOST=sink.host,
        HIROBA_SMTP_PORT=str(sink.port),
        HIROBA_MAIL_FROM="noreply@hiroba.example.jp",
        HIROBA_PUBLIC_URL="https://hiroba.example.jp",
    )


@pytest.fixture(name="office")
def office_fixture(instance, mailsink: MailSink):  # type: ignore[no-untyped-def]  # noqa: F811
    """Mail to the test SMTP server; moderators in Japanese and English with addresses, one
    disabled, and the signed-in test moderator without an address."""
    _settings(instance, mailsink)
    rt = instance.rt
    create_staff(rt, "moderator", "digest-ja", "digest-password-1", "運営ジャ", JA_ADDRESS)
    create_staff(rt, "moderator", "digest-en", "digest-password-2", "Mod En", EN_ADDRESS, "en")
    off = create_staff(rt, "moderator", "digest-off", "digest-password-3", "停止", OFF_ADDRESS)
    disable_account(rt, None, off, "test")
    make_moderator(instance)
    return instance, mailsink


def _work_arrives(instance: Instance, sink: MailSink) -> None:
    """A member posts an event and someone else registers, both through the forms."""
    member = client_for(instance)
    register_and_approve(instance, member, 71, "digest-member")
    forget_outcome_mails(instance, sink)
    sign_in_member(member, "digest-member")
    post_event(member, title="審査前の秘密の題名")
    _register(instance, 72)


def _register(instance: Instance, n: int) -> None:
    response = submit(client_for(instance), "/app/register", individual_form(n, f"digest-r{n}"))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def _digests(sink: MailSink) -> dict[str, list[EmailMessage]]:
    found: dict[str, list[EmailMessage]] = {}
    for message in sink.messages:
        subject = str(message["Subject"])
        if DIGEST_JA in subject or DIGEST_EN in subject:
            found.setdefault(str(message["To"]), []).append(message)
    return found


def _text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def test_one_digest_per_moderator_in_their_language_then_only_for_new_work(office) -> None:  # type: ignore[no-untyped-def]
    instance, sink = office
    _work_arrives(instance, sink)
    instance.worker_burst()  # the worker puts the post and the registration before moderators
    assert waiting_work(instance.rt).counts == {
        "posts": 1,
        "revisions": 0,
        "registrations": 1,
        "changes": 0,
        "profiles": 0,
        "inquiries": 0,
    }
    assert schedule_digest(instance.rt) == 2  # the two active moderators with an address
    instance.worker_burst()
    digests = _digests(sink)
    assert sorted(digests) == [EN_ADDRESS, JA_ADDRESS]  # not the disabled one, one each
    assert all(len(mails) == 1 for mails in digests.values())
    ja, en = _text(digests[JA_ADDRESS][0]), _text(digests[EN_ADDRESS][0])
    assert str(digests[JA_ADDRESS][0]["Subject"]) == "【しんじゅく広場】運営の作業が2件待っています"
    assert "・審査待ちの投稿: 1件" in ja and "・登録申請: 1件" in ja
    assert "・新しいお問い合わせ: 0件" in ja
    assert "https://hiroba.example.jp/app/moderation\n" in ja
    assert "最短で60分おき" in ja
    english_subject = "[しんじゅく広場] 2 moderation tasks are waiting"
    assert str(digests[EN_ADDRESS][0]["Subject"]) == english_subject
    assert "- Posts awaiting review: 1" in en and "- Registrations: 1" in en
    assert "https://hiroba.example.jp/app/moderation?lang=en" in en
    for text in (ja, en):  # counts only: no title, no name, no address of anyone
        for secret in ("審査前の秘密の題名", "個人会員", "漏洩検査", "leak-probe", "@"):
            assert secret not in text

    # Within digest_minutes: nothing, even when new work arrives.
    sink.messages.clear()
    _register(instance, 73)
    instance.worker_burst()
    assert schedule_digest(instance.rt) == 0
    instance.worker_burst()
    assert _digests(sink) == {}

    # Past digest_minutes (the reconciler's clock is passed in) with new work: the next
    # digest, with the new counts.
    assert schedule_digest(instance.rt, now=utcnow() + timedelta(minutes=61)) == 2
    instance.worker_burst()
    digests = _digests(sink)
    assert sorted(digests) == [EN_ADDRESS, JA_ADDRESS]
    assert "・登録申請: 2件" in _text(digests[JA_ADDRESS][0])
    assert "- Registrations: 2" in _text(digests[EN_ADDRESS][0])

    # Past digest_minutes again, but the same work still waits: not mailed again.
    sink.messages.clear()
    assert schedule_digest(instance.rt, now=utcnow() + timedelta(minutes=122)) == 0
    instance.worker_burst()
    assert _digests(sink) == {}
    with instance.rt.sessions() as db:
        assert db.scalar(select(func.count()).select_from(ModeratorDigest)) == 2


def test_no_digest_when_nothing_waits_or_when_switched_off(office) -> None:  # type: ignore[no-untyped-def]
    instance, sink = office
    assert waiting_work(instance.rt).total == 0
    assert schedule_digest(instance.rt) == 0
    _settings(instance, sink, minutes=0)
    _register(instance, 74)
    instance.worker_burst()
    assert waiting_work(instance.rt).counts["registrations"] == 1
    assert schedule_digest(instance.rt) == 0
    instance.worker_burst()
    assert _digests(sink) == {}
    with instance.rt.sessions() as db:
        assert db.scalar(select(func.count()).select_from(ModeratorDigest)) == 0
        assert not db.scalar(select(Task.id).where(Task.name == SEND_MODERATOR_DIGEST))


def test_running_workers_send_it_once_even_two_at_a_time(office) -> None:  # type: ignore[no-untyped-def]
    """Two long-running workers (two hosts), each with its reconciler: one digest each."""
    instance, sink = office
    _register(instance, 75)
    # A lease longer than a loaded machine's mail job: with the test environment's 2 s, the
    # other worker's reconciler may hand a running mail task out again (tasks are at least
    # once; this test is about deciding the digest once).
    instance.env["HIROBA_TASK_LEASE_SECONDS"] = "120"
    workers = [instance.start_worker(), instance.start_worker()]
    try:
        deadline = time.monotonic() + 60
        while len(_digests(sink)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        instance.wait_for_reconciler_passes(processes=2, more=3)  # both workers' reconcilers
    finally:
        for worker in workers:
            instance.kill_group(worker)
    digests = _digests(sink)
    assert sorted(digests) == [EN_ADDRESS, JA_ADDRESS]
    assert all(len(mails) == 1 for mails in digests.values())
    assert "・登録申請: 1件" in _text(digests[JA_ADDRESS][0])
    with instance.rt.sessions() as db:
        assert db.scalar(select(func.count()).select_from(ModeratorDigest)) == 1


def _moderation_pages(instance: Instance) -> list[str]:
    with instance.rt.sessions() as db:
        waiting = db.scalar(select(Account.id).where(Account.public_name == "個人会員72"))
    return [
        "/app/moderation",
        f"/app/moderation/accounts/{waiting}",
        "/app/moderation/reasons",
        "/app/moderation/inquiries",
        "/app/moderation/live",
        "/app/moderation/stale",
        "/app/moderation/status",
        "/app/moderation/profiles",
        "/app/moderation/paper/individual",
    ]


def test_every_moderation_page_shows_the_counts(office) -> None:  # type: ignore[no-untyped-def]
    instance, sink = office
    _work_arrives(instance, sink)
    instance.worker_burst()
    moderator = client_for(instance)
    sign_in(moderator, "mod-tester", "moderator-password-1")
    for path in _moderation_pages(instance):
        html = moderator.get(path).get_data(as_text=True)
        assert "待っている作業（合計 2件）" in html, path
        assert "審査待ちの投稿（1件）" in html and "登録申請（1件）" in html, path
        assert "新しいお問い合わせ（0件）" in html, path
        assert 'aria-labelledby="waiting-work"' in html, path
    english = moderator.get("/app/moderation?lang=en").get_data(as_text=True)
    assert "Waiting work (2 in all)" in english
    assert "Posts awaiting review (1)" in english and "Registrations (1)" in english
