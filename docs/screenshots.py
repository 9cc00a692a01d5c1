"""`make screenshots`: the key pages of a fresh demo, at phone and desktop width, for the README.

Brings up a throw-away demo with `hiroba up` (its own Redis on a free port, a temporary
instance), signs in as the demo moderator (the TOTP secret its closing block shows) and as
a ward-staff account made for the purpose, and photographs each page with Debian's
/usr/bin/chromium through Playwright into docs/screenshots/<page>-<lang>-<width>.png,
palette-reduced PNGs under 300 KB. Nothing of the instance is kept.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pyotp
from PIL import Image

HERE = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
WIDTHS = {375: 812, 1280: 900}  # width: viewport height
MAX_HEIGHT = {375: 2400, 1280: 1800}  # a long page is cut here
PREVIEW_ANCHOR = "preview"  # a shot of a URL with #preview starts at the desk's preview
MAX_BYTES = 300_000
RULE = "=" * 72
STAFF = ("demo-staff", "demo-staff-password")


def free_port() -> int:
    """Return a loopback TCP port that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def demo_instance(folder: Path) -> Iterator[tuple[str, dict[str, str], str]]:
    """Run `hiroba up` in folder; yield its address, environment and the moderator's secret."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIROBA_")}
    env["HIROBA_HOME"] = str(folder / "instance")
    up = subprocess.Popen(
        [sys.executable, "-m", "intake.cli", "up", "--port", str(port)],
        env=env,
        cwd=folder,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    assert up.stdout is not None
    try:
        lines: list[str] = []
        for line in up.stdout:
            lines.append(line.rstrip("\n"))
            print(line, end="", flush=True)
            if line.rstrip("\n") == RULE and lines.count(RULE) == 2:
                break
        text = "\n".join(lines)
        # Read in either language of the CLI: the Redis URL and the otpauth URI's secret.
        redis = re.search(r"(redis://\S+)", text)
        secret = re.search(r"otpauth://\S+[?&]secret=([A-Z2-7]+)", text)
        if up.poll() is not None or redis is None or secret is None:
            raise SystemExit(f"hiroba up did not come up:\n{text[-3000:]}")
        env["HIROBA_REDIS_URL"] = redis.group(1)
        yield f"http://127.0.0.1:{port}", env, secret.group(1)
    finally:
        up.send_signal(signal.SIGINT)
        try:
            up.wait(timeout=60)
        except subprocess.TimeoutExpired:
            up.kill()
        up.stdout.close()


def make_staff(env: dict[str, str]) -> str:
    """Create the ward-staff account; return its TOTP secret."""
    login, password = STAFF
    made = subprocess.run(
        [sys.executable, "-m", "intake.cli", "create-user", "--role", "staff", "--login", login]
        + ["--name", "見本 区職員"],
        env={**env, "HIROBA_PASSWORD": password},
        capture_output=True,
        text=True,
        check=True,
    )
    # The otpauth:// URI, as for the moderator: it reads the same in either language.
    found = re.search(r"otpauth://\S+[?&]secret=([A-Z2-7]+)", made.stdout)
    if found is None:
        raise SystemExit(f"no secret in: {made.stdout}")
    return found.group(1)


def targets(env: dict[str, str]) -> dict[str, str]:
    """Return the pages to photograph, by name: paths found in the demo's site and database."""
    from sqlalchemy import select

    from intake.config import Settings
    from intake.models import Post
    from intake.posts.models import POST_WAITING
    from intake.store import make_engine, session_factory

    settings = Settings.from_env(env)
    engine = make_engine(settings.database_url)
    try:
        with session_factory(engine)() as session:
            waiting = session.scalars(
                select(Post.id).where(Post.status.in_(POST_WAITING)).order_by(Post.id)
            ).first()
            event = session.scalars(
                select(Post.id).where(Post.accepts_applications.is_(True)).order_by(Post.starts_at)
            ).first()
    finally:
        engine.dispose()
    live = settings.live_dir
    months = sorted(p.parent for p in (live / "calendar").glob("[0-9]*/[0-9]*/index.html"))
    this_month = live / "calendar" / f"{date.today():%Y/%m}"
    calendar = this_month if this_month in months else months[0]
    return {
        "home": "/",
        "event": f"/events/{event}/",
        "calendar": f"/{calendar.relative_to(live)}/",
        "apply": f"/app/events/{event}/apply",
        "review": f"/app/moderation/posts/{waiting}",
        "report": "/app/staff/report",
    }


def sign_in(page: Any, base: str, login: str, password: str, secret: str) -> None:
    """Sign in through the two forms, as a person would."""
    page.goto(f"{base}/app/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")
    page.fill("input[name=code]", pyotp.TOTP(secret).now())
    with page.expect_navigation():
        page.press("input[name=code]", "Enter")
    if "/app/login" in page.url:
        raise SystemExit(f"{login} could not sign in: {page.url}")


def save(png: bytes, path: Path) -> int:
    """Write png palette-reduced and optimised (smaller still if need be); return its size."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    for colours in (256, 128, 64):
        buffer = io.BytesIO()
        image.quantize(colors=colours, method=Image.Quantize.MEDIANCUT).save(
            buffer, "PNG", optimize=True
        )
        if buffer.tell() <= MAX_BYTES:
            break
    path.write_bytes(buffer.getvalue())
    return buffer.tell()


def shoot(page: Any, url: str, width: int, path: Path) -> None:
    """Photograph url at width (the page's top, at most MAX_HEIGHT tall) into path."""
    page.set_viewport_size({"width": width, "height": WIDTHS[width]})
    response = page.goto(url.partition("#")[0], wait_until="networkidle")
    if response is None or response.status >= 400:
        raise SystemExit(f"{url}: {response and response.status}")
    page.evaluate("document.fonts.ready")
    top = 0
    if url.endswith("#" + PREVIEW_ANCHOR):
        top = int(page.evaluate("document.querySelector('.post-preview')"
                                ".getBoundingClientRect().top + window.scrollY"))  # fmt: skip
    full = page.evaluate("document.documentElement.scrollHeight")
    height = min(full - top, MAX_HEIGHT[width])
    png = page.screenshot(full_page=True, clip={"x": 0, "y": top, "width": width, "height": height})
    size = save(png, path)
    print(f"{path.relative_to(HERE.parent)}  {width}x{height}  {size // 1000} KB", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Bring up the demo, take the screenshots, stop the demo."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=HERE / "screenshots")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    args.output.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="hiroba-screenshots-") as tmp,
        demo_instance(Path(tmp)) as (base, env, moderator_secret),
    ):
        staff_secret = make_staff(env)
        pages = targets(env)
        accounts = {
            "review": ("demo-moderator", "demo-moderator-password", moderator_secret),
            "report": (*STAFF, staff_secret),
        }
        shots = {"ja": list(pages.items()), "en": [("home", "/en/")]}
        with sync_playwright() as playwright:
            for lang, locale in (("ja", "ja-JP"), ("en", "en-US")):
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
                )
                for name, path in shots[lang]:
                    context = browser.new_context(locale=locale)
                    page = context.new_page()
                    if name in accounts:
                        sign_in(page, base, *accounts[name])
                    for width in WIDTHS:
                        out = args.output / f"{name}-{lang}-{width}.png"
                        shoot(page, base + path, width, out)
                        if name == "review":  # signed in once: the preview, from its top
                            out = args.output / f"preview-{lang}-{width}.png"
                            shoot(page, f"{base}{path}#{PREVIEW_ANCHOR}", width, out)
                    context.close()
                browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
