"""A registrant learns the outcome: the approval mail with the sign-in link, the refusal
mail with the reason (each in the language they registered in), what sign-in says to a
registration under review or refused, the audit of each decision, and the erasure of
refused and abandoned registrations after `[retention] refused_registration_days`.

Through HTTP, a real rq worker and a real SMTP server (aiosmtpd)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from accounts_support import client_for, individual_form, reconfigure, sqlite_bytes
from actors import MODERATOR, decide, group_form, make_moderator, sign_in
from conftest import Instance, csrf_token, submit
from language_support import said
from mailsink import MailSink, mailsink  # noqa: F401 - the fixture
from sqlalchemy import select, update
from test_config import assert_one_sentence
from test_retention import hiroba

from intake import mail
from intake.accounts import mail as outcome
from intake.accounts.models import AccountStatus
from intake.accounts.services import PersonData, Registration, register_on_paper
from intake.deployment import load_deployment
from intake.errors import ConfigError
from intake.models import Account, AuditEntry, Decision, Person, Task, TaskState, utcnow
from intake.web import catalog
from worker.schedule import schedule_retention

PUBLIC_URL = "https://hiroba.example.jp"
PASSWORD = "individual-password-42"  # accounts_support.individual_form's
GROUP_PASSWORD = "group-password-123"  # actors.group_form's
GENERIC = "ログインIDまたはパスワードが正しくないか、まだ承認されていません。"
GENERIC_EN = "The login ID or password is wrong, or the account is not approved yet."


@pytest.fixture(name="mailing")
def mailing_fixture(instance: Instance, mailsink: MailSink):  # type: ignore[no-untyped-def]  # noqa: F811
    reconfigure(
        instance,
        HIROBA_SMTP_HOST=mailsink.host,
        HIROBA_SMTP_PORT=str(mailsink.port),
        HIROBA_MAIL_FROM="noreply@hiroba.example.jp",
        HIROBA_PUBLIC_URL=PUBLIC_URL,
    )
    return instance, mailsink


def account_id_of(instance: Instance, public_name: str) -> int:
    with instance.rt.sessions() as db:
        return int(db.scalars(select(Account.id).where(Account.public_name == public_name)).one())


def register_individual(instance: Instance, n: int, login: str, lang: str = "ja") -> int:
    """Register an individual through the form, in lang; return the account id."""
    client = client_for(instance)
    client.get(f"/app/register?set_lang={lang}")  # the language switch, remembered in a cookie
    response = submit(client, "/app/register", individual_form(n, login))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return account_id_of(instance, f"個人会員{n}")


def register_group_in(instance: Instance, n: int, login: str, lang: str) -> int:
    client = client_for(instance)
    client.get(f"/app/register/group?set_lang={lang}")  # the switch
    response = submit(client, "/app/register/group", group_form(n, login))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return account_id_of(instance, f"テスト団体{n}")


def moderator_client(instance: Instance):  # type: ignore[no-untyped-def]
    make_moderator(instance)
    client = client_for(instance)
    sign_in(client, *MODERATOR)
    return client


def moderator_id(instance: Instance) -> int:
    with instance.rt.sessions() as db:
        return int(db.scalars(select(Account.id).where(Account.kind == "moderator")).one())


def sign_in_answer(instance: Instance, login: str, password: str, lang: str = "ja"):  # type: ignore[no-untyped-def]
    client = client_for(instance)
    client.get(f"/app/login?set_lang={lang}")  # the language switch, remembered
    return submit(client, "/app/login", {"login": login, "password": password})


def by_recipient(sink: MailSink, count: int) -> dict[str, object]:
    return {str(m["To"]): m for m in sink.wait_for(count)}


def decisions_audited(instance: Instance) -> list[tuple[int | None, int | None, str, int]]:
    with instance.rt.sessions() as db:
        entries = db.scalars(
            select(AuditEntry).where(AuditEntry.action == "decide_account").order_by(AuditEntry.id)
        )
        return [(e.actor_id, e.target_id, e.detail, e.count) for e in entries]


def test_approval_mails_the_sign_in_link_in_the_registrants_language(mailing):
    instance, sink = mailing
    person_ja = register_individual(instance, 61, "outcome-ja")
    group_en = register_group_in(instance, 62, "outcome-group-en", "en")
    with instance.rt.sessions() as db:
        assert db.get(Account, person_ja).language == "ja"
        assert db.get(Account, group_en).language == "en"
    moderator = moderator_client(instance)
    for account_id in (person_ja, group_en):
        decide(moderator, f"/app/moderation/accounts/{account_id}", approve=True)
    instance.worker_burst()

    mails = by_recipient(sink, 2)
    japanese = mails["leak-probe-61@example.test"]
    assert "登録を承認しました" in japanese["Subject"]
    body = japanese.get_content()
    assert "「個人会員61」" in body and "承認しました" in body
    assert f"{PUBLIC_URL}/app/login\n" in body
    english = mails["leak-probe-562@example.test"]  # a group's contact person (n + 500)
    assert "Your registration was approved" in english["Subject"]
    body = english.get_content()
    assert "Your registration of “テスト団体62”" in body
    assert f"{PUBLIC_URL}/app/login?lang=en" in body
    english_only = body.replace("テスト団体62", "").replace(instance.settings.site_name, "")
    assert not any("\u3041" <= ch <= "\u30fa" for ch in english_only), body

    me = moderator_id(instance)
    assert decisions_audited(instance) == [
        (me, person_ja, "approve", 0),
        (me, group_en, "approve", 0),
    ]
    instance.worker_burst()
    assert len(sink.messages) == 2  # each decision is mailed once
    member = client_for(instance)
    sign_in(member, "outcome-ja", PASSWORD)  # the link's page lets them in
    assert member.get("/app/account").status_code == 200

    # Stopping an account is a decision on it too, and audited.
    page = moderator.get(f"/app/moderation/accounts/{person_ja}").get_data(as_text=True)
    stop = moderator.post(
        f"/app/moderation/accounts/{person_ja}/disable",
        data={"reason": "なりすまし", "csrf_token": csrf_token(page)},
    )
    assert stop.status_code == 302
    with instance.rt.sessions() as db:
        [entry] = db.scalars(select(AuditEntry).where(AuditEntry.action == "account_disabled"))
        assert (entry.actor_id, entry.target_id) == (me, person_ja)


def test_refusal_mails_the_reason_and_sign_in_says_so_after_the_right_password(mailing):
    instance, sink = mailing
    refused_ja = register_individual(instance, 63, "refused-ja")
    refused_en = register_individual(instance, 64, "refused-en", lang="en")
    register_individual(instance, 65, "waiting-one")
    moderator = moderator_client(instance)
    reason = "区外での活動のみのため <確認済み>"
    for account_id in (refused_ja, refused_en):
        decide(moderator, f"/app/moderation/accounts/{account_id}", approve=False, reason=reason)
    instance.worker_burst()

    mails = by_recipient(sink, 2)
    japanese = mails["leak-probe-63@example.test"]
    assert "登録は承認されませんでした" in japanese["Subject"]
    body = japanese.get_content()
    assert f"理由:\n{reason}\n" in body and "30日後に消去します" in body
    english = mails["leak-probe-64@example.test"]
    assert "Your registration was not approved" in english["Subject"]
    body = english.get_content()
    assert f"Reason:\n{reason}\n" in body and "erased in 30 days" in body
    me = moderator_id(instance)
    assert decisions_audited(instance) == [
        (me, refused_ja, "reject", 0),
        (me, refused_en, "reject", 0),
    ]

    # The right password: how the registration stands, with the reason (as text).
    answer = sign_in_answer(instance, "refused-ja", PASSWORD)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "登録は承認されませんでした" in html
    assert "理由: 区外での活動のみのため &lt;確認済み&gt;" in html and "<確認済み>" not in html
    answer = sign_in_answer(instance, "refused-en", PASSWORD, lang="en")
    html = answer.get_data(as_text=True)
    assert "Your registration was not approved" in html
    assert "Reason: 区外での活動のみのため &lt;確認済み&gt;" in html
    answer = sign_in_answer(instance, "waiting-one", PASSWORD)
    assert answer.status_code == 422 and "登録は審査中です" in answer.get_data(as_text=True)
    english = sign_in_answer(instance, "waiting-one", PASSWORD, lang="en").get_data(as_text=True)
    assert "Your registration is being reviewed" in english

    # A wrong password says no more than for a login nobody holds (no enumeration).
    for login in ("refused-ja", "waiting-one", "nobody-has-this"):
        answer = sign_in_answer(instance, login, "a-wrong-password-1")
        html = answer.get_data(as_text=True)
        assert answer.status_code == 422 and GENERIC in html
        assert "審査中" not in html and "承認されませんでした" not in html and "理由" not in html
    english = sign_in_answer(instance, "refused-en", "a-wrong-password-1", lang="en")
    html = english.get_data(as_text=True)
    assert GENERIC_EN in html and "Reason:" not in html and "registration was not" not in html

    with instance.rt.sessions() as db:
        reasons = db.scalars(
            select(AuditEntry.detail).where(AuditEntry.action == "signin_failed")
        ).all()
    assert sum("reason=rejected" in r for r in reasons) == 2
    assert sum("reason=received" in r or "reason=pending" in r for r in reasons) == 2
    assert sum("reason=password" in r for r in reasons) == 4


def test_no_mail_without_an_address_or_once_stopped_and_nothing_fails(mailing):
    instance, sink = mailing
    moderator = moderator_client(instance)
    paper = Registration(
        kind="individual",
        login="paper-no-mail",
        password="",
        public_name="紙の会員",
        persons={"self": PersonData(name="紙 一郎", phone="03-1234-5678")},
    )
    account_id, _initial = register_on_paper(instance.rt, moderator_id(instance), paper)
    decide(moderator, f"/app/moderation/accounts/{account_id}", approve=True)
    # Approved, then stopped before the worker ran: no mail invites them to sign in.
    stopped = register_individual(instance, 72, "stopped-at-once")
    decide(moderator, f"/app/moderation/accounts/{stopped}", approve=True)
    page = moderator.get(f"/app/moderation/accounts/{stopped}").get_data(as_text=True)
    stop = moderator.post(
        f"/app/moderation/accounts/{stopped}/disable",
        data={"reason": "誤って承認", "csrf_token": csrf_token(page)},
    )
    assert stop.status_code == 302
    instance.worker_burst()
    assert sink.messages == []
    with instance.rt.sessions() as db:
        states = db.scalars(select(Task.state).where(Task.name.like("%account%"))).all()
        assert states and set(states) == {TaskState.DONE}
        assert db.get(Account, account_id).status == AccountStatus.ACTIVE


def age(instance: Instance, account_id: int, days: int, decided: bool) -> None:
    """Move a registration (or its refusal) days into the past."""
    at = utcnow() - timedelta(days=days)
    values = {"decided_at": at} if decided else {"created_at": at}
    with instance.rt.sessions() as db, db.begin():
        db.execute(update(Account).where(Account.id == account_id).values(**values))


def test_refused_and_abandoned_registrations_are_erased_after_the_period(mailing):
    instance, _sink = mailing
    reconfigure(instance, "[retention]\nrefused_registration_days = 10\n")
    moderator = moderator_client(instance)
    old_refusal = register_individual(instance, 66, "old-refusal")
    new_refusal = register_individual(instance, 67, "new-refusal")
    abandoned = register_group_in(instance, 68, "abandoned-group", "ja")
    waiting = register_individual(instance, 69, "still-waiting")
    approved = register_individual(instance, 70, "approved-long-ago")
    for account_id in (old_refusal, new_refusal):
        decide(moderator, f"/app/moderation/accounts/{account_id}", approve=False, reason="重複")
    decide(moderator, f"/app/moderation/accounts/{approved}", approve=True)
    instance.worker_burst()
    age(instance, old_refusal, 11, decided=True)
    age(instance, new_refusal, 9, decided=True)
    age(instance, abandoned, 11, decided=False)
    age(instance, waiting, 9, decided=False)
    age(instance, approved, 400, decided=False)
    age(instance, approved, 400, decided=True)
    with instance.rt.sessions() as db:
        sealed = [
            p.name_enc
            for p in db.scalars(
                select(Person).where(Person.account_id.in_((old_refusal, abandoned)))
            )
        ]
    assert len(sealed) == 3  # one individual, a group's two persons

    dry = hiroba(instance, "purge", "--dry-run").stdout
    assert "消去します（試行）: 10 日以上、承認されないか決まらない登録 2 件" in dry
    rt = replace(instance.rt, settings=instance.settings)
    assert schedule_retention(rt) is True
    instance.worker_burst()

    with instance.rt.sessions() as db:
        left = set(db.scalars(select(Account.id)))
        assert old_refusal not in left and abandoned not in left
        assert {new_refusal, waiting, approved} <= left
        assert (
            db.scalars(
                select(Person.id).where(Person.account_id.in_((old_refusal, abandoned)))
            ).all()
            == []
        )
        assert (
            db.scalars(
                select(Decision.id).where(
                    Decision.subject_kind == "account", Decision.subject_id == old_refusal
                )
            ).all()
            == []
        )
        purged = db.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "purge_personal_data")
            .order_by(AuditEntry.target_id)
        ).all()
        assert [(e.actor_id, e.target_kind, e.target_id, e.count) for e in purged] == [
            (None, "account", old_refusal, 1),
            (None, "account", abandoned, 2),
        ]
        assert "rejected registration" in purged[0].detail
        assert db.get(Account, new_refusal).status == AccountStatus.REJECTED
    if instance.settings.is_sqlite:
        data = sqlite_bytes(instance)
        assert all(ciphertext.encode() not in data for ciphertext in sealed if ciphertext)
    # Its old password opens nothing, and its login ID may be registered again.
    answer = sign_in_answer(instance, "old-refusal", PASSWORD)
    assert GENERIC in answer.get_data(as_text=True)
    assert register_individual(instance, 71, "old-refusal") not in left


@pytest.mark.parametrize("value", ["0", "true", '"30"', "3651"])
def test_a_bad_refused_registration_days_is_one_sentence(tmp_path, value):
    (tmp_path / "hiroba.toml").write_text(f"[retention]\nrefused_registration_days = {value}\n")
    with pytest.raises(ConfigError) as error:
        load_deployment(tmp_path)
    assert "は日数の整数で" in str(error.value)
    assert "must be a whole number of days" in said(error.value, "en")
    assert_one_sentence(str(error.value), "retention.refused_registration_days")
    assert load_deployment(tmp_path / "absent").refused_registration_days == 30


@pytest.mark.parametrize("shipped", ["po", "mo"])
def test_mail_texts_read_the_catalog_of_a_checkout_and_of_a_wheel(tmp_path, shipped):
    """A checkout holds the .po (compiled in memory), a wheel only the .mo (setup.py)."""
    folder = tmp_path / "en" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    if shipped == "po":
        (folder / "messages.po").write_bytes(catalog.po_path("en").read_bytes())
    else:
        catalog.compile_stale(catalog.TRANSLATIONS, tmp_path)
    assert sorted(p.suffix for p in folder.iterdir()) == [f".{shipped}"]
    english = mail.translations("en", tmp_path).gettext(outcome.APPROVED_SUBJECT)
    assert english == "[%(site)s] Your registration was approved"
    assert sorted(p.suffix for p in folder.iterdir()) == [f".{shipped}"]  # nothing written
    japanese = mail.translations("ja", tmp_path).gettext(outcome.APPROVED_SUBJECT)
    assert japanese == outcome.APPROVED_SUBJECT
    subject, body = outcome.outcome_text(
        "Hiroba", PUBLIC_URL, outcome.Outcome("Group", False, "100% <full>"), "en", 30
    )
    assert subject == "[Hiroba] Your registration was not approved"
    assert "Reason:\n100% <full>\n" in body and body.endswith("\n\nHiroba\n")
