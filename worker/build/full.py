"""Full builds: Pelican over the whole content into a fresh folder, refused when it reads or
writes beyond the build's boundary, retried without the posts that broke it."""

from __future__ import annotations

import functools
import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pelican import Pelican

from intake.config import Settings
from intake.runtime import Runtime

from . import output_check, setaside, tree
from .child import run_in_child
from .session import READ_CACHE_NAME, listings_api, pelican_settings

log = logging.getLogger(__name__)


class BuildFailed(Exception):
    """Pelican reported an error or raised; the message holds the log."""


@dataclass
class BuildResult:
    output_dir: Path
    seconds: float
    log: str


class _Collector(logging.Handler):
    """Collects a build's warnings and errors for the moderators' status page."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []
        self.errors = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname}: {record.getMessage()}")
        if record.levelno >= logging.ERROR:
            self.errors += 1


def sync_pages(settings: Settings) -> None:
    """Copy the hand-written pages into the content folder, removing ones deleted upstream."""
    target = settings.content_dir / "pages"
    target.mkdir(parents=True, exist_ok=True)
    (settings.content_dir / "posts").mkdir(parents=True, exist_ok=True)
    wanted = {p.name for p in settings.pages_dir.glob("*.md")}
    for stale in target.glob("*.md"):
        if stale.name not in wanted:
            stale.unlink()
    for page in settings.pages_dir.glob("*.md"):
        shutil.copyfile(page, target / page.name)


def render_processes() -> int:
    """Return how many processes render a full build's pages: the cores this process may
    use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def reuse_source(settings: Settings, fingerprint: str) -> dict[str, Any] | None:
    """Return what a full build of this fingerprint may reuse: the live build's folder and
    the signature of each of its tracked files (pelican/plugins/i18n/reuse.py), or None
    when there is no live build with saved signatures of that same fingerprint."""
    if not fingerprint or not settings.live_dir.exists():
        return None
    live = settings.live_dir.resolve()
    sigs = tree.load_signatures(live)
    if not sigs or sigs.get("fingerprint") != fingerprint:
        return None
    return {"folder": str(live), "signatures": sigs["signatures"]}


def _run(
    pelican: Pelican, collector: _Collector, reuse: Callable[[], dict[str, Any] | None]
) -> tuple[list[str], int, bool, str]:
    """Run Pelican (in the build's child process); return the collector's lines and error
    count, whether Pelican raised, and the folder whose unchanged files it reused ("" for
    none). The live build's signatures are read here, so the parent never holds them."""
    found = reuse()
    pelican.settings["HIROBA_REUSE"] = found
    folder = str(found["folder"]) if found else ""
    try:
        pelican.run()
    except Exception as exc:  # any exception from Pelican or the theme is a failed build
        collector.lines.append(f"EXCEPTION: {type(exc).__name__}: {exc}")
        collector.errors += 1
        return collector.lines, collector.errors, True, folder
    return collector.lines, collector.errors, False, folder


