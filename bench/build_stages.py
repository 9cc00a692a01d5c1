"""Where a full build's time goes, by stage: one `hiroba build` in this process.

Runs the same full build as `hiroba build` (worker/build/full.py's build_site, then the
switch) over an instance kept by `bench_build.py --keep`, with Pelican's child process run
in this process so one clock sees it all. Each stage is timed exclusively (a stage nested
in another, such as Jinja rendering inside a listing, is not counted twice):

    .venv/bin/python bench/build_stages.py /tmp/hiroba-bench-build-XXXX [--cprofile out.prof]

Stages: reading Markdown (Pelican's readers, Markdown parsing), sanitizing (nh3 and the
metadata check), Jinja rendering per template (both languages), writing (the writer's
files and the data files), planning the listings, feeds / calendars / search JSON /
sitemap (the data renderers), Pagefind, the output checks and the switch. "other" is
the rest of the wall time (Pelican's generators, signals, contexts, state saving).
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import importlib
import os
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

TOTALS: dict[str, float] = defaultdict(float)
COUNTS: dict[str, int] = defaultdict(int)
_STACK: list[list[Any]] = []  # [stage, started, time spent in nested stages]


def _timed(stage: Any, func: Any) -> Any:
    """Wrap func so its exclusive time adds up under stage (a name, or a function of the
    call's arguments returning one)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        name = stage(*args, **kwargs) if callable(stage) else stage
        frame = [name, time.perf_counter(), 0.0]
        _STACK.append(frame)
        try:
            return func(*args, **kwargs)
        finally:
            _STACK.pop()
            spent = time.perf_counter() - frame[1]
            TOTALS[name] += spent - frame[2]
            COUNTS[name] += 1
            if _STACK:
                _STACK[-1][2] += spent

    return wrapper


def _patch(owner: Any, attr: str, stage: Any) -> None:
    setattr(owner, attr, _timed(stage, getattr(owner, attr)))


def instrument(processes: int) -> None:
    """Wrap the build's stages (the plugins are imported the way Pelican imports them)."""
    import jinja2
    import markdown
    from pelican import readers, writers

    from worker.build import child, full, output_check, switch

    _patch(readers.Readers, "read_file", "read: Pelican reader (files, metadata)")
    _patch(markdown.Markdown, "convert", "read: Markdown -> HTML")
    _patch(jinja2.Template, "render", lambda self, *a, **k: f"render: {self.name}")
    _patch(writers.Writer, "_open_w", "write: open")
    child.run_in_child = lambda func: func()  # one process, one clock
    full.run_in_child = child.run_in_child
    if hasattr(full, "render_processes"):  # by default rendered here: one process, one clock
        full.render_processes = lambda: processes  # type: ignore[attr-defined]
    _patch(output_check, "check_inputs", "checks: inputs")
    _patch(output_check, "check_tree", "checks: output tree")
    _patch(switch, "switch_live", "switch")
    _patch(full, "prepare_spare", "switch: spare copy")

    from intake.installation import resources

    plugins = resources.pelicanconf().parent / "plugins"
    sys.path.insert(0, str(plugins))  # Pelican imports the plugins by these names
    # ... or, with a checkout on PYTHONPATH (to profile that checkout's code), as
    # namespace plugins: pelican.plugins.*.
    from pelican.plugins._utils import get_namespace_plugins

    space = "pelican.plugins." if get_namespace_plugins() else ""
    i18n_writer = importlib.import_module(space + "i18n.writer")
    listings = importlib.import_module(space + "listings")
    output = importlib.import_module(space + "listings.output")
    sanitize = importlib.import_module(space + "sanitize")

    _patch(sanitize, "sanitize_content", "sanitize (nh3, metadata)")
    _patch(listings, "plan", "listings: plan")
    _patch(listings, "save_state", "listings: save state")
    for name, func in list(output.DATA_RENDERERS.items()):
        output.DATA_RENDERERS[name] = _timed(f"data: {name}", func)
    _patch(output, "write_bytes", "write: data files")
    _patch(listings, "index_site", "pagefind")
    _patch(i18n_writer.BilingualWriter, "write_file", "write: writer (context, files)")
    if hasattr(i18n_writer, "render_in_processes"):
        i18n_writer.render_in_processes = _timed("render_in_processes (children, wall)",
                                                 i18n_writer.render_in_processes)  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="an instance kept by bench_build.py --keep")
    parser.add_argument("--cprofile", type=Path, help="also write cProfile's statistics here")
    parser.add_argument("--processes", type=int, default=1,
                        help="render in this many processes (the stages then count only "
                        "this one's share: the rest is in 'render_in_processes')")  # fmt: skip
    parser.add_argument("--out", type=Path, help="build into this folder (kept)")
    args = parser.parse_args()
    home = args.folder / "instance"
    os.environ["HIROBA_HOME"] = str(home)
    os.environ.setdefault("HIROBA_REDIS_PREFIX", "bench")
    instrument(args.processes)
    from intake.config import Settings
    from worker.build import full, switch

    settings = Settings.from_env(os.environ)
    out = args.out or full.new_build_dir(settings, 999_999)
    out.mkdir(parents=True, exist_ok=True)
    profiler = cProfile.Profile() if args.cprofile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    full.full_build(settings, out)
    if not args.out:
        switch.switch_live(settings, out)
    if profiler:
        profiler.disable()
        profiler.dump_stats(str(args.cprofile))
    wall = time.perf_counter() - started
    accounted = sum(TOTALS.values())
    TOTALS["other (generators, contexts, signals)"] = wall - accounted
    print(f"{'stage':46} {'s':>8} {'share':>6} {'calls':>7}")
    for name, seconds in sorted(TOTALS.items(), key=lambda kv: -kv[1]):
        print(f"{name:46} {seconds:8.2f} {seconds / wall:6.1%} {COUNTS.get(name, 0):7}")
    print(f"{'wall':46} {wall:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
