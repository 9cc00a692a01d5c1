"""The post form hammered with images of many pixels in few bytes, and /healthz meanwhile.

A throw-away instance (SQLite, its own redis-server, default [uploads] limits) gets one
approved group per client, and gunicorn serves the real intake app with several workers
on the loopback address. First /healthz is timed alone (the baseline). Then every client
signs in and sends the post form again and again, each with a 39-megapixel PNG of about
120 KB (every other request four of them, the penetration test's payload), for a
bounded time and count, while /healthz is timed again. The answers are counted by what
they say (stored, refused by which cap, busy). One `RESULT` line: /healthz p50 and p95
while hammered, the baseline's p95, and their ratio.

    .venv/bin/python bench/bench_uploads.py [--clients 6] [--seconds 30] [--workers 4]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import apply_rush  # noqa: E402
from apply_rush import RUSH_ENV, percentile  # noqa: E402
from PIL import Image  # noqa: E402
from scratch_instance import make_instance, scratch_folder  # noqa: E402

from intake.accounts.services import PersonData, Registration, create_staff, register  # noqa: E402
from intake.moderation import services as moderation  # noqa: E402
from intake.runtime import Runtime  # noqa: E402

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
PASSWORD = "bench-password-1"  # noqa: S105 - the fictional groups' password
# What each answer of the post form says, by a phrase of its message.
OUTCOMES = {
    "stored": None,
    "request cap": "画像の画素数の合計が多すぎます",
    "hourly cap": "この1時間に送信された画像の画素数",
    "busy": "画像の処理が混み合っています",
    "image cap": "画像の画素数が多すぎます",
    "too costly": "画像の処理に時間またはメモリがかかりすぎました",
}
EVENT = {
    "kind": "event",
    "title": "画素数の多い画像つきの催し",
    "summary": "ベンチマークの投稿です。",
    "starts_at": "2030-06-01T14:00",
    "ends_at": "2030-06-01T16:00",
    "place_name": "落合第一地域センター",
    "place_address": "東京都新宿区下落合4-6-7",
    "topic": "environment",
    "area": "ochiai-1",
    "fee": "無料",
    "capacity": "20",
    "contact_public": "事務局",
}


def many_pixels_png(width: int = 7200, height: int = 5400) -> bytes:
    """A real PNG of one colour: 39 megapixels in about 120 KB."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), (255, 255, 255)).save(out, "PNG", compress_level=9)
    return out.getvalue()


def make_groups(rt: Runtime, count: int) -> list[str]:
    """Create count approved groups; return their logins."""
    moderator = create_staff(rt, "moderator", "bench-moderator", PASSWORD, "運営")
    logins = []
    for n in range(count):
        login = f"bench-group-{n}"
        group = register(
            rt,
            Registration(
                kind="group",
                login=login,
                password=PASSWORD,
                public_name=f"画素検査団体{n}",
                persons={"representative": PersonData(name="架空 太郎", email="g@example.test")},
            ),
        )
        moderation.decide_account(rt, moderator, group, approve=True)
        logins.append(login)
    return logins


async def send(
    port: int, method: str, path: str, headers: dict[str, str], body: bytes = b""
) -> tuple[int, list[str], str]:
    """Send one request on its own connection; return status, Set-Cookie values, body."""
    status, found, payload = await apply_rush.request(port, method, path, headers, body)
    cookies = [value.split(";", 1)[0] for value in found.get("set-cookie", [])]
    return status, cookies, payload.decode("utf-8", "replace")


def multipart(fields: dict[str, str], files: dict[str, bytes]) -> tuple[str, bytes]:
    """Return a multipart/form-data content type and body."""
    boundary = "benchboundary7MA4YWxkTrZu0gW"
    parts = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    for name, data in files.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{name}.png"\r\nContent-Type: image/png\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(parts)


