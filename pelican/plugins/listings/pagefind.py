"""Full-text search: run Pagefind (its binary ships in the pagefind-bin-extended wheel)
over a finished output folder, writing <output>/pagefind/.

Only pages marked ``data-pagefind-body`` (posts and group pages) are indexed; the
extended binary segments Japanese, which has no spaces between words. The folder is
removed first and written afresh, so a hard-linked copy of the live site is never
written through. Pagefind's ready-made UI files are dropped: the theme's search page
uses the small ``pagefind.js`` API with its own accessible form.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

OUTPUT_SUBDIR = "pagefind"
# The only pages marked data-pagefind-body: posts ({category}/{slug}/index.html) and group
# pages (groups/<id>/index.html), and their copies in another language (en/…, the English
# index). Pagefind reads no deeper file: the calendars' days and the listings' pages cost it
# time and are never indexed (tests/test_site_languages.py checks every marked page matches).
PAGES = "{*/*,*/*/*}/index.html"
# Pagefind runs once per language, each over that language's part of PAGES: its extended
# binary loads the Japanese dictionary (~330 MiB) for the Japanese pages only, and holds one
# language's pages at a time, so the peak is the larger run's, not both added (at 2,000
# events 432 MiB instead of 478 MiB). Their pagefind-entry.json files are merged.
LANGUAGE_RUNS = ("*/*/index.html", "en/*/*/index.html")
ENTRY = "pagefind-entry.json"
UNUSED = ("pagefind-ui.*", "pagefind-modular-ui.*", "pagefind-component-ui.*",
          "pagefind-highlight.js")  # fmt: skip


class SearchIndexFailed(Exception):
    """Pagefind could not index the site."""


def executable(binary: str = "") -> str:
    """Return binary, or else the path of the Pagefind binary installed with the Python
    package."""
    if binary:
        return binary
    from pagefind_bin_extended import get_executable  # type: ignore[import-untyped]

    return str(get_executable())


def _lower_priority() -> None:
    os.nice(10)


def index_site(output_path: str, background: bool = False, binary: str = "") -> None:
    """Write the Pagefind index of the site in output_path.

    background runs Pagefind at a lower CPU priority (the worker's re-index job), so
    approvals published meanwhile keep their speed; binary: see executable. An exception
    raised while it runs (a signal handler's, when the worker is asked to stop) kills
    Pagefind before it propagates (subprocess.run does).
    """
    target = Path(output_path) / OUTPUT_SUBDIR
    shutil.rmtree(target, ignore_errors=True)
    languages: dict[str, object] = {}
    entry: dict[str, object] = {}
    for glob in LANGUAGE_RUNS:
        if not (Path(output_path) / glob.partition("*")[0]).is_dir():
            continue  # a site without that language
        _run(output_path, glob, background, binary)
        entry = json.loads((target / ENTRY).read_text(encoding="utf-8"))
        languages.update(entry.get("languages") or {})  # type: ignore[call-overload]
    entry["languages"] = dict(sorted(languages.items()))
    (target / ENTRY).write_text(
        json.dumps(entry, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
    )
    for pattern in UNUSED:
        for path in target.glob(pattern):
            path.unlink()


def _indexed(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for glob in LANGUAGE_RUNS for p in root.glob(glob))


def _same_file(one: Path, other: Path) -> bool:
    a, b = one.stat(), other.stat()
    if (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino):  # linked from there (i18n/reuse.py)
        return True
    return a.st_size == b.st_size and one.read_bytes() == other.read_bytes()


def reuse_index(output_path: str, previous: str, fresh: bool) -> bool:
    """Copy previous's Pagefind index into output_path when it indexes exactly the pages
    Pagefind would read here: fresh (its index was written by Pagefind over that folder's
    pages and not changed since) and every page the runs' globs match the same bytes.
    True when copied; False (nothing written) when Pagefind has to run.

    Pagefind holds the same pages, text, filters and metadata whichever of two runs over
    the same pages wrote it (only the order of its filter chunks varies), and the Japanese
    dictionary it loads costs seconds and some 330 MiB: an unchanged site skips both.
    """
    here, there = Path(output_path), Path(previous)
    source = there / OUTPUT_SUBDIR
    if not fresh or not (source / ENTRY).is_file():
        return False
    try:
        pages = _indexed(here)
        if pages != _indexed(there) or not all(_same_file(here / p, there / p) for p in pages):
            return False
        target = here / OUTPUT_SUBDIR
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target, symlinks=False)  # copies: nothing shared to write through
    except OSError:  # the previous folder went away meanwhile: Pagefind runs
        shutil.rmtree(here / OUTPUT_SUBDIR, ignore_errors=True)
        return False
    return True


def _run(output_path: str, glob: str, background: bool, binary: str) -> None:
    """Run Pagefind over the pages glob matches, into output_path/OUTPUT_SUBDIR."""
    argv = [executable(binary), "--site", output_path, "--output-subdir", OUTPUT_SUBDIR, "--quiet",
            "--glob", glob]  # fmt: skip
    done = subprocess.run(  # noqa: S603 - our own binary, fixed arguments
        argv,
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=_lower_priority if background else None,  # noqa: PLW1509 - only os.nice
    )
    if done.returncode != 0:
        raise SearchIndexFailed((done.stderr or done.stdout).strip()[-2000:])
