"""A full build's speed-ups keep its output: pages rendered by several forked processes are
the same bytes as pages rendered by one, each post's Markdown, reused from the read
cache by its bytes, publishes exactly as a fresh conversion (still sanitised; a changed
file, another configuration or a corrupt cache file is converted afresh), and files
reused from the live build by their signatures (with its Pagefind index when no indexed
page changed) make the same site as a cold build. Real Pelican, real worker builds; the
rendering processes' pool is also driven on its own."""

from __future__ import annotations

import copy
import dataclasses
import gzip
import importlib.util
import json
import logging
import os
import shutil
import signal
import sqlite3
import sys
from pathlib import Path

import pytest
from actors import new_post, open_group
from hosts_support import differences, site_tree

from intake.config import REPO_ROOT
from intake.moderation import decisions as post_decisions
from worker.build.full import READ_CACHE_NAME, build_site, full_build, new_build_dir, reuse_source
from worker.build.session import pelican_settings
from worker.build.switch import switch_live
from worker.build.tree import fingerprint, search_path


def _published(instance, count: int) -> list[int]:  # type: ignore[no-untyped-def]
    moderator, group = open_group(instance)
    ids = []
    for n in range(count):
        ids.append(new_post(instance, group, n))
        post_decisions.approve(instance.rt, moderator, post_decisions.Subject("post", ids[-1]))
    instance.worker_burst()
    return ids


def test_pages_rendered_in_parallel_are_the_same_bytes(instance, tmp_path: Path) -> None:
    _published(instance, 5)
    one, three = tmp_path / "one", tmp_path / "three"
    build_site(instance.settings, one, HIROBA_RENDER_PROCESSES=1)
    build_site(instance.settings, three, HIROBA_RENDER_PROCESSES=3)
    tree = site_tree(one)
    assert sum(rel.endswith(".html") for rel in tree) > 50  # both languages, listings
    assert differences(site_tree(three), tree) == []


def _cache(instance) -> Path:  # type: ignore[no-untyped-def]
    return instance.settings.site_dir / "cache" / READ_CACHE_NAME


def _poison(cache: Path, html: str) -> int:
    """Replace every cached rendering's HTML; return how many entries there are."""
    with sqlite3.connect(cache) as db:
        rows = db.execute("SELECT key, value FROM entries").fetchall()
        for key, value in rows:
            meta = json.loads(value)[1]
            db.execute(
                "UPDATE entries SET value = ? WHERE key = ?",
                (json.dumps([html, meta], ensure_ascii=False), key),
            )
    return len(rows)


def test_the_read_cache_is_used_sanitised_and_keyed_by_the_file(instance, tmp_path: Path) -> None:
    ids = _published(instance, 3)
    build_site(instance.settings, tmp_path / "first")  # fills the cache
    assert _poison(_cache(instance), '<p>CACHED</p><script>alert("x")</script>') >= 3
    build_site(instance.settings, tmp_path / "second")
    page = (tmp_path / "second" / "events" / str(ids[0]) / "index.html").read_text()
    assert "CACHED" in page  # the cached rendering was used...
    assert "<script>alert" not in page  # ...and sanitised like any other
    source = instance.settings.content_dir / "posts" / f"{ids[1]}.md"
    source.write_text(source.read_text() + "\n\n変更した本文。\n", encoding="utf-8")
    build_site(instance.settings, tmp_path / "third")
    changed = (tmp_path / "third" / "events" / str(ids[1]) / "index.html").read_text()
    assert "変更した本文" in changed and "CACHED" not in changed  # other bytes: converted
    markdown = copy.deepcopy(pelican_settings(instance.settings, tmp_path)["MARKDOWN"])
    markdown["output_format"] = "xhtml"
    build_site(instance.settings, tmp_path / "fourth", MARKDOWN=markdown)
    other = (tmp_path / "fourth" / "events" / str(ids[0]) / "index.html").read_text()
    assert "CACHED" not in other  # another configuration: converted afresh


@pytest.mark.parametrize("garbage", [b"", b"not a database at all" * 100, b"SQLite format 3\0"])
def test_a_corrupt_or_foreign_read_cache_is_ignored(
    instance, tmp_path: Path, garbage: bytes
) -> None:
    _published(instance, 2)
    build_site(instance.settings, tmp_path / "plain", HIROBA_READ_CACHE="")
    cache = _cache(instance)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(garbage)
    build_site(instance.settings, tmp_path / "cached")
    assert differences(site_tree(tmp_path / "cached"), site_tree(tmp_path / "plain")) == []
    with sqlite3.connect(cache) as db:  # replaced by a cache of ours, filled
        assert db.execute("SELECT count(*) FROM entries").fetchone()[0] >= 2
    _poison(cache, "<p>CACHED</p>")
    with sqlite3.connect(cache) as db:  # a cache of another fingerprint: emptied, not read
        db.execute("UPDATE about SET value = 'foreign' WHERE name = 'fingerprint'")
    build_site(instance.settings, tmp_path / "again")
    assert differences(site_tree(tmp_path / "again"), site_tree(tmp_path / "plain")) == []