def build_site(settings: Settings, output_dir: Path, **extra: object) -> BuildResult:
    """Run a full Pelican build into output_dir; raise BuildFailed on any error.

    Pelican renders in a forked child process (child.py): what it held is freed when the
    child exits, before Pagefind indexes the site here.
    """
    sync_pages(settings)
    collector = _Collector()
    pelican_logger = logging.getLogger("pelican")
    pelican_logger.addHandler(collector)
    started = time.perf_counter()
    try:
        values = pelican_settings(settings, output_dir, overrides=extra)
        values["HIROBA_SEARCH_LATER"] = True
        # Pages are rendered by forked processes, one per core (pelican/plugins/i18n).
        if "HIROBA_READ_CACHE" not in extra:  # each post's Markdown, converted once
            cache = settings.site_dir / "cache"
            cache.mkdir(parents=True, exist_ok=True)
            values["HIROBA_READ_CACHE"] = str(cache / READ_CACHE_NAME)
        if "HIROBA_RENDER_PROCESSES" not in extra:
            values["HIROBA_RENDER_PROCESSES"] = render_processes()
        # Unchanged files are linked from the live build (HIROBA_REUSE: None for none).
        fingerprint = str(extra.get("HIROBA_FINGERPRINT") or "")
        reuse = functools.partial(reuse_source, settings, fingerprint)
        if "HIROBA_REUSE" in extra:
            reuse = functools.partial(dict.get, extra, "HIROBA_REUSE")
        output_check.check_inputs(settings, values)  # the build reads only what we wrote
        pelican = Pelican(values)  # the plugins load here, shared with the child
        collector.lines, collector.errors, raised, reused = run_in_child(
            functools.partial(_run, pelican, collector, reuse)
        )
        if not raised:
            # Writes only what a build writes: checked before the index, so a refused build
            # spends no Pagefind run, then what the index wrote.
            output_check.check_tree(settings, output_dir)
            state_prefix = str(values.get("HIROBA_STATE_PREFIX") or "")
            previous = Path(reused) if reused else None
            listings_api(pelican).index_full(
                output_dir, state_prefix, settings.pagefind_binary, previous
            )
            output_check.check_tree(settings, output_dir, output_check.SEARCH_FOLDERS)
    except Exception as exc:  # any exception from Pelican or the theme is a failed build
        collector.lines.append(f"EXCEPTION: {type(exc).__name__}: {exc}")
        collector.errors += 1
    finally:
        pelican_logger.removeHandler(collector)
    text = "\n".join(collector.lines)
    if collector.errors:
        raise BuildFailed(text or "the build failed")
    return BuildResult(output_dir, time.perf_counter() - started, text)


def full_build(settings: Settings, out: Path, cold: bool = False) -> BuildResult:
    """Run a full build that also saves the state the incremental publisher starts from;
    cold: reuse nothing of the live build (every page rendered, Pagefind run)."""
    stats = tree.scan_posts(settings.content_dir)
    extra: dict[str, object] = {"HIROBA_REUSE": None} if cold else {}
    return build_site(
        settings,
        out,
        HIROBA_STATE_PREFIX=str(tree.state_prefix(out)),
        HIROBA_FINGERPRINT=tree.fingerprint(settings),
        HIROBA_SOURCE_STATS=stats,
        **extra,
    )


def full_build_setting_aside(rt: Runtime, out: Path, cold: bool = False) -> BuildResult:
    """Run a full build; when it fails because of post files, set them aside and retry."""
    settings, notes = rt.settings, list[str]()
    for _ in range(setaside.MAX_ROUNDS):
        try:
            result = full_build(settings, out, cold)
        except BuildFailed as exc:
            culprits = setaside.culprits(rt, str(exc))
            if not culprits:
                raise BuildFailed("\n".join([*notes, str(exc)])) from None
            ids = setaside.set_aside(settings, culprits)
            notes.append(f"set aside post(s) {ids}, which broke the build:\n{str(exc)[-3000:]}")
            tree.remove_build(out)
            out.mkdir(parents=True)
        else:
            return BuildResult(out, result.seconds, "\n".join([*notes, result.log]).strip())
    return full_build(settings, out, cold)


def prepare_spare(settings: Settings, live: Path) -> None:
    """Make a hard-link copy of a fresh full build for the next incremental publication.

    Copying thousands of folders takes seconds on some disks; doing it here, after the
    switch, keeps that cost off the path from an approval to the live site.
    """
    if settings.keep_builds < 2 or tree.load_signatures(live) is None:
        return
    spare = new_build_dir(settings, 0)
    spare.rmdir()
    try:
        tree.link_copy(live, spare)
        shutil.copyfile(tree.signatures_path(live), tree.signatures_path(spare))
        if tree.search_path(live).exists():  # same Pagefind index: no relinking later
            shutil.copyfile(tree.search_path(live), tree.search_path(spare))
    except OSError as exc:
        log.warning("could not prepare a spare build folder (%s)", exc)
        tree.remove_build(spare)


def new_build_dir(settings: Settings, rev: int) -> Path:
    """Return a fresh, empty folder for one build."""
    path = tree.build_folder_path(settings, rev)
    path.mkdir(parents=True)
    return path
