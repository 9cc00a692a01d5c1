"""Server-side sessions: rotation, revocation, timeouts, cookie attributes, key checks."""

from __future__ import annotations

import dataclasses
import time

import pytest
from actors import open_group, sign_in, sign_out
from conftest import Instance, submit

from intake import redis_keys
from intake.accounts.signin import disable_account
from intake.errors import ConfigError
from intake.web import create_app

SESSION_PREFIX = redis_keys.session("hiroba", "")  # the default HIROBA_REDIS_PREFIX
INDEX_PREFIX = redis_keys.account_sessions("hiroba", "")

COOKIE = "hiroba_session"
GROUP = ("durable-group", "durable-password-1")


def app_with(instance: Instance, **changes):  # type: ignore[no-untyped-def]
    settings = dataclasses.replace(instance.settings, **changes)
    return create_app(settings, runtime=dataclasses.replace(instance.rt, settings=settings))


def cookie_of(client) -> str:  # type: ignore[no-untyped-def]
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    return str(cookie.value)


def replay(app, value: str):  # type: ignore[no-untyped-def]
    """A new browser that presents an old cookie value."""
    other = app.test_client()
    other.set_cookie(COOKIE, value)
    return other.get("/app/my")


def is_signed_in(response) -> bool:  # type: ignore[no-untyped-def]
    return response.status_code == 200


def test_cookie_holds_only_a_random_id_and_data_stays_in_redis(instance, app, client):
    client.get("/app/login")
    value = cookie_of(client)
    assert "." not in value and len(value) >= 40
    stored = instance.rt.redis.get(SESSION_PREFIX + value)
    assert stored is not None and b"csrf_token" in stored
    ttl = instance.rt.redis.ttl(SESSION_PREFIX + value)
    assert 0 < ttl <= instance.settings.session_idle_seconds


def test_an_unknown_session_id_is_never_adopted(instance, app, client):
    client.set_cookie(COOKIE, "chosen-by-an-attacker-0123456789012345678901")
    client.get("/app/login")
    assert cookie_of(client) != "chosen-by-an-attacker-0123456789012345678901"


def test_sign_in_rotates_the_session_id(instance, app, client):
    open_group(instance)
    client.get("/app/login")
    before = cookie_of(client)
    sign_in(client, *GROUP)
    after = cookie_of(client)
    assert after != before
    assert instance.rt.redis.get(SESSION_PREFIX + before) is None
    assert not is_signed_in(replay(app, before))
    assert is_signed_in(replay(app, after))


def test_sign_out_revokes_the_session_on_the_server(instance, app, client):
    open_group(instance)
    sign_in(client, *GROUP)
    signed_in = cookie_of(client)
    sign_out(client)
    assert instance.rt.redis.get(SESSION_PREFIX + signed_in) is None
    assert not is_signed_in(replay(app, signed_in))
    assert not is_signed_in(client.get("/app/my"))


def test_disabling_an_account_revokes_all_its_sessions(instance, app):
    moderator, group = open_group(instance)
    browsers = [app.test_client() for _ in range(2)]
    for browser in browsers:
        sign_in(browser, *GROUP)
        assert is_signed_in(browser.get("/app/my"))
    values = [cookie_of(b) for b in browsers]
    assert instance.rt.redis.scard(f"{INDEX_PREFIX}{group}") == 2

    disable_account(instance.rt, moderator, group)
    for browser, value in zip(browsers, values, strict=True):
        assert instance.rt.redis.get(SESSION_PREFIX + value) is None
        assert not is_signed_in(browser.get("/app/my"))
    assert not instance.rt.redis.exists(f"{INDEX_PREFIX}{group}")


