"""A re-plan of only the sections a change touches equals a full plan, page for page:
new posts, edits that move a post between months, kinds, 分野, 地域, 対象 and groups (and
back), takedowns, hidden posts, recurring events; a new day or new profiles are refused
(the publisher plans in full then). The listings plugin's own functions, no mocks."""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from test_listings_api import listings  # noqa: F401 - the fixture, loaded through Pelican

from intake.config import Settings
from worker.build.session import pelican_settings

JST = ZoneInfo("Asia/Tokyo")
Listings: Any = None  # the listings plugin's interface, as the worker loads it


@pytest.fixture(autouse=True, scope="module")
def _loaded(listings: Any) -> None:  # noqa: F811 - the imported fixture, by name
    global Listings
    Listings = listings


TOPICS = {f"t{n}": f"分野{n}" for n in range(4)}
AREAS = {f"a{n}": f"地域{n}" for n in range(3)}
AUDIENCES = {f"u{n}": f"対象{n}" for n in range(3)}


@pytest.fixture
def settings(tmp_path: Path) -> dict:
    config = Settings.from_env({"HIROBA_HOME": str(tmp_path / "instance")})
    config.content_dir.mkdir(parents=True)
    found = pelican_settings(config, tmp_path / "out")
    found.update(HIROBA_TOPICS=TOPICS, HIROBA_AREAS=AREAS, HIROBA_AUDIENCES=AUDIENCES)
    profiles = {"2": {"name": "公開団体", "text": "活動", "topics": ["t1"], "areas": ["a0"]}}
    (config.content_dir / "groups.json").write_text(json.dumps({"groups": profiles}))
    return found


def _entry(rng: random.Random, n: int, today: dt.date, status: str = "published"):  # type: ignore[no-untyped-def]
    kind = rng.choice(["events", "events", "recruitment", "notices"])
    start = dt.datetime.combine(today, dt.time(10)) + dt.timedelta(days=rng.randint(-90, 90))
    starts = "" if kind == "notices" else start.isoformat()
    occurrences = ""
    if starts and rng.random() < 0.2:  # recurring: every four weeks, four times
        occurrences = ";".join(
            f"{(start + dt.timedelta(weeks=4 * k)).isoformat()}--"
            f"{(start + dt.timedelta(weeks=4 * k, hours=2)).isoformat()}"
            for k in range(4)
        )
    article = SimpleNamespace(
        slug=str(n),
        category=SimpleNamespace(slug=kind),
        url=f"{kind}/{n}/",
        save_as=f"{kind}/{n}/index.html",
        status=status,
        title=f"催し{n}-{rng.randrange(1000)}",
        summary=f"概要{n}",
        date=dt.datetime.combine(today, dt.time(9), JST) - dt.timedelta(days=rng.randint(0, 60)),
        starts=starts,
        ends=(start + dt.timedelta(days=rng.choice([0, 1, 40]))).isoformat() if starts else "",
        topic=rng.choice(list(TOPICS)),
        area=rng.choice(list(AREAS)),
        organizer=f"団体{n % 4}",
        organizer_id=str(1 + n % 4),
        audience=",".join(sorted(rng.sample(list(AUDIENCES), rng.randint(0, 2)))),
        occurrences=occurrences,
        operator="yes" if kind == "notices" and rng.random() < 0.3 else "",
    )
    source = f"posts/{n}.md"
    return Listings.entry_from_article(article, source, f"sig{n}-{rng.random()}")


def _replanned(live, entries: dict, changed: list, settings: dict):  # type: ignore[no-untyped-def]
    """Re-plan from the live plan (as saved: state and signatures) for these changes."""
    meta = {"today": live.today.isoformat(), "inputs": live.inputs}
    previous = {
        "state": dict(meta, sections=live.sections),
        "signatures": dict(meta, signatures=live.signatures),
        "members": Listings.membership([old for old, _new in changed if old] + entries["kept"]),
        "changed": changed,
    }
    return Listings.plan_site(iter(()), settings, [], previous)


