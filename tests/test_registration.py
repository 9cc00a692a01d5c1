"""Registration: collect only what is configured, plausible input, paper registrations."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

import pytest
from accounts_support import (
    ALL_FIELDS_ON,
    approver,
    client_for,
    individual_form,
    reconfigure,
)
from actors import group_form, make_moderator, make_staff, person, sign_in, submit
from sqlalchemy import select
from test_config import assert_one_sentence

from intake import validation as v
from intake.deployment import load_deployment
from intake.errors import ConfigError
from intake.models import Account, AuditEntry, Person

OPTIONAL_LABELS = ("職業", "性別", "生年月日")
GROUP_OPTIONAL_LABELS = ("役職", "性別", "生年月日")


def persons(instance) -> list[Person]:  # type: ignore[no-untyped-def]
    with instance.rt.sessions() as db:
        return list(db.scalars(select(Person).order_by(Person.id)))


def opened(instance, p: Person, name: str) -> str | None:  # type: ignore[no-untyped-def]
    return instance.rt.vault.open(getattr(p, f"{name}_enc"), f"persons.{name}")


def test_optional_fields_are_off_by_default_and_a_posted_value_is_not_stored(instance, client):
    for url in ("/app/register", "/app/register/group"):
        html = client.get(url).get_data(as_text=True)
        for label in (*OPTIONAL_LABELS, *GROUP_OPTIONAL_LABELS):
            assert label not in html, (url, label)
        assert "occupation" not in html and "birth_date" not in html and "-title" not in html
    sneaked = {
        "person-occupation": "勝手な職業",
        "person-gender": "female",
        "person-birth_date": "1980-01-01",
    }
    response = submit(client, "/app/register", individual_form(1, "quiet-one", **sneaked))
    assert response.status_code == 302
    group = group_form(2, "quiet-group")
    group.update({"representative-gender": "male", "contact-birth_date": "1970-01-01"})
    group.update({"representative-title": "代表理事", "contact-title": "事務局長"})
    assert submit(client, "/app/register/group", group).status_code == 302
    stored = persons(instance)
    assert len(stored) == 3
    for p in stored:
        assert p.occupation_enc is None and p.gender_enc is None and p.birth_date_enc is None
        assert p.title_enc is None


def test_optional_fields_when_configured_are_shown_validated_and_sealed(instance):
    client = client_for(reconfigure(instance, ALL_FIELDS_ON))
    html = client.get("/app/register").get_data(as_text=True)
    for label in OPTIONAL_LABELS:
        assert label in html
    assert "性別" in client.get("/app/register/group").get_data(as_text=True)
    too_young = date.today().replace(year=date.today().year - 10).isoformat()
    bad = individual_form(
        3, "config-one", **{"person-birth_date": too_young, "person-gender": "robot"}
    )
    response = submit(client, "/app/register", bad)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "18歳以上の方が登録できます" in html and "選択肢の中から選んでください" in html
    assert f'value="{too_young}"' in html
    good = individual_form(
        3,
        "config-one",
        **{
            "person-name": "山﨑　ＴＡＲＯ",
            "person-occupation": "会社員",
            "person-gender": "female",
            "person-birth_date": "１９８０年４月１日",
        },
    )
    assert submit(client, "/app/register", good).status_code == 302
    [p] = persons(instance)
    assert p.occupation_enc and p.occupation_enc.startswith("k1:")
    assert opened(instance, p, "occupation") == "会社員"
    assert opened(instance, p, "gender") == "female"
    assert opened(instance, p, "birth_date") == "1980-04-01"
    # NFKC for the latin letters and the space, but the 﨑 of the name is kept as typed.
    assert opened(instance, p, "name") == "山﨑 TARO"


def test_group_title_when_configured_is_shown_optional_validated_and_sealed(instance):
    client = client_for(reconfigure(instance, ALL_FIELDS_ON))
    assert "役職" not in client.get("/app/register").get_data(as_text=True)  # groups only
    page = client.get("/app/register/group").get_data(as_text=True)
    assert page.count("役職（任意）") == 2  # the representative's and the contact's
    assert 'name="representative-title"' in page and 'name="contact-title"' in page
    too_long = group_form(4, "titled-group")
    too_long.update({"representative-title": "長" * 101, "contact-title": "事務局長"})
    response = submit(client, "/app/register/group", too_long)
    assert response.status_code == 422
    assert "100文字以内" in response.get_data(as_text=True)
    assert persons(instance) == []
    form = {**group_form(4, "titled-group"), **person("representative", 4, title=True)}
    form["contact-title"] = ""  # optional: a contact person without a title registers
    assert submit(client, "/app/register/group", form).status_code == 302
    rep, contact = persons(instance)
    assert rep.title_enc and rep.title_enc.startswith("k1:")
    assert opened(instance, rep, "title") == "代表理事"
    assert contact.title_enc is None


def test_only_the_switched_on_fields_appear(instance):
    client = client_for(reconfigure(instance, "[personal_fields]\ngroup_birth_date = true\n"))
    assert "生年月日" not in client.get("/app/register").get_data(as_text=True)
    group_page = client.get("/app/register/group").get_data(as_text=True)
    assert "生年月日" in group_page and "性別" not in group_page and "職業" not in group_page
    assert "役職" not in group_page
    client = client_for(reconfigure(instance, "[personal_fields]\ngroup_title = true\n"))
    group_page = client.get("/app/register/group").get_data(as_text=True)
    assert "役職" in group_page and "性別" not in group_page and "生年月日" not in group_page


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("2999-01-01", "未来の日付"),
        ("1899-12-31", "1900年以降"),
        ("1980-02-30", "存在しない日付"),
        ("昭和55年4月1日", "西暦で入力"),
        ("", "西暦で入力"),
    ],
)
def test_implausible_birth_dates_are_refused(typed: str, message: str) -> None:
    with pytest.raises(v.InvalidInput, match=message):
        v.birth_date(typed)


def test_plausible_birth_dates_are_normalised() -> None:
    today = date(2025, 6, 15)
    assert v.birth_date("1980/4/1", today=today) == "1980-04-01"
    assert v.birth_date("２０００－０１－０２", today=today) == "2000-01-02"
    assert v.birth_date("2007-06-15", 18, today=today) == "2007-06-15"  # 18 today
    with pytest.raises(v.InvalidInput, match="18歳以上"):
        v.birth_date("2007-06-16", 18, today=today)


@pytest.mark.parametrize(
    ("content", "key"),
    [
        ("[personal_fields]\nindividual_gender = 'yes'\n", "personal_fields.individual_gender"),
        ("[personal_fields]\nshoe_size = true\n", "personal_fields.shoe_size"),
        ("[personal_fields]\nminimum_age = 200\n", "personal_fields.minimum_age"),
        ("[withdrawal]\nposts = 'delete'\n", "withdrawal.posts"),
        ("[surveillance]\nall = true\n", "[surveillance]"),
        ("[personal_fields\n", "hiroba.toml"),
    ],
)
def test_a_bad_configuration_file_stops_start_up_in_one_sentence(tmp_path, content, key):
    (tmp_path / "hiroba.toml").write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_deployment(tmp_path)
    assert_one_sentence(str(caught.value), key)


def test_a_missing_configuration_file_means_the_defaults(tmp_path):
    deployment = load_deployment(tmp_path)
    assert deployment.withdrawal_posts == "unpublish"
    assert deployment.personal_fields.optional_for("individual") == frozenset()
    assert deployment.personal_fields.optional_for("group") == frozenset()


def test_paper_registration_is_marked_paper_sourced_and_audited(instance, client):
    assert client.get("/app/moderation/paper/individual").status_code == 302  # sign in first
    sign_in(client, *make_moderator(instance))
    page = client.get("/app/moderation/paper/individual").get_data(as_text=True)
    assert "password" not in page and "紙の登録を入力（個人）" in page
    data = individual_form(7, "paper-person")
    response = submit(client, "/app/moderation/paper/individual", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "初期パスワード" in html
    assert response.headers["Cache-Control"] == "no-store"
    assert data["password"] not in html  # the posted password is ignored, a random one is made
    with instance.rt.sessions() as db:
        account = db.scalars(select(Account).where(Account.source == "paper")).one()
        entry = db.scalars(
            select(AuditEntry).where(AuditEntry.action == "enter_personal_data")
        ).one()
        assert entry.target_id == account.id and entry.detail == "paper registration"
    index = client.get("/app/moderation").get_data(as_text=True)
    assert "紙" in index and "個人会員7" in index
    initial = html.split('<code class="password">', 1)[1].split("</code>", 1)[0]
    assert len(initial) == 16
    from intake.moderation import services as moderation

    with instance.rt.sessions() as db:
        moderator_id = db.scalar(select(Account.id).where(Account.kind == "moderator"))
    moderation.decide_account(instance.rt, moderator_id, account.id, approve=True)
    member = client_for(instance)
    sign_in(member, "paper-person", initial)
    # The initial password must be replaced first (tests/test_first_password.py).
    assert member.get("/app/account").headers["Location"] == "/app/account/first-password"


def test_paper_group_registration_follows_the_configuration(instance):
    client = client_for(reconfigure(instance, "[personal_fields]\ngroup_gender = true\n"))
    sign_in(client, *make_moderator(instance))
    page = client.get("/app/moderation/paper/group").get_data(as_text=True)
    assert "性別" in page and 'type="password"' not in page
    form = group_form(8, "paper-group")
    form["representative-gender"] = "other"
    response = submit(client, "/app/moderation/paper/group", form)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    with instance.rt.sessions() as db:
        account = db.scalars(select(Account).where(Account.kind == "group")).one()
        assert account.source == "paper"
        rep, contact = account.persons
        assert opened(instance, rep, "gender") == "other"
        assert contact.gender_enc is None
        assert rep.birth_date_enc is None


TOKENS = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+')


def _registration_answer(client, url: str, data: dict) -> tuple[int, str]:  # type: ignore[no-untyped-def,type-arg]
    """Return a registration's status and page, with the login ID and the tokens blanked."""
    response = submit(client, url, data)
    page = TOKENS.sub(r"\1", response.get_data(as_text=True))
    for typed in (data["login"], unicodedata.normalize("NFKC", data["login"])):
        page = page.replace(f'value="{typed}"', 'value="LOGIN"')
    return response.status_code, page