def _parallel():  # type: ignore[no-untyped-def]
    """Import pelican/plugins/i18n/parallel.py under a private name (pelican/ is no package)."""
    path = REPO_ROOT / "pelican" / "plugins" / "i18n" / "parallel.py"
    spec = importlib.util.spec_from_file_location("_hiroba_test_parallel", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_render_processes_write_every_share_and_report_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    parallel = _parallel()

    def write(n: int) -> None:
        (tmp_path / f"{n}.txt").write_text(f"{n} {os.getpid()}")
        if n == 7:
            logging.getLogger("pelican.test").error("page %s failed", n)

    with caplog.at_level(logging.INFO):
        parallel.render_in_processes(list(range(10)), write, 3)
    pids = {(tmp_path / f"{n}.txt").read_text().split()[1] for n in range(10)}
    assert len(pids) == 3 and str(os.getpid()) not in pids
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
        ("pelican.test", "ERROR", "page 7 failed")
    ]

    def fail(n: int) -> None:
        if n == 4:
            raise ValueError("template broke on page 4")

    with pytest.raises(ValueError, match="page 4"):
        parallel.render_in_processes(list(range(6)), fail, 2)

    def die(n: int) -> None:
        if n == 1:
            os.kill(os.getpid(), signal.SIGKILL)

    with pytest.raises(parallel.RenderProcessDied, match="SIGKILL"):
        parallel.render_in_processes(list(range(4)), die, 2)


def test_a_publication_reads_the_hand_written_pages_from_the_read_cache(
    instance, tmp_path: Path
) -> None:
    """The incremental publisher reads every hand-written page on each publication: it
    takes their Markdown from the full builds' read cache (still sanitised), and does
    without one when there is none."""
    from worker.build import preload
    from worker.build.session import SiteRenderer

    _published(instance, 1)
    _cache(instance).unlink(missing_ok=True)  # a publication's instance may have one
    values = pelican_settings(instance.settings, tmp_path / "none", incremental=True)
    assert not values["HIROBA_READ_CACHE"]  # no cache yet: Markdown is converted
    plain = SiteRenderer(values).pages.pages
    assert plain and all("CACHED" not in page.content for page in plain)
    build_site(instance.settings, tmp_path / "full")  # fills the cache
    assert _poison(_cache(instance), '<p>CACHED</p><script>alert("x")</script>') >= 3
    # The worker's parent reads the pages too (preload), but never through the cache: the
    # horses it forks must not inherit its SQLite connection.
    preload.warm_up(instance.settings)
    fds = Path("/proc/self/fd")
    cache = os.path.realpath(_cache(instance))
    assert cache not in {os.path.realpath(fd) for fd in fds.iterdir()}
    values = pelican_settings(instance.settings, tmp_path / "incremental", incremental=True)
    assert values["HIROBA_READ_CACHE"] == str(_cache(instance))
    pages = SiteRenderer(values).pages.pages
    assert {page.source_path for page in pages} == {page.source_path for page in plain}
    assert all("CACHED" in page.content for page in pages)
    assert all("<script>alert" not in page.content for page in pages)


def _counting_pagefind(tmp_path: Path) -> tuple[Path, Path]:
    """Return a script that runs the wheel's Pagefind and notes each run, and its notes."""
    from pagefind_bin_extended import get_executable  # type: ignore[import-untyped]

    runs, script = tmp_path / "pagefind-runs", tmp_path / "pagefind"
    script.write_text(f'#!/bin/sh\necho run >> "{runs}"\nexec "{get_executable()}" "$@"\n')
    script.chmod(0o755)
    return script, runs


def _runs(notes: Path) -> int:
    return len(notes.read_text().split()) if notes.exists() else 0


def _inode(path: Path) -> int:
    return path.stat().st_ino