def _check(before: list, after: list, settings: dict) -> None:
    """Re-plan the change before -> after (by source) and compare with a full plan."""
    live = Listings.plan_site(before, settings, [])
    old = {e.source: e for e in before}
    new = {e.source: e for e in after}
    changed = [
        (old.get(source), new.get(source))
        for source in sorted(set(old) | set(new))
        if old.get(source) != new.get(source)
    ]
    kept = [e for e in before if new.get(e.source) == e]
    site = _replanned(live, {"kept": kept}, changed, settings)
    full = Listings.plan_site(after, settings, [])
    assert site.replanned and not full.replanned
    assert site.signatures == full.signatures
    assert site.sections == full.sections
    for path, page in site.pages.items():  # what it would render is what a full build would
        assert page.sig == full.pages[path].sig, path
    # Everything whose signature changed was re-planned (or is a post's own page).
    moved = {rel for rel, sig in full.signatures.items() if live.signatures.get(rel) != sig}
    posts = {e.page for e in after} | {"en/" + e.page for e in after}
    assert {rel.removeprefix("en/") for rel in moved - posts} <= set(site.pages)


def test_edits_that_move_a_post_between_lists_and_back_replan_exactly(settings: dict) -> None:
    rng = random.Random(7)
    today = dt.date.today()
    entries = [_entry(rng, n, today) for n in range(60)]
    post = next(e for e in entries if e.kind == "events" and not e.occurrences)
    elsewhere = replace(
        post,
        kind="recruitment",
        page=f"recruitment/{post.slug}/index.html",
        url=f"recruitment/{post.slug}/",
        starts=(today + dt.timedelta(days=200)).isoformat() + "T10:00:00",
        ends=(today + dt.timedelta(days=201)).isoformat() + "T12:00:00",
        topic="t3" if post.topic != "t3" else "t0",
        area="a2" if post.area != "a2" else "a1",
        audience="u0,u2",
        organizer_id="3" if post.organizer_id != "3" else "1",
        organizer="移った団体",
        sig="",
    )
    moved = [elsewhere if e is post else e for e in entries]
    _check(entries, moved, settings)  # moved to another month, kind, 分野, 地域, 対象, group
    _check(moved, entries, settings)  # and back
    notice = next(e for e in entries if e.kind == "notices")
    dated = replace(notice, title="題名だけ変えた", sig="")
    _check(entries, [dated if e is notice else e for e in entries], settings)


def test_new_posts_takedowns_hidden_and_recurring_posts_replan_exactly(settings: dict) -> None:
    rng = random.Random(11)
    today = dt.date.today()
    entries = [_entry(rng, n, today) for n in range(80)]
    _check(entries, [*entries, _entry(rng, 80, today)], settings)  # a new post
    _check(entries, entries[1:], settings)  # a takedown
    _check(entries, [e for e in entries if e.organizer_id != "1"], settings)  # a whole group
    _check(entries, [*entries, _entry(rng, 81, today, status="hidden")], settings)
    recurring = next(e for e in entries if e.occurrences)
    _check(entries, [e for e in entries if e is not recurring], settings)
    last = [e for e in entries if e.organizer_id == "4"]
    _check(last, last[1:], settings)  # a group's last posts go one by one: its pages go too
    _check(last[:1], [], settings)
    for seed in range(5):  # several changes at once, of every sort
        pick = random.Random(seed)
        after = [e for e in entries if pick.random() > 0.1]
        after += [_entry(pick, 100 + k, today) for k in range(pick.randint(0, 4))]
        _check(entries, after, settings)


def test_a_new_day_or_new_profiles_are_planned_in_full(settings: dict, tmp_path: Path) -> None:
    rng = random.Random(3)
    today = dt.date.today()
    entries = [_entry(rng, n, today) for n in range(20)]
    live = Listings.plan_site(entries, settings, [])
    yesterday = replace(live, today=today - dt.timedelta(days=1))
    site = _replanned(yesterday, {"kept": entries}, [], settings)
    assert not site.replanned  # no entries were passed: a full plan of nothing
    assert site.signatures != live.signatures
    (tmp_path / "instance" / "content" / "groups.json").write_text(json.dumps({"groups": {}}))
    site = _replanned(live, {"kept": entries}, [], settings)
    assert not site.replanned