def _from(instance, address: str):  # type: ignore[no-untyped-def]
    client = client_for(instance)
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _accounts(instance) -> int:  # type: ignore[no-untyped-def]
    with instance.rt.sessions() as db:
        return len(db.scalars(select(Account.id)).all())


# Operators' IDs in the forms a registrant may type them, and reserved staff-like IDs.
STAFF_LOGINS = ("ward-tanaka", "fukuda.k")
UNAVAILABLE = (
    "ward-tanaka",
    "WARD-TANAKA",
    "ｆｕｋｕｄａ．ｋ",
    "Fukuda.K",
    "site-admin",
    "Moderator_2",
    "unei.desk",
    "hiroba-support",
    "staff01",
    "root-user",
)


@pytest.mark.parametrize("kind", ["individual", "group"])
def test_a_staff_login_id_is_answered_like_any_other_unavailable_id(instance, kind):
    reconfigure(instance, HIROBA_REGISTRATION_ID_REFUSALS_PER_HOUR="100")
    moderator_login = make_moderator(instance)[0]
    make_staff(instance, "moderator", STAFF_LOGINS[0], "moderator-password-1", "区 田中")
    make_staff(instance, "staff", STAFF_LOGINS[1], "staff-password-123", "区 福田")
    url = "/app/register" if kind == "individual" else "/app/register/group"
    make = individual_form if kind == "individual" else group_form
    client = _from(instance, "198.51.100.7")
    assert submit(client, url, make(1, "member-taken")).status_code == 302
    taken = _registration_answer(client, url, make(2, "member-taken"))
    assert taken[0] == 422 and "このログインIDは使えません" in taken[1]
    for login in (moderator_login, moderator_login.upper(), *UNAVAILABLE):
        assert _registration_answer(client, url, make(2, login)) == taken, login
    assert _accounts(instance) == 4  # three staff, one registrant
    # A real registrant with a free ID is still registered.
    assert submit(client, url, make(3, "member-free")).status_code == 302


