"""Debian's Chromium driven by Playwright (never a downloaded browser), and the app served
on a loopback port for it: shared by the browser and accessibility tests."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import free_port
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def chromium() -> Iterator[object]:
    """Launch the system Chromium headless, closed at the end."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@contextmanager
def serving(app, name: str = "hiroba-test-server") -> Iterator[str]:  # type: ignore[no-untyped-def]
    """Serve app (intake and live site on one origin) on a free loopback port; yield its URL."""
    httpd = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        httpd.server_close()


def demo_server_fixture(name: str):  # type: ignore[no-untyped-def]
    """Return a module-scoped fixture serving the module's `demo` instance's app (intake
    and live site on one origin) on a free loopback port; yields its URL."""

    @pytest.fixture(scope="module")
    def server(demo) -> Iterator[str]:  # type: ignore[no-untyped-def]
        from intake.web import create_app

        with serving(create_app(demo.settings, runtime=demo.rt), name) as url:
            yield url

    return server


def close_contexts(browser) -> None:  # type: ignore[no-untyped-def]
    """Close every context still open in the shared browser (what a module left behind)."""
    for context in list(browser.contexts):
        context.close()


def browser_fixture():  # type: ignore[no-untyped-def]
    """Return a module-scoped fixture yielding the session's headless Chromium (conftest's
    `shared_chromium`: one launch per xdist worker); the contexts the module opened are
    closed at its end, so no page or cookie outlives its module."""

    @pytest.fixture(scope="module")
    def browser(shared_chromium) -> Iterator[object]:  # type: ignore[no-untyped-def]
        yield shared_chromium
        close_contexts(shared_chromium)

    return browser


def phone_page(browser, server: str, width: int):  # type: ignore[no-untyped-def]
    """Return (context, page) of a phone at `width` CSS px (touch, 2× pixels) on server."""
    context = browser.new_context(
        base_url=server,
        viewport={"width": width, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(15_000)
    return context, context.new_page()


def sign_in_page(page, login: str, password: str, lang: str = "") -> None:  # type: ignore[no-untyped-def]
    """Sign a staff account in through the real forms: password, then its TOTP code."""
    from actors import second_factor_code

    page.goto(f"/app/login?lang={lang}" if lang else "/app/login")
    page.fill("#login", login)
    page.fill("#password", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/app/login/verify" in url)
    page.fill("#code", second_factor_code(login))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/app/login" not in url)


def install_axe(folder: Path) -> str:
    """Install axe-core from the npm registry into folder; return its script (conftest's
    `axe_source`: once per session, for every accessibility check)."""
    subprocess.run(  # noqa: S603
        ["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(folder),  # noqa: S607
         "axe-core@4"],
        check=True,
        timeout=300,
    )  # fmt: skip
    return (folder / "node_modules" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")


# axe-core's rule tags for WCAG 2.1 A and AA (tests/test_site_a11y.py vendors axe itself).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page, axe_source: str, tags: list[str] = WCAG_TAGS) -> list[str]:  # type: ignore[no-untyped-def]
    """Run axe-core on the page as it is now, for tags; return "rule: targets" per
    violation. axe is evaluated in the page, not added as a <script>: the site's CSP
    forbids that."""
    page.evaluate(axe_source)
    found: list[str] = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
        ".then(r => r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target).join(' ')))",
        tags,
    )
    return found