def test_idle_timeout_ends_the_session(instance):
    open_group(instance)
    app = app_with(instance, session_idle_seconds=1)
    client = app.test_client()
    sign_in(client, *GROUP)
    assert is_signed_in(client.get("/app/my"))
    key = SESSION_PREFIX + cookie_of(client)
    deadline = time.monotonic() + 10
    while instance.rt.redis.exists(key):  # left alone: Redis drops it when its second is up
        assert time.monotonic() < deadline, "the idle session outlived its timeout"
        time.sleep(0.05)
    assert not is_signed_in(client.get("/app/my"))


def test_reading_a_session_restarts_its_idle_timeout_never_past_its_deadline(instance):
    """The idle timeout restarts as the session is read (GETEX), capped by the deadline."""
    open_group(instance)
    app = app_with(instance, session_idle_seconds=600, session_member_seconds=3600)
    client = app.test_client()
    sign_in(client, *GROUP)
    key = SESSION_PREFIX + cookie_of(client)
    instance.rt.redis.expire(key, 5)  # as if it had been idle for almost ten minutes
    assert is_signed_in(client.get("/app/my"))
    assert 590 <= instance.rt.redis.ttl(key) <= 600

    short = app_with(instance, session_idle_seconds=600, session_member_seconds=60)
    other = short.test_client()
    sign_in(other, *GROUP)
    key = SESSION_PREFIX + cookie_of(other)
    instance.rt.redis.expire(key, 5)
    assert is_signed_in(other.get("/app/my"))
    assert 5 < instance.rt.redis.ttl(key) <= 60  # restarted, but not past the deadline


def test_absolute_timeout_ends_even_an_active_session(instance):
    open_group(instance)
    app = app_with(instance, session_member_seconds=2)
    client = app.test_client()
    sign_in(client, *GROUP)
    started = time.monotonic()
    # Keep it busy (a read every 0.3 s: the idle timeout never runs out) until it ends.
    while is_signed_in(client.get("/app/my")):
        assert time.monotonic() - started < 10, "the active session outlived its deadline"
        time.sleep(0.3)


def test_production_cookie_is_host_prefixed_secure_httponly_samesite(instance):
    app = app_with(instance, environment="production")
    response = app.test_client().get("/app/login", base_url="https://hiroba.example.jp")
    [header] = [h for h in response.headers.getlist("Set-Cookie") if "session" in h]
    assert header.startswith("__Host-hiroba_session=")
    attributes = [part.strip().lower() for part in header.split(";")[1:]]
    assert "secure" in attributes and "httponly" in attributes
    assert "samesite=lax" in attributes and "path=/" in attributes
    assert not any(a.startswith(("domain=", "expires=", "max-age=")) for a in attributes)


def test_development_cookie_has_a_plain_name_without_secure(instance, client):
    response = client.get("/app/login")
    [header] = [h for h in response.headers.getlist("Set-Cookie") if "session" in h]
    assert header.startswith(f"{COOKIE}=")
    assert "secure" not in header.lower() and "httponly" in header.lower()


@pytest.mark.parametrize("problem", ["short", "readable", "missing"])
def test_the_app_refuses_to_start_with_bad_keys(instance, problem):
    path = instance.settings.keys_dir / "secret.key"
    if problem == "short":
        path.write_text("too-short")
    elif problem == "readable":
        path.chmod(0o644)
    else:
        path.unlink()
    with pytest.raises(ConfigError) as caught:
        create_app(instance.settings, runtime=instance.rt)
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)


def test_without_redis_nobody_signs_in_but_public_forms_keep_their_csrf(instance, app, client):
    open_group(instance)
    instance.redis_server.stop()
    try:
        response = submit(client, "/app/login", {"login": GROUP[0], "password": GROUP[1]})
        assert response.status_code == 503
        assert "ただいまログインを受け付けられません" in response.get_data(as_text=True)
        assert "." in cookie_of(client)  # the anonymous CSRF token, signed, nothing else
    finally:
        instance.redis_server.start()
    sign_in(client, *GROUP)
    assert "." not in cookie_of(client)
    assert is_signed_in(client.get("/app/my"))
