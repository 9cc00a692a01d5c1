"""What the people of a flow do through HTTP: register, sign in, post, moderate, apply."""

from __future__ import annotations

import re
import time
from datetime import date, datetime, timedelta

import pyotp
from conftest import Instance, submit

from intake.accounts.second_factor import enrol_account
from intake.accounts.services import PersonData, Registration, create_staff, register
from intake.moderation import services as moderation
from intake.posts.services import PostData, submit_post

MODERATOR = ("mod-tester", "moderator-password-1")


def person(prefix: str, n: int, title: bool = False) -> dict[str, str]:
    """Form data of one fictional person (distinctive strings the leak test looks for).

    title adds a group person's 役職, a field only a deployment with
    [personal_fields] group_title = true collects.
    """
    data = {
        f"{prefix}-name": f"漏洩検査 花子{n}",
        f"{prefix}-kana": "ろうえいけんさ はなこ",
        f"{prefix}-postal_code": "〒１６０－００２２",
        f"{prefix}-address": f"東京都新宿区検査町{n}丁目9番9号",
        f"{prefix}-phone": f"090-9{n:03d}-7531",
        f"{prefix}-fax": "",
        f"{prefix}-email": f"leak-probe-{n}@example.test",
    }
    if title:
        data[f"{prefix}-title"] = "代表理事"
    return data


def group_form(n: int, login: str) -> dict[str, str | list[str]]:
    return {
        "group_name": f"テスト団体{n}",
        "profile": "テストのための架空の団体です。",
        "topics": ["welfare"],
        "areas": ["yotsuya"],
        **person("representative", n),
        **person("contact", n + 500),
        "login": login,
        "password": "group-password-123",
        "password_confirm": "group-password-123",
        "consent": "y",
    }


def register_group(client, n: int, login: str) -> None:  # type: ignore[no-untyped-def]
    response = submit(client, "/app/register/group", group_form(n, login))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


# login -> (TOTP secret, unused recovery codes) of the staff accounts this test made.
SECOND_FACTORS: dict[str, tuple[str, list[str]]] = {}
# login -> the last TOTP time step sign_in used (the server refuses a code twice).
_USED_STEPS: dict[str, int] = {}


def make_staff(instance: Instance, role: str, login: str, password: str, name: str) -> str:
    """Create an enrolled moderator or staff account; return its TOTP secret."""
    account_id = create_staff(instance.rt, role, login, password, name=name)
    enrolment = enrol_account(instance.rt, account_id)
    SECOND_FACTORS[login] = (enrolment.secret, list(enrolment.recovery_codes))
    _USED_STEPS.pop(login, None)
    return enrolment.secret


def make_moderator(instance: Instance) -> tuple[str, str, str]:
    """Create the test moderator; return (login, password, TOTP secret)."""
    secret = make_staff(instance, "moderator", *MODERATOR, name="テスト運営")
    return (*MODERATOR, secret)


def second_factor_code(login: str, secret: str | None = None) -> str:
    """A code the server has not seen yet: this or the next step's TOTP, else a recovery code."""
    secret = secret or SECOND_FACTORS[login][0]
    step = int(time.time() // 30)
    last = _USED_STEPS.get(login, -1)
    for candidate in (step, step + 1):  # the server accepts one step either side
        if candidate > last:
            _USED_STEPS[login] = candidate
            return pyotp.TOTP(secret).at(candidate * 30)
    return SECOND_FACTORS[login][1].pop()


def sign_in(client, login: str, password: str, totp_secret: str | None = None) -> None:  # type: ignore[no-untyped-def]
    """Sign in through the form; complete the second step for an enrolled staff account."""
    response = submit(client, "/app/login", {"login": login, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    if "/app/login/verify" not in response.headers["Location"]:
        return
    code = second_factor_code(login, totp_secret)
    response = submit(client, "/app/login/verify", {"code": code})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def sign_out(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/app/login")
    from conftest import csrf_token

    client.post("/app/logout", data={"csrf_token": csrf_token(page.get_data(as_text=True))})


def decide(client, path: str, approve: bool = True, reason: str = "") -> None:  # type: ignore[no-untyped-def]
    response = submit(
        client, path, {"action": "approve" if approve else "reject", "reason": reason}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def _event_day() -> date:
    """The first Saturday at least two weeks ahead, so the event is always upcoming."""
    day = date.today() + timedelta(days=14)
    return day + timedelta(days=(5 - day.weekday()) % 7)


EVENT_DAY = _event_day()
EVENT_DAY_JA = f"{EVENT_DAY.year}年{EVENT_DAY.month}月{EVENT_DAY.day}日(土)"

EVENT = {
    "kind": "event",
    "title": "川沿いクリーン作戦",
    "summary": "みんなで川沿いを掃除します。",
    "body": "## 集合\n\n軍手を貸し出します。",
    "starts_at": f"{EVENT_DAY}T14:00",
    "ends_at": f"{EVENT_DAY}T16:00",
    "place_name": "落合第一地域センター",
    "place_address": "東京都新宿区下落合4-6-7",
    "topic": "environment",
    "area": "ochiai-1",
    "fee": "無料",
    "capacity": "20",
    "accepts_applications": "y",
    "contact_public": "事務局 (平日10時〜17時)",
}


def post_event(client, **overrides: str) -> None:  # type: ignore[no-untyped-def]
    response = submit(client, "/app/posts/new", {**EVENT, **overrides})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]


def applicant(n: int) -> dict[str, str]:
    return {
        "name": f"申込検査 次郎{n}",
        "address": f"東京都新宿区申込町{n}-1-1",
        "phone": f"080-8{n:03d}-2468",
        "email": f"apply-probe-{n}@example.test",
        "party_size": "1",
        "consent": "y",
    }


def ids_in(html: str, pattern: str) -> list[int]:
    return [int(x) for x in re.findall(pattern, html)]


# Set-ups through the services, for tests whose subject is not the forms.


def open_group(instance: Instance) -> tuple[int, int]:
    """Return (moderator id, active group id), made through the services."""
    moderator = create_staff(instance.rt, "moderator", "mod-durable", "durable-password-1", "運営")
    group = register(
        instance.rt,
        Registration(
            kind="group",
            login="durable-group",
            password="durable-password-1",
            public_name="耐久テスト団体",
            persons={
                "representative": PersonData(name="耐久 一郎", email="d1@example.test"),
                "contact": PersonData(name="耐久 二郎", email="d2@example.test"),
            },
        ),
    )
    moderation.decide_account(instance.rt, moderator, group, approve=True)
    return moderator, group


def new_post(instance: Instance, group: int, n: int, capacity: int | None = None) -> int:
    return submit_post(
        instance.rt,
        group,
        PostData(
            kind="event",
            title=f"耐久テスト行事{n}",
            summary="耐久テストの行事です。",
            starts_at=datetime(2026, 12, 5, 14, 0),
            place_name="テスト会場",
            capacity=capacity,
            accepts_applications=capacity is not None,
            waitlist=True,
        ),
    )
