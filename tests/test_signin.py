"""Signing in: two steps for staff (TOTP, replay, recovery codes), lockout, rate limits."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
import time
from urllib.parse import urlencode, urlsplit

import pyotp
import pytest
from actors import (
    MODERATOR,
    SECOND_FACTORS,
    make_moderator,
    make_staff,
    open_group,
    sign_in,
    sign_out,
)
from conftest import Instance, csrf_token, submit
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.urls import iri_to_uri

from intake import controls
from intake.accounts import second_factor
from intake.config import REPO_ROOT
from intake.models import Account, AuditEntry
from intake.validation import InvalidInput, password
from intake.web import create_app

LOCKED = "ログインに続けて失敗したため"
CODE_REFUSED = "確認コードが正しくないか、すでに使われています。"


def app_with(instance: Instance, **changes):  # type: ignore[no-untyped-def]
    """The app with some settings changed (same database, Redis and keys)."""
    settings = dataclasses.replace(instance.settings, **changes)
    return create_app(settings, runtime=dataclasses.replace(instance.rt, settings=settings))


def password_step(client, login: str, secret: str, url: str = "/app/login"):  # type: ignore[no-untyped-def]
    return submit(client, url, {"login": login, "password": secret})


def unused_wrong_code(secret: str) -> str:
    """A 6-digit code that is valid in no step near now."""
    totp, step = pyotp.TOTP(secret), int(time.time() // 30)
    near = {totp.at((step + d) * 30) for d in range(-2, 4)}
    return next(c for c in (f"{n:06d}" for n in range(0, 999999, 7919)) if c not in near)


def test_moderator_signs_in_in_two_steps(instance, client):
    login, secret_password, secret = make_moderator(instance)
    response = password_step(client, login, secret_password)
    assert response.status_code == 302
    assert "/app/login/verify" in response.headers["Location"]
    # After the password alone the session is not signed in.
    assert client.get("/app/moderation").status_code == 302

    wrong = submit(client, "/app/login/verify", {"code": unused_wrong_code(secret)})
    assert wrong.status_code == 422
    assert CODE_REFUSED in wrong.get_data(as_text=True)
    assert client.get("/app/moderation").status_code == 302

    code = pyotp.TOTP(secret).now()
    response = submit(client, "/app/login/verify", {"code": code})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/app/moderation")
    assert client.get("/app/moderation").status_code == 200

    # The same code again, in a new sign-in, is a replay.
    sign_out(client)
    assert password_step(client, login, secret_password).status_code == 302
    replay = submit(client, "/app/login/verify", {"code": code})
    assert replay.status_code == 422
    assert CODE_REFUSED in replay.get_data(as_text=True)


def test_recovery_code_works_once(instance, client):
    login, secret_password, _secret = make_moderator(instance)
    recovery = SECOND_FACTORS[login][1][0]
    password_step(client, login, secret_password)
    response = submit(client, "/app/login/verify", {"code": recovery.upper()})
    assert response.status_code == 302
    assert client.get("/app/moderation").status_code == 200

    sign_out(client)
    password_step(client, login, secret_password)
    again = submit(client, "/app/login/verify", {"code": recovery})
    assert again.status_code == 422
    with instance.rt.sessions() as db:
        account = db.scalars(select(Account).where(Account.kind == "moderator")).one()
        assert second_factor.recovery_codes_left(db, account.id) == 9
        assert account.totp_secret_enc and _secret not in account.totp_secret_enc


def test_the_code_page_needs_the_password_step_first(instance, client):
    make_moderator(instance)
    assert client.get("/app/login/verify").status_code == 302


def test_individual_or_group_signs_in_in_one_step(instance, client):
    open_group(instance)
    response = password_step(client, "durable-group", "durable-password-1")
    assert response.status_code == 302
    assert "/verify" not in response.headers["Location"]
    assert client.get("/app/my").status_code == 200


def test_ward_staff_signs_in_with_a_second_factor_and_sees_only_counts(instance, client):
    open_group(instance)
    make_staff(instance, "staff", "ward-staff", "ward-staff-password", "区職員")
    sign_in(client, "ward-staff", "ward-staff-password")
    page = client.get("/app/staff")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "アカウント" in html and "耐久" not in html and "@example.test" not in html
    assert client.get("/app/moderation").status_code == 403
    sign_out(client)
    make_moderator(instance)
    sign_in(client, *MODERATOR)
    assert client.get("/app/staff").status_code == 403


def test_lockout_after_repeated_failures_then_unlock(instance, client):
    open_group(instance)
    for _ in range(instance.settings.signin_max_failures):
        assert password_step(client, "durable-group", "not-the-password").status_code == 422
    locked = password_step(client, "durable-group", "durable-password-1")
    assert locked.status_code == 422
    assert LOCKED in locked.get_data(as_text=True)
    # An unknown login locks the same way, so a lock says nothing about existence.
    for _ in range(instance.settings.signin_max_failures):
        password_step(client, "no-such-login", "not-the-password")
    assert LOCKED in password_step(client, "no-such-login", "x" * 12).get_data(as_text=True)

    with instance.rt.sessions() as db:
        failures = db.scalars(select(AuditEntry).where(AuditEntry.action == "signin_failed")).all()
    assert len(failures) >= 2 * instance.settings.signin_max_failures
    details = " ".join(f.detail for f in failures)
    assert "durable" not in details and "not-the-password" not in details
    assert "login_index=" in details

    time.sleep(instance.settings.signin_lockout_seconds + 0.5)
    assert password_step(client, "durable-group", "durable-password-1").status_code == 302


def test_address_with_many_failures_is_blocked(instance):
    open_group(instance)
    # A window long enough for three slow password checks on a loaded machine (the test
    # environment's 2 s window could end before the third failure counted).
    client = app_with(
        instance, signin_address_max_failures=3, signin_lockout_seconds=300
    ).test_client()
    for n in range(3):
        password_step(client, f"someone-{n}", "not-the-password")
    blocked = password_step(client, "durable-group", "durable-password-1")
    assert blocked.status_code == 422
    assert "この接続元からのログインの失敗が多い" in blocked.get_data(as_text=True)


def test_rate_limit_gives_a_japanese_429_page(instance):
    client = app_with(instance, rate_limit_signin="3 per minute").test_client()
    token = csrf_token(client.get("/app/login").get_data(as_text=True))
    statuses = [
        client.post(
            "/app/login", data={"login": "x-user", "password": "y" * 12, "csrf_token": token}
        )
        for _ in range(4)
    ]
    assert [r.status_code for r in statuses[:3]] == [422, 422, 422]
    limited = statuses[3]
    assert limited.status_code == 429
    assert limited.mimetype == "text/html"
    assert "送信が多すぎます" in limited.get_data(as_text=True)
    # When to come back: the limit's window. No X-RateLimit-* headers (Redis round trips).
    assert limited.headers["Retry-After"] == "60"
    assert not [k for k, _ in limited.headers.items() if k.lower().startswith("x-ratelimit")]
    assert client.get("/app/login").status_code == 200  # reading is not limited

    forms = app_with(instance, rate_limit_forms="2 per minute").test_client()
    codes = [submit(forms, "/app/register", {"login": "ab"}).status_code for _ in range(3)]
    assert codes == [422, 422, 429]
    # The counters are in our Redis, not in the process.
    assert instance.rt.redis.keys("hiroba:limits:LIMITER/hiroba:ratelimit/*")  # under the prefix


def test_client_address_comes_from_the_trusted_proxy_only(instance):
    def attempts(app, addresses):  # type: ignore[no-untyped-def]
        client = app.test_client()
        token = csrf_token(client.get("/app/login").get_data(as_text=True))
        return [
            client.post(
                "/app/login",
                data={"login": "x-user", "password": "y" * 12, "csrf_token": token},
                headers={"X-Forwarded-For": address},
            ).status_code
            for address in addresses
        ]

    behind_proxy = app_with(instance, rate_limit_signin="2 per minute", trusted_proxies=1)
    assert attempts(behind_proxy, ["10.0.0.1", "10.0.0.1", "10.0.0.1", "10.0.0.2"]) == [
        422,
        422,
        429,
        422,
    ]
    instance.rt.redis.flushdb()
    direct = app_with(instance, rate_limit_signin="2 per minute")  # the header is ignored
    assert attempts(direct, ["10.0.0.3", "10.0.0.4", "10.0.0.5"]) == [422, 422, 429]


def test_common_passwords_are_refused():
    for common in ("qwertyuiop", "1234567890", "QwertyUIOP"):
        with pytest.raises(InvalidInput, match="よく使われて"):
            password(common)
    assert password("kawazoi-seisou-2026") == "kawazoi-seisou-2026"


def test_registration_refuses_a_common_password(instance, client):
    response = submit(
        client,
        "/app/register",
        {"login": "someone-new", "password": "qwertyuiop", "password_confirm": "qwertyuiop"},
    )
    assert response.status_code == 422
    assert "よく使われて" in response.get_data(as_text=True)


def test_create_user_prints_the_second_factor_once(instance, client):
    def create(login: str, secret: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "intake.cli",
                "create-user",
                "--role",
                "staff",
                "--login",
                login,
            ],
            env={**instance.env, "HIROBA_PASSWORD": secret},
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
            timeout=60,
        )

    weak = create("staff-weak", "1234567890")
    assert weak.returncode == 2 and "よく使われて" in weak.stderr

    result = create("staff-one", "staff-one-password")
    assert result.returncode == 0, result.stderr
    secret = re.search(r"秘密鍵 \(base32\): ([A-Z2-7]+)", result.stdout).group(1)
    assert "otpauth://totp/" in result.stdout and f"secret={secret}" in result.stdout
    codes = re.findall(r"^  ([a-z2-9]{5}-[a-z2-9]{5})$", result.stdout, re.M)
    assert len(codes) == 10
    with instance.rt.sessions() as db:
        account = db.scalars(select(Account).where(Account.kind == "staff")).one()
        stored = " ".join(str(v) for v in vars(account).values())
    assert secret not in stored  # sealed: only the printout ever shows it

    sign_in(client, "staff-one", "staff-one-password", totp_secret=secret)
    assert client.get("/app/staff").status_code == 200


HOSTILE_NEXT = [
    "/app/my\r\nX: 1",
    "/app/my\nSet-Cookie: a=b",
    "/app/my\x00",
    "/app/my\x7f",
    "/app/my\x85",
    "//evil.test/app/",
    "/\\evil.test",
    "/app/\\\\evil.test",
    "/app/..//evil.test",
    "/app/../../etc/passwd",
    "https://evil.test/app/my",
    "javascript:alert(1)",
    "/elsewhere",
    "",
]


NEXT_VALUES = st.one_of(
    st.sampled_from(HOSTILE_NEXT),
    st.builds(lambda t: "/app/" + t, st.text(max_size=12)),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=12),
)


def test_sign_in_follows_next_only_to_a_plain_app_path(instance, app):
    """Whatever `next` holds, sign-in redirects (never a 500) and only within /app/."""
    open_group(instance)

    @settings(max_examples=30, deadline=None)
    @given(target=NEXT_VALUES)
    def sign_in_with(target: str) -> None:
        client = app.test_client()
        url = "/app/login?" + urlencode({"next": target})
        response = password_step(client, "durable-group", "durable-password-1", url)
        assert response.status_code == 302
        location = response.headers["Location"]
        assert not any(ord(c) < 0x20 for c in location)
        parts = urlsplit(location)
        assert parts.netloc in ("", "localhost") and parts.path.startswith("/app/")
        assert "\\" not in parts.path and "//" not in parts.path
        if location != "/app/my":  # followed: it was an /app/ path (URL-quoted on the way)
            received = controls.multi_line(target)  # as the request class hands it over
            assert received.startswith("/app/")
            assert parts.path == urlsplit(iri_to_uri(received)).path

    sign_in_with()


@pytest.mark.parametrize("target", ["/app/account", "/app/posts/new?kind=event"])
def test_sign_in_returns_to_the_page_asked_for(instance, client, target):
    """A real `next` still works, for one-step and two-step sign-in."""
    open_group(instance)
    url = "/app/login?" + urlencode({"next": target})
    assert (
        password_step(client, "durable-group", "durable-password-1", url).headers["Location"]
        == target
    )