def test_unavailable_answers_are_limited_per_client_address(instance):
    reconfigure(instance, HIROBA_REGISTRATION_ID_REFUSALS_PER_HOUR="3")
    make_staff(instance, "staff", "ward-tanaka", "staff-password-123", "区 田中")
    url = "/app/register"
    prober = _from(instance, "203.0.113.5")
    probes = ["ward-tanaka", "member-a", "member-a", "site-admin", "ward-tanaka", "member-c"]
    answers = [_registration_answer(prober, url, individual_form(1, login)) for login in probes]
    assert [status for status, _ in answers] == [422, 302, 422, 422, 429, 429]
    # Past the allowance a free ID (member-c) and a taken one get the same answer.
    assert answers[4] == answers[5]
    assert "時間をおいて" in answers[4][1] and 'value="個人会員1"' in answers[4][1]
    assert "このログインIDは使えません" not in answers[4][1]
    assert _accounts(instance) == 2  # the staff member and member-a only
    # Another address is not affected: its refusals and its registrations work as before.
    other = _from(instance, "192.0.2.44")
    assert _registration_answer(other, url, individual_form(2, "ward-tanaka"))[0] == 422
    assert submit(other, url, individual_form(3, "member-c")).status_code == 302
    assert submit(other, "/app/register/group", group_form(4, "group-d")).status_code == 302


def test_group_title_in_the_account_pages_follows_the_configuration(instance):
    from intake.models import ChangeRequest
    from intake.moderation import services as moderation

    client = client_for(reconfigure(instance, "[personal_fields]\ngroup_title = true\n"))
    form = {**group_form(5, "title-group"), **person("representative", 5, title=True)}
    assert submit(client, "/app/register/group", form).status_code == 302
    with instance.rt.sessions() as db:
        account_id = db.scalar(select(Account.id).where(Account.kind == "group"))
    moderation.decide_account(instance.rt, approver(instance), account_id, approve=True)
    sign_in(client, "title-group", "group-password-123")
    assert "代表理事" in client.get("/app/account").get_data(as_text=True)
    change_page = client.get("/app/account/change/representative").get_data(as_text=True)
    assert "役職（任意）" in change_page and 'value="代表理事"' in change_page
    # Switched off: the change form has no 役職, and a posted one is no change.
    client = client_for(reconfigure(instance, ""))
    sign_in(client, "title-group", "group-password-123")
    change_page = client.get("/app/account/change/representative").get_data(as_text=True)
    assert "役職" not in change_page
    proposal = {
        **person("representative", 5),
        "representative-postal_code": "160-0022",
        "representative-title": "勝手な役職",
        "representative-address": "東京都新宿区引越先5-5-5",
    }
    proposal = {k.replace("representative-", "person-"): v for k, v in proposal.items()}
    response = submit(client, "/app/account/change/representative", proposal)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    with instance.rt.sessions() as db:
        assert db.scalars(select(ChangeRequest.fields)).one() == "address"