class Client:
    """One signed-in group sending the post form."""

    def __init__(self, port: int, login: str) -> None:
        self.port, self.login, self.cookies = port, login, {}

    def _cookie(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    def _keep(self, cookies: list[str]) -> None:
        for cookie in cookies:
            name, _, value = cookie.partition("=")
            self.cookies[name] = value

    async def _form(self, path: str) -> str:
        status, cookies, html = await send(self.port, "GET", path, self._cookie())
        self._keep(cookies)
        match = CSRF.search(html)
        if status != 200 or match is None:
            raise RuntimeError(f"GET {path} answered {status}")
        return match.group(1)

    async def sign_in(self) -> None:
        token = await self._form("/app/login")
        content_type, body = multipart(
            {"login": self.login, "password": PASSWORD, "csrf_token": token}, {}
        )
        headers = {**self._cookie(), "Content-Type": content_type}
        status, cookies, _ = await send(self.port, "POST", "/app/login", headers, body)
        self._keep(cookies)
        if status != 302:
            raise RuntimeError(f"sign-in answered {status}")

    async def post(self, images: list[bytes]) -> str:
        """Send the post form with images; return what the answer says."""
        token = await self._form("/app/posts/new")
        fields = {**EVENT, "csrf_token": token}
        fields.update({f"images-{n}-alt": "白い画像" for n in range(len(images))})
        files = {f"images-{n}-file": data for n, data in enumerate(images)}
        content_type, body = multipart(fields, files)
        headers = {**self._cookie(), "Content-Type": content_type}
        status, cookies, html = await send(self.port, "POST", "/app/posts/new", headers, body)
        self._keep(cookies)
        if status == 302:
            return "stored"
        for outcome, phrase in OUTCOMES.items():
            if phrase and phrase in html:
                return outcome
        return f"status {status}"


async def time_healthz(port: int, stop: asyncio.Event, pause: float) -> list[float]:
    """Time GET /healthz one after another until stop is set."""
    latencies = []
    while not stop.is_set():
        begin = time.perf_counter()
        status, _, _ = await send(port, "GET", "/healthz", {})
        latencies.append(time.perf_counter() - begin)
        assert status in (200, 503), status  # 503: no worker runs beside the bench's web
        await asyncio.sleep(pause)
    return latencies


async def hammer(port: int, logins: list[str], seconds: float, count: int) -> tuple:
    """Run the clients for at most seconds or count requests each, timing /healthz meanwhile."""
    image = many_pixels_png()
    clients = [Client(port, login) for login in logins]
    for client in clients:
        await client.sign_in()
    outcomes: Counter[str] = Counter()
    deadline = time.monotonic() + seconds

    async def run(client: Client, n: int) -> None:
        for i in range(count):
            if time.monotonic() > deadline:
                return
            outcomes[await client.post([image] * (4 if (i + n) % 2 else 1))] += 1

    stop = asyncio.Event()
    probe = asyncio.create_task(time_healthz(port, stop, 0.05))
    begin = time.perf_counter()
    await asyncio.gather(*(run(c, n) for n, c in enumerate(clients)))
    elapsed = time.perf_counter() - begin
    stop.set()
    return await probe, outcomes, elapsed, len(image)


async def baseline(port: int, seconds: float) -> list[float]:
    stop = asyncio.Event()
    probe = asyncio.create_task(time_healthz(port, stop, 0.05))
    await asyncio.sleep(seconds)
    stop.set()
    return await probe


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--requests", type=int, default=40, help="at most, per client")
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    with scratch_folder("hiroba-bench-uploads-") as (folder, redis_url):
        env = {k: v for k, v in os.environ.items() if not k.startswith("HIROBA_")}
        env.update(RUSH_ENV)
        env.update(HIROBA_HOME=str(folder / "instance"), HIROBA_REDIS_URL=redis_url)
        rt = make_instance(env)
        logins = make_groups(rt, args.clients)
        rt.close()
        web, port = apply_rush.start_gunicorn("intake.web:create_app()", env, args.workers, folder)
        try:
            asyncio.run(baseline(port, 1.0))  # warm-up: every worker has answered once
            alone = asyncio.run(baseline(port, 5.0))
            hammered, outcomes, elapsed, size = asyncio.run(
                hammer(port, logins, args.seconds, args.requests)
            )
        finally:
            apply_rush.stop(web)
    p50, p95 = percentile(hammered, 0.5) * 1000, percentile(hammered, 0.95) * 1000
    base95 = percentile(alone, 0.95) * 1000
    print(f"# {args.clients} clients, {args.workers} gunicorn workers, {elapsed:.1f} s, "
          f"PNG {size // 1024} KB of 39 megapixels (1 or 4 per request)")  # fmt: skip
    print(f"# post form answers: {dict(outcomes)}")
    print(f"# /healthz alone: {len(alone)} requests, p50 {percentile(alone, 0.5) * 1000:.1f} ms; "
          f"hammered: {len(hammered)} requests, max {max(hammered) * 1000:.1f} ms")  # fmt: skip
    print(
        f"RESULT healthz_p50_ms={p50:.1f} healthz_p95_ms={p95:.1f} "
        f"baseline_p95_ms={base95:.1f} ratio={p95 / base95:.1f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
