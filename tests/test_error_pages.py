"""Every HTTP error the intake gives is a page in the reader's language, in the intake's layout,
with a way back and nothing technical: each status reached through real requests."""

from __future__ import annotations

import dataclasses
import re

import pytest
from actors import open_group, sign_in
from conftest import csrf_token
from sqlalchemy import text

from intake.web import create_app

# What a page must never show: Werkzeug's English names and a traceback's words.
TECHNICAL = (
    "Bad Request",
    "Forbidden",
    "Not Found",
    "Method Not Allowed",
    "Request Entity Too Large",
    "Content Too Large",
    "Too Many Requests",
    "Internal Server Error",
    "Service Unavailable",
    "Traceback",
    "Exception",
    "Error:",
    "sqlalchemy",
    "werkzeug",
    "The CSRF token",
)
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def heading(html: str) -> str:
    match = re.search(r"<h1>(.*?)</h1>", html, re.S)
    assert match, html[:2000]
    return match.group(1).strip()


def title(html: str) -> str:
    match = re.search(r"<title>(.*?)</title>", html, re.S)
    assert match, html[:2000]
    return match.group(1).strip()


def check_page(response, status: int, lang: str, *leaks: str) -> str:  # type: ignore[no-untyped-def]
    """Assert the error page's status, language, layout, way back and silence; return its h1."""
    html = response.get_data(as_text=True)
    assert response.status_code == status, html[:2000]
    assert response.mimetype == "text/html"
    assert f'<html lang="{lang}">' in html
    assert 'class="site-header"' in html  # the intake's own layout, not a bare page
    back = "/en/" if lang == "en" else "/"
    assert f'<a href="{back}">' in html, "a way back to the top page"
    assert f">{status}<" not in title(html)
    for word in (*TECHNICAL, *leaks):
        assert word not in html, (status, word)
    h1 = heading(html)
    if lang == "ja":
        assert JAPANESE.search(h1) and JAPANESE.search(title(html)), h1
        assert f"エラーコード: {status}" in html
    else:
        assert not JAPANESE.search(h1), h1
        assert f"Error code: {status}" in html
    return h1


def app_with(instance, **changes):  # type: ignore[no-untyped-def]
    settings = dataclasses.replace(instance.settings, **changes)
    return create_app(settings, runtime=dataclasses.replace(instance.rt, settings=settings))


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_client_errors_are_pages_in_the_readers_language(instance, client, lang):
    query = "?lang=en" if lang == "en" else ""
    # 404: no such page, and no such record.
    missing = check_page(client.get(f"/app/no-such-page{query}"), 404, lang)
    assert missing == ("Page not found" if lang == "en" else "ページが見つかりません")
    check_page(client.get(f"/app/applications/not-a-real-token{query}"), 404, lang)
    # 405: a method no intake address takes.
    not_allowed = client.put(f"/app/logout{query}", data={"a": "b"})
    check_page(not_allowed, 405, lang)
    assert "POST" in not_allowed.headers["Allow"]  # the status's promise is kept
    # 400: a form sent without its CSRF token (an expired page).
    forged = client.post(f"/app/login{query}", data={"login": "someone", "password": "x" * 12})
    assert check_page(forged, 400, lang, "someone") == (
        "Your submission could not be accepted"
        if lang == "en"
        else "送信を受け付けられませんでした"
    )
    # 400: a body that cannot be read at all (a broken multipart stream).
    broken = client.post(
        f"/app/login{query}",
        data=b"--x\r\nContent-Disposition: form-data\r\n\r\nno end",
        content_type="multipart/form-data; boundary=x",
    )
    check_page(broken, 400, lang)
    # 413: a real body over the intake's limit.
    page = client.get(f"/app/login{query}").get_data(as_text=True)
    huge = client.post(
        f"/app/login{query}",
        data={"csrf_token": csrf_token(page), "login": "big", "password": "y" * (2 << 20)},
    )
    assert check_page(huge, 413, lang, "yyyy") == (
        "Too much was sent" if lang == "en" else "送信内容が大きすぎます"
    )


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_forbidden_is_not_403_forbidden(instance, client, lang):
    open_group(instance)
    sign_in(client, "durable-group", "durable-password-1")
    query = "?lang=en" if lang == "en" else ""
    forbidden = client.get(f"/app/moderation{query}")
    assert check_page(forbidden, 403, lang) == (
        "You cannot open this page" if lang == "en" else "このページを表示する権限がありません"
    )


def test_too_many_submissions_from_the_real_rate_limiter(instance):
    client = app_with(instance, rate_limit_signin="2 per minute").test_client()
    for lang in ("ja", "en"):
        instance.rt.redis.flushdb()  # each language its own window
        query = "?lang=en" if lang == "en" else ""
        token = csrf_token(client.get(f"/app/login{query}").get_data(as_text=True))
        answers = [
            client.post(
                f"/app/login{query}",
                data={"login": "limited-user", "password": "z" * 12, "csrf_token": token},
            )
            for _ in range(3)
        ]
        assert [a.status_code for a in answers] == [422, 422, 429]
        check_page(answers[2], 429, lang, "limited-user")


def test_an_unexpected_error_and_a_broken_store_say_nothing_technical(instance):
    app = app_with(instance)
    secret = "見本 漏洩検査 太郎 090-0000-1111"

    @app.route("/app/broken-on-purpose")
    def broken():  # type: ignore[no-untyped-def]
        raise RuntimeError(f"could not handle {secret}")

    client = app.test_client()
    for lang, query in (("ja", "?lang=ja"), ("en", "?lang=en")):
        check_page(client.get(f"/app/broken-on-purpose{query}"), 500, lang, secret, "RuntimeError")
    with instance.rt.engine.begin() as connection:
        connection.execute(text("ALTER TABLE posts RENAME TO posts_away"))
    try:
        for lang, query in (("ja", "?lang=ja"), ("en", "?lang=en")):
            busy = client.get(f"/app/events/1/apply{query}")
            check_page(busy, 503, lang, "posts_away", "SELECT")
    finally:
        with instance.rt.engine.begin() as connection:
            connection.execute(text("ALTER TABLE posts_away RENAME TO posts"))
