"""The rush on one event, shared by `bench_apply.py` and `tests/test_apply_rush.py`.

A throw-away instance (given Redis and database URLs) gets one live event with `places`
places and a waiting list; gunicorn serves the real intake app with several workers;
every applicant GETs the form (session cookie, CSRF token, the signed start stamp), then
all POSTs are fired at once over their own connections. The check reads the stored rows:
exactly `places` people confirmed, the rest waiting in arrival order, each accepted
submission stored once, and no answer other than the redirect to the confirmation.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from sqlalchemy import select, text  # noqa: E402

from intake.accounts.services import PersonData, Registration, create_staff, register  # noqa: E402
from intake.cli.running import DEFAULT_THREADS, serving_options  # noqa: E402
from intake.models import Application  # noqa: E402
from intake.moderation import decisions as post_decisions  # noqa: E402
from intake.moderation import services as moderation  # noqa: E402
from intake.posts.services import PostData, submit_post  # noqa: E402
from intake.runtime import Runtime  # noqa: E402
from intake.store import transaction  # noqa: E402

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
STARTED = re.compile(r'name="started" type="hidden" value="([^"]+)"')
RUSH_ENV = {
    "HIROBA_RATE_LIMIT_FORMS": "1000000 per minute",
    "HIROBA_RATE_LIMIT_APPLY": "1000000 per minute",
    "HIROBA_APPLY_MIN_SECONDS": "1",
    "HIROBA_SMTP_HOST": "",
}


def _run_apart(coroutine: Any) -> Any:
    """Run a coroutine to its end in a thread of its own: the calling thread may already
    run an event loop (Playwright's sync API in the same test process does)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rush_instance(
    folder: Path, database_url: str, redis_url: str, places: int
) -> tuple[dict[str, str], Runtime, int]:
    """Make a throw-away instance in folder (keys, migrated database, one event with places
    and a waiting list); return its environment, its runtime and the event's id."""
    from scratch_instance import make_instance

    env = {k: v for k, v in os.environ.items() if not k.startswith("HIROBA_")}
    env.update(RUSH_ENV)
    env.update(HIROBA_HOME=str(folder / "instance"), HIROBA_DATABASE_URL=database_url,
               HIROBA_REDIS_URL=redis_url)  # fmt: skip
    rt = make_instance(env)
    return env, rt, make_event(rt, places)


def make_event(rt: Runtime, places: int) -> int:
    """Create a group, a moderator and one approved event with places and a waiting list."""
    moderator = create_staff(rt, "moderator", "rush-moderator", "rush-password-1", "運営")
    group = register(
        rt,
        Registration(
            kind="group",
            login="rush-group",
            password="rush-password-1",
            public_name="ラッシュ検査団体",
            persons={"representative": PersonData(name="架空 太郎", email="g@example.test")},
        ),
    )
    moderation.decide_account(rt, moderator, group, approve=True)
    start = datetime.now() + timedelta(days=30)
    post_id = submit_post(
        rt,
        group,
        PostData(
            kind="event",
            title="人気の行事",
            summary="申込が殺到する行事です。",
            starts_at=start.replace(microsecond=0),
            place_name="区民センター",
            capacity=places,
            accepts_applications=True,
            waitlist=True,
        ),
    )
    post_decisions.approve(rt, moderator, post_decisions.Subject("post", post_id))
    return post_id


def start_gunicorn(
    app: str, env: dict[str, str], workers: int, folder: Path, threads: int = DEFAULT_THREADS
) -> tuple[subprocess.Popen[bytes], int]:
    """Start gunicorn serving app on a free loopback port, as `hiroba web` serves (workers,
    threads); return it once it answers."""
    port = free_port()
    log = open(folder / f"gunicorn-{port}.log", "wb")  # noqa: SIM115 - the child owns it
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            *serving_options(workers, threads),
            "--backlog",
            "4096",
            "--timeout",
            "120",
            app,
        ],  # fmt: skip
        env=env,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"gunicorn exited: {(folder / f'gunicorn-{port}.log').read_text()[-2000:]}"
            )
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return process, port
        time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a gunicorn we started (its own session: the master and its workers)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


