"""A demo-like public site for the site tests: `hiroba demo` data published by a real worker.

One build per session (SQLite, the session's private Redis), shared by the site tests
through demo_fixture: they read the output, they do not change it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Instance, RedisServer, instance_env, migrate_fresh
from redis import Redis

from intake.cli.demo import load_demo
from intake.config import Settings
from intake.crypto import create_keys
from intake.runtime import Runtime


def fresh_instance(folder: Path, redis_server: RedisServer) -> Instance:
    """Return a new SQLite instance in folder on the session's private Redis (started if
    need be, then emptied): keys made, schema migrated. The caller closes its runtime."""
    if redis_server.process is None or redis_server.process.poll() is not None:
        redis_server.start()
    Redis.from_url(redis_server.url).flushall()
    env = instance_env(folder, f"sqlite:///{folder / 'instance' / 'hiroba.db'}", redis_server.url)
    settings = Settings.from_env(env)
    create_keys(settings.keys_dir)
    migrate_fresh(settings.database_url)
    rt = Runtime.from_settings(settings)
    return Instance(env=env, settings=settings, rt=rt, redis_server=redis_server)


def build_demo(folder: Path, redis_server: RedisServer) -> Iterator[Instance]:
    """Yield an instance whose live site holds the demo data."""
    instance = fresh_instance(folder, redis_server)
    try:
        load_demo(instance.rt, progress=lambda _line: None)
        instance.worker_burst()
        assert (instance.settings.live_dir / "index.html").is_file()
        yield instance
    finally:
        instance.rt.close()


def demo_fixture():  # type: ignore[no-untyped-def]
    """Return a module-scoped fixture yielding the session's demo instance (conftest's
    `shared_demo`: built once per xdist worker). The modules that use it only read its
    site; one that must change something puts it back before it ends, or builds its own
    demo with build_demo (tests/test_layout.py, tests/test_phone_layout.py)."""

    @pytest.fixture(scope="module")
    def demo(shared_demo: Instance) -> Instance:
        return shared_demo

    return demo


def event_pages(site: Path) -> list[Path]:
    """Return the built page of every event (events/<id>/index.html)."""
    return sorted(p for p in (site / "events").glob("*/index.html") if p.parent.name.isdigit())


def key_pages(site: Path) -> dict[str, str]:
    """The key pages of a built site, by name: the ones the browser tests visit."""
    event = event_pages(site)[0].parent.relative_to(site)
    month = sorted((site / "events").glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/index.html"))[0]
    calendar = sorted((site / "calendar").glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/index.html"))[0]
    group = sorted((site / "groups").glob("*/index.html"))[0].parent.relative_to(site)
    return {
        "home": "/",
        "month listing": f"/{month.parent.relative_to(site)}/",
        "calendar": f"/{calendar.parent.relative_to(site)}/",
        "event": f"/{event}/",
        "search": "/search/?q=%E4%BD%93%E9%A8%93",
        "group": f"/{group}/",
        "groups": "/groups/",
        "groups by topic": "/groups/topics/welfare/",
    }


# An event with a long title, held on a public holiday (see holiday_month).
HOLIDAY_TITLE = "祝日の親子リズムあそびと絵本の読み聞かせ会（おやこでいっしょに・予約制）"


def holiday_month(instance: Instance) -> str:
    """Return the address of a built calendar month that has a public holiday (named in the
    grid) and something on: the demo's, else one made by an event approved on the next
    holiday (a long title, to see how the grid wraps it), published by the worker."""
    import datetime as dt

    import jpholiday
    from sqlalchemy import select

    from intake.models import Account
    from intake.moderation import decisions
    from intake.posts.services import PostData, submit_post

    site = instance.settings.live_dir.resolve()
    for page in sorted((site / "calendar").glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/index.html")):
        html = page.read_text(encoding="utf-8")
        if 'class="holiday"' in html and HOLIDAY_TITLE in html:
            return f"/{page.parent.relative_to(site)}/"
    day = dt.date.today() + dt.timedelta(days=2)
    while not jpholiday.is_holiday(day):
        day += dt.timedelta(days=1)
    with instance.rt.sessions() as db:
        group = db.scalar(select(Account.id).where(Account.kind == "group").order_by(Account.id))
        moderator = db.scalar(select(Account.id).where(Account.kind == "moderator"))
    assert group is not None and moderator is not None
    starts = dt.datetime.combine(day, dt.time(10, 0))
    data = PostData(
        kind="event",
        title=HOLIDAY_TITLE,
        summary="祝日に親子で参加できる会です。",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        place_name="新宿区立子ども総合センター",
    )
    post_id = submit_post(instance.rt, group, data)
    instance.worker_burst()  # ingest
    decisions.approve(instance.rt, moderator, decisions.Subject("post", post_id))
    instance.worker_burst()  # publish and build
    built = instance.settings.live_dir.resolve()
    assert HOLIDAY_TITLE in (built / f"calendar/{day:%Y}/{day:%m}/index.html").read_text("utf-8")
    return f"/calendar/{day:%Y}/{day:%m}/"


JSONLD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


# The theme's own scripts: same origin, deferred, no user text in them.
OWN_SCRIPTS = tuple(
    f'<script src="/theme/js/{name}.js" defer></script>'
    for name in ("availability", "past", "search", "print-url")
)
# The search page's own form (GET to the same origin, no user text in it).
OWN_FORM = (
    '<form class="search-form" action="/search/" method="get" role="search"'
    ' data-pagefind="/pagefind/pagefind.js" data-delta="/search/delta.json">'
)
# The same form on the English search page: it stays on /en/ (same index, same scripts).
OWN_FORM_EN = OWN_FORM.replace('action="/search/"', 'action="/en/search/"')


def json_ld_problems(text: str) -> tuple[str, list[str]]:
    """Return text without its JSON-LD blocks, and what is wrong with them.

    schema.org JSON-LD is data, not script: allowed when it parses as JSON and has no "<".
    """
    problems = []
    for block in JSONLD.findall(text):
        try:
            json.loads(block)
        except ValueError:
            problems.append("JSON-LD that is not JSON")
        if "<" in block:
            problems.append("'<' inside JSON-LD")
    return JSONLD.sub("", text), problems
