"""The nginx site `hiroba deploy nginx` writes, run by Debian's nginx in front of a real
`hiroba web`: static pages and the 404 page, each security header once (static and /app/),
the .ics type, approved images readable, a sign-in POST through the proxy on a port other
than 443, the redirect to HTTPS. The site is built by a real worker; posts are sent and
approved through the real forms.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
from actors import make_moderator, open_group
from conftest import Instance, RedisServer, csrf_token
from proxy_support import NGINX, Proxy, Reply, new_proxy
from site_support import fresh_instance
from uploads_support import GROUP, publish_post_with_files

from intake.deploy.headers import APP_CSP, COMMON, HSTS, SITE_CSP
from intake.web import create_app

pytestmark = pytest.mark.skipif(
    not NGINX.is_file(),
    reason="Debian's nginx is not installed (/usr/sbin/nginx): apt-get install -y nginx "
    "(.ci/run installs it)",
)

TITLE = "川辺の写真展"
HEADERS = ("Content-Security-Policy", *(name for name, _ in COMMON), HSTS[0])


@dataclass
class Served:
    instance: Instance
    proxy: Proxy
    posts: list[int]

    @property
    def live(self) -> Path:
        return self.instance.settings.live_dir.resolve()


@pytest.fixture(scope="module")
def served(redis_server: RedisServer) -> Iterator[Served]:
    # Not under pytest's 0700 temporary folder: nginx's workers (www-data when the tests run
    # as root) must be able to reach site/current, as on a server.
    folder = Path(tempfile.mkdtemp(prefix="hiroba-nginx-"))
    folder.chmod(0o711)
    instance = fresh_instance(folder, redis_server)
    proxy = new_proxy(folder)
    try:
        open_group(instance)
        make_moderator(instance)
        client = create_app(instance.settings, runtime=instance.rt).test_client()
        # The first goes live with the site's first, full build; the second incrementally.
        first = publish_post_with_files(instance, client, TITLE)
        second = publish_post_with_files(instance, client, TITLE)
        env = {**instance.env, "HIROBA_TRUSTED_PROXIES": "1", "HIROBA_ENV": "production"}
        acme = folder / "acme"
        (acme / ".well-known" / "acme-challenge").mkdir(parents=True)
        (acme / ".well-known" / "acme-challenge" / "probe").write_text("acme-probe")
        for path in (acme, *acme.rglob("*")):
            path.chmod(0o755 if path.is_dir() else 0o644)
        proxy.start_web(env)
        proxy.start_nginx(proxy.configure(env, acme))
        yield Served(instance, proxy, [first, second])
    finally:
        proxy.stop()
        instance.rt.close()
        shutil.rmtree(folder, ignore_errors=True)


def _headers_once(reply: Reply, csp: str) -> None:
    for name in HEADERS:
        reply.one(name)
    assert reply.one("Content-Security-Policy") == csp
    assert reply.one(HSTS[0]) == HSTS[1]
    for name, value in COMMON:
        assert reply.one(name) == value


def test_static_pages_carry_each_security_header_once(served: Served) -> None:
    proxy = served.proxy
    for path in ("/", f"/events/{served.posts[0]}/", "/en/", "/theme/css/site.css"):
        reply = proxy.https("GET", path)
        assert reply.status == 200, (path, reply.status)
        _headers_once(reply, SITE_CSP)
    home = proxy.https("GET", "/")
    assert home.body == (served.live / "index.html").read_bytes()
    assert home.one("Content-Type") == "text/html; charset=utf-8"
    assert home.one("Cache-Control") == "public, max-age=60"


def test_the_intake_through_the_proxy_has_each_header_once(served: Served) -> None:
    for path, status in (("/app/login", 200), ("/app/register", 200), ("/app/nothing", 404)):
        reply = served.proxy.https("GET", path)
        assert reply.status == status, (path, reply.status)
        _headers_once(reply, APP_CSP)
        assert reply.one("Cache-Control").startswith("no-")  # the intake's own
    health = served.proxy.https("GET", "/healthz")
    # No worker runs behind this proxy: /healthz says so, with 200 for the load balancer
    # (tests/test_watching.py).
    assert health.status == 200 and b'"database":"ok"' in health.body
    assert b'"status":"degraded"' in health.body
    health.one(HSTS[0])


def test_calendars_are_text_calendar(served: Served) -> None:
    for path in ("/calendar/all.ics", f"/events/{served.posts[0]}/event.ics"):
        reply = served.proxy.https("GET", path)
        assert reply.status == 200, (path, reply.status)
        assert reply.one("Content-Type") == "text/calendar; charset=utf-8"
        assert reply.body.startswith(b"BEGIN:VCALENDAR")
        _headers_once(reply, SITE_CSP)


def test_text_is_compressed_and_media_cached_longer(served: Served) -> None:
    css = served.proxy.https("GET", "/theme/css/site.css", {"Accept-Encoding": "gzip"})
    assert css.one("Content-Encoding") == "gzip"
    assert "Accept-Encoding" in css.one("Vary")


def test_newly_approved_images_and_flyers_are_readable(served: Served) -> None:
    for post_id in served.posts:
        media = served.live / "media" / str(post_id)
        files = sorted(media.iterdir())
        assert {p.suffix for p in files} == {".webp", ".pdf"}
        for path in files:
            reply = served.proxy.https("GET", f"/media/{post_id}/{path.name}")
            assert reply.status == 200, (path.name, reply.status)  # not 403
            assert reply.body == path.read_bytes()
            assert reply.one("Cache-Control") == "public, max-age=86400"
            _headers_once(reply, SITE_CSP)
        page = served.proxy.https("GET", f"/events/{post_id}/").body.decode()
        assert f'src="/media/{post_id}/' in page


def _cookie(reply: Reply) -> str:
    cookies = [value.split(";", 1)[0] for value in reply.all("Set-Cookie")]
    assert cookies, "no session cookie"
    return "; ".join(cookies)


def test_sign_in_through_the_proxy_on_a_port_other_than_443(served: Served) -> None:
    proxy = served.proxy
    assert proxy.https_port != 443
    form = proxy.https("GET", "/app/login")
    assert form.status == 200
    cookie = _cookie(form)
    assert cookie.startswith("__Host-")  # production: HTTPS seen through X-Forwarded-Proto
    data = {"login": GROUP[0], "password": GROUP[1], "csrf_token": csrf_token(form.body.decode())}
    signed_in = proxy.https(
        "POST",
        "/app/login",
        {
            "Cookie": cookie,
            "Referer": f"{proxy.origin}/app/login",
            "Origin": proxy.origin,
            "Content-Type": "application/x-www-form-urlencoded",
        },
        urlencode(data).encode(),
    )
    assert signed_in.status == 302, signed_in.body.decode()[:2000]
    assert "/app/login" not in signed_in.one("Location")
    cookie = _cookie(signed_in) if signed_in.all("Set-Cookie") else cookie
    account = proxy.https("GET", "/app/account", {"Cookie": cookie})
    assert account.status == 200
    assert "耐久テスト団体" in account.body.decode()


def test_plain_http_moves_to_https_except_acme_challenges(served: Served) -> None:
    proxy = served.proxy
    moved = proxy.http("/events/?page=2")
    assert moved.status == 301
    assert moved.one("Location") == f"https://127.0.0.1:{proxy.https_port}/events/?page=2"
    challenge = proxy.http("/.well-known/acme-challenge/probe")
    assert challenge.status == 200 and challenge.body == b"acme-probe"


def test_a_missing_page_gets_the_sites_404_page(served: Served) -> None:
    for path, page in (("/no/such/page/", "404.html"), ("/en/no-such-page", "en/404.html")):
        reply = served.proxy.https("GET", path)
        assert reply.status == 404
        assert reply.body == (served.live / page).read_bytes()
        _headers_once(reply, SITE_CSP)


def test_the_access_log_keeps_no_tokens_or_queries(served: Served) -> None:
    token = "k" * 43
    served.proxy.https("GET", f"/app/applications/{token}")
    served.proxy.https("GET", "/search/?q=%E5%B1%B1%E7%94%B0")
    log = (served.proxy.folder / "nginx" / "access.log").read_text()
    assert token not in log and "q=" not in log
    assert re.search(r'"GET /app/applications/\[token\]" \d{3}', log)


def test_the_banner_stylesheet_comes_from_beside_the_builds(served: Served) -> None:
    """nginx serves /banner.css from site/banner/ (not a build) with a 20-second lifetime."""
    from datetime import timedelta

    from sqlalchemy import select

    from intake.models import Account, utcnow
    from intake.notices import banner as banners
    from intake.notices.models import BannerLevel
    from worker.publication.banner import sync_banner

    rt = served.instance.rt
    with rt.sessions() as db:
        someone = db.scalar(select(Account.id).order_by(Account.id))
    assert someone is not None
    banners.set_banner(
        rt,
        someone,
        BannerLevel.OUTAGE,
        "申込みの受付が止まっています。",
        "",
        utcnow() + timedelta(hours=1),
    )
    try:
        sync_banner(rt)  # the worker's step
        reply = served.proxy.https("GET", "/banner.css")
        assert reply.status == 200
        assert reply.one("Content-Type").startswith("text/css")
        assert reply.one("Cache-Control") == "public, max-age=20"
        _headers_once(reply, SITE_CSP)
        assert "申込みの受付が止まっています。".encode() in reply.body
        home = served.proxy.https("GET", "/").body
        assert b'<link rel="stylesheet" href="/banner.css">' in home
    finally:
        banners.clear(rt, someone)
        sync_banner(rt)
    assert "申込み".encode() not in served.proxy.https("GET", "/banner.css").body