def test_a_full_build_reuses_unchanged_files_and_equals_a_cold_build(
    instance, tmp_path: Path
) -> None:
    ids = _published(instance, 4)
    binary, notes = _counting_pagefind(tmp_path)
    settings = dataclasses.replace(instance.settings, pagefind_binary=str(binary))
    first = new_build_dir(settings, 100)
    full_build(settings, first)  # the live build is another configuration's: all rendered
    assert _runs(notes) == 2  # Pagefind: the Japanese pages, then the English ones
    switch_live(settings, first)

    changed = settings.content_dir / "posts" / f"{ids[1]}.md"
    text = changed.read_text().replace("Title: ", "Title: 改題 ", 1) + "\n\n変更した本文。\n"
    changed.write_text(text, encoding="utf-8")
    second = new_build_dir(settings, 101)
    full_build(settings, second)
    cold = tmp_path / "cold"
    build_site(settings, cold, HIROBA_REUSE=None)
    assert differences(site_tree(second), site_tree(cold)) == []
    for rel in (f"events/{ids[0]}/index.html", f"en/events/{ids[0]}/index.html"):
        assert _inode(second / rel) == _inode(first / rel)  # linked, not rendered
    for rel in (f"events/{ids[1]}/index.html", f"en/events/{ids[1]}/index.html"):
        assert _inode(second / rel) != _inode(first / rel)
        assert "変更した本文" in (second / rel).read_text()
    # Every listing, feed and calendar showing the new title: rendered or written again.
    showing = [rel for rel, data in site_tree(cold).items() if "改題".encode() in data]
    assert len([rel for rel in showing if rel.endswith((".ics", ".xml"))]) >= 4
    for rel in showing:
        if not rel.startswith("pagefind/"):
            assert _inode(second / rel) != _inode(first / rel), rel
    home = f"events/{ids[0]}/event.ics"  # a data file of an unchanged post: linked
    assert _inode(second / home) == _inode(first / home)
    assert _runs(notes) == 2 + 2 + 2  # a page changed: Pagefind ran (and for the cold one)
    fragments = [
        gzip.decompress(p.read_bytes()) for p in (second / "pagefind").rglob("*.pf_fragment")
    ]
    assert any("変更した本文".encode() in data for data in fragments)

    switch_live(settings, second)
    locked = second / f"events/{ids[2]}/index.html"
    locked.chmod(0o600)  # as a build of an older version wrote it: not reused
    third = new_build_dir(settings, 102)
    full_build(settings, third)  # nothing changed: every page linked, the index copied
    assert _runs(notes) == 6
    assert _inode(third / f"events/{ids[2]}/index.html") != _inode(locked)
    assert (third / f"events/{ids[2]}/index.html").stat().st_mode == (third / home).stat().st_mode
    assert differences(site_tree(third), site_tree(cold)) == []
    assert site_tree(third / "pagefind") == site_tree(second / "pagefind")
    assert not (third / "pagefind").samefile(second / "pagefind")
    assert _inode(third / home) == _inode(second / home)
    assert json.loads(search_path(third).read_text())["pending"] == []


def test_only_a_live_build_of_the_same_fingerprint_is_reused(instance, tmp_path: Path) -> None:
    _published(instance, 1)
    settings = instance.settings
    live = settings.live_dir.resolve()
    mine = fingerprint(settings)
    found = reuse_source(settings, mine)
    assert found is not None and found["folder"] == str(live)
    assert reuse_source(settings, "another configuration") is None
    assert reuse_source(settings, "") is None  # a build that saves no state reuses nothing
    other = dataclasses.replace(settings, pagefind_binary=str(_counting_pagefind(tmp_path)[0]))
    assert fingerprint(other) != mine  # another Pagefind: another index


def test_a_cold_build_reuses_nothing_of_the_live_build(instance, tmp_path: Path) -> None:
    """`hiroba build --cold` (and a restore's `republish`): every page rendered again and
    Pagefind run, though nothing changed since the live build."""
    from worker.__main__ import build_now

    ids = _published(instance, 2)
    binary, notes = _counting_pagefind(tmp_path)
    settings = dataclasses.replace(instance.settings, pagefind_binary=str(binary))
    rt = dataclasses.replace(instance.rt, settings=settings)
    pages = (f"events/{ids[0]}/index.html", f"en/events/{ids[1]}/index.html", "index.html")
    assert build_now(rt, republish_first=False, wait=0) == 0  # this Pagefind's first build
    first = {rel: _inode(settings.live_dir / rel) for rel in pages}
    runs = _runs(notes)
    assert build_now(rt, republish_first=False, wait=0) == 0  # nothing changed: linked
    assert _runs(notes) == runs
    assert {rel: _inode(settings.live_dir / rel) for rel in pages} == first
    warm = tmp_path / "warm"
    shutil.copytree(settings.live_dir.resolve(), warm)
    assert build_now(rt, republish_first=False, wait=0, cold=True) == 0
    cold = settings.live_dir.resolve()
    assert _runs(notes) == runs + 2  # Pagefind ran, for each language
    for rel in pages:
        assert _inode(cold / rel) != first[rel], rel  # rendered, not linked
    assert differences(site_tree(cold), site_tree(warm)) == []