async def request(
    port: int, method: str, path: str, headers: dict[str, str], body: bytes = b""
) -> tuple[int, dict[str, list[str]], bytes]:
    """Send one HTTP/1.1 request on its own connection and read the whole answer; a body
    is a urlencoded form unless headers name another Content-Type."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if body:
        if not any(k.lower() == "content-type" for k in headers):
            lines.append("Content-Type: application/x-www-form-urlencoded")
        lines.append(f"Content-Length: {len(body)}")
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    await writer.drain()
    raw = await reader.read()
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    head, _, payload = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    found: dict[str, list[str]] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        found.setdefault(name.strip().lower(), []).append(value.strip())
    return int(status_line.split()[1]), found, payload


@dataclass
class Applicant:
    n: int
    cookie: str = ""
    csrf: str = ""
    started: str = ""
    status: int = 0
    seconds: float = 0.0


def applicant_data(n: int) -> dict[str, str]:
    return {
        "name": f"殺到 花子{n}",
        "address": f"東京都新宿区殺到町{n}-1",
        "phone": "",
        "email": f"rush-{n}@example.test",
        "party_size": "1",
        "consent": "y",
        "website": "",
    }


async def _get_form(port: int, post_id: int, applicant: Applicant, gate: asyncio.Semaphore) -> None:
    async with gate:
        status, headers, body = await request(port, "GET", f"/app/events/{post_id}/apply", {})
    if status != 200:
        raise RuntimeError(f"form GET answered {status}")
    html = body.decode("utf-8")
    csrf, started = CSRF.search(html), STARTED.search(html)
    assert csrf and started, "the form lacks its hidden fields"
    applicant.csrf = csrf.group(1)
    applicant.started = started.group(1)
    applicant.cookie = "; ".join(c.split(";", 1)[0] for c in headers.get("set-cookie", []))


async def _post(port: int, post_id: int, applicant: Applicant) -> None:
    body = urlencode(
        {**applicant_data(applicant.n), "csrf_token": applicant.csrf, "started": applicant.started}
    ).encode()
    begin = time.perf_counter()
    try:
        applicant.status, _, _ = await request(
            port, "POST", f"/app/events/{post_id}/apply", {"Cookie": applicant.cookie}, body
        )
    except OSError:
        applicant.status = -1
    applicant.seconds = time.perf_counter() - begin


def raise_open_files(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


async def _fire(port: int, post_id: int, applicants: list[Applicant], min_seconds: float) -> float:
    gate = asyncio.Semaphore(100)
    await asyncio.gather(*(_get_form(port, post_id, a, gate) for a in applicants))
    await asyncio.sleep(min_seconds + 0.2)  # the minimum fill time of every form has passed
    begin = time.perf_counter()
    await asyncio.gather(*(_post(port, post_id, a) for a in applicants))
    return time.perf_counter() - begin


def fire(
    port: int, post_id: int, count: int, min_seconds: float = 1.0
) -> tuple[list[Applicant], float]:
    """Open count forms, then send every application at once; return them and the POST time."""
    raise_open_files(count * 2 + 256)
    applicants = [Applicant(n) for n in range(count)]
    seconds = _run_apart(_fire(port, post_id, applicants, min_seconds))
    return applicants, seconds


async def _bare(port: int, count: int) -> tuple[list[float], float]:
    latencies: list[float] = []

    async def one() -> None:
        begin = time.perf_counter()
        status, _, _ = await request(port, "GET", "/", {})
        latencies.append(time.perf_counter() - begin)
        assert status == 200

    begin = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(count)))
    return latencies, time.perf_counter() - begin


def fire_bare(port: int, count: int) -> tuple[list[float], float]:
    """Send count requests at once to the bare Flask endpoint."""
    raise_open_files(count * 2 + 256)
    return _run_apart(_bare(port, count))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


@dataclass
class Check:
    """What the stored rows say after the rush."""

    applications: int
    places: int
    confirmed: int = 0
    waiting: int = 0
    lost: int = 0
    duplicated: int = 0
    errors: int = 0
    out_of_order: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    commits: int | None = None  # transactions that stored them (PostgreSQL's xmin), else None


def check(rt: Runtime, post_id: int, applicants: list[Applicant], places: int) -> Check:
    """Compare the stored applications with what the applicants were told."""
    result = Check(applications=len(applicants), places=places)
    result.statuses = Counter(a.status for a in applicants)
    result.errors = sum(1 for a in applicants if a.status != 302)
    with transaction(rt.sessions) as session:
        rows = list(
            session.scalars(
                select(Application).where(Application.post_id == post_id).order_by(Application.seq)
            )
        )
        emails = Counter(rt.vault.open(r.email_enc, "applications.email") for r in rows)
        if rt.engine.dialect.name == "postgresql":
            result.commits = session.execute(
                text("SELECT count(DISTINCT xmin::text) FROM applications WHERE post_id = :id"),
                {"id": post_id},
            ).scalar_one()
    result.confirmed = sum(r.party_size for r in rows if r.status == "confirmed")
    result.waiting = sum(r.party_size for r in rows if r.status == "waitlisted")
    accepted = {f"rush-{a.n}@example.test" for a in applicants if a.status == 302}
    result.lost = sum(1 for email in accepted if emails[email] == 0)
    result.duplicated = sum(count - 1 for count in emails.values() if count > 1)
    # Arrival order: seq runs 1..N without gaps; the confirmed come first, then the waiting.
    seqs = [r.seq for r in rows]
    result.out_of_order += sum(1 for i, s in enumerate(seqs, 1) if s != i)
    statuses = [r.status for r in rows]
    first_waiting = statuses.index("waitlisted") if "waitlisted" in statuses else len(statuses)
    result.out_of_order += sum(1 for s in statuses[first_waiting:] if s != "waitlisted")
    return result
