"""Debian's Chromium driven by Playwright (never a downloaded browser), and the app served
on a loopback port for it: shared by the browser and accessibility tests."""

from __future__ import annotations

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


def browser_fixture():  # type: ignore[no-untyped-def]
    """Return a module-scoped fixture yielding a headless Chromium browser."""

    @pytest.fixture(scope="module")
    def browser() -> Iterator[object]:
        with chromium() as launched:
            yield launched

    return browser
