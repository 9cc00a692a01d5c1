"""A full build's speed-ups keep its output: pages rendered by several forked processes are
the same bytes as pages rendered by one, and each post's Markdown, reused from the read
cache by its bytes, publishes exactly as a fresh conversion (still sanitised; a changed
file, another configuration or a corrupt cache file is converted afresh). Real Pelican,
real worker builds; the rendering processes' pool is also driven on its own."""

from __future__ import annotations

import copy
import importlib.util
import json
import logging
import os
import signal
import sqlite3
import sys
from pathlib import Path

import pytest
from actors import new_post, open_group
from hosts_support import differences, site_tree

from intake.config import REPO_ROOT
from intake.moderation import decisions as post_decisions
from worker.build.full import READ_CACHE_NAME, build_site
from worker.build.session import pelican_settings


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
