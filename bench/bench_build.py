"""A full `hiroba build` against plain Pelican over the same Markdown files.

Sets up a throw-away instance (its own redis-server, SQLite, content and site folders)
and writes N fictional published events with bench_publish's seeding. Then, alternating,
N pairs of: `hiroba build` (the whole bilingual site: pages, listings, calendars, feeds,
search, switched live) and plain Pelican 4 (`python -m pelican content/posts`, its
default theme and default settings, one language) into a fresh folder. Each build runs
in its own process session; its peak memory is the largest sum, over a run, of the
proportional set size (PSS) of every process of that session (Pagefind included),
sampled every 50 ms from /proc, so pages shared by forked workers count once. Prints the
medians as `RESULT ...` last.

    .venv/bin/python bench/bench_build.py [--events 10000] [--pairs 3] [--keep]
        [--base CHECKOUT]

--base CHECKOUT also runs `hiroba build` with another checkout's code (say a worktree of
main) before each pair, over the same instance and in the same time window, and adds its
median time and peak to the RESULT line (base_s, base_peak_mib, speedup = base_s /
hiroba_s): on a shared machine only figures measured side by side compare.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench_publish import make_accounts, seed_published  # noqa: E402
from scratch_instance import make_instance, scratch_folder  # noqa: E402

POLL_S = 0.05


def _session_of(pid: str) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return None
    # comm may hold spaces: the fields after its closing parenthesis are fixed.
    fields = stat[stat.rindex(b")") + 2 :].split()
    return int(fields[3])  # state, ppid, pgrp, session


def _pss_kib(pid: str) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def session_pss_kib(session: int) -> int:
    """Return the summed PSS of every process in the session, in KiB."""
    total = 0
    for pid in os.listdir("/proc"):
        if pid.isdigit() and _session_of(pid) == session:
            total += _pss_kib(pid)
    return total


def _children_cpu_s() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def timed_run(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, float]:
    """Run argv in a new session; return (seconds, peak MiB of the session's summed PSS,
    CPU seconds of the process and every descendant it waited for)."""
    peak = [0]
    cpu = _children_cpu_s()
    started = time.perf_counter()
    process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, start_new_session=True)  # fmt: skip
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], session_pss_kib(process.pid))
            done.wait(POLL_S)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    _out, err = process.communicate()
    seconds = time.perf_counter() - started
    cpu = _children_cpu_s() - cpu
    done.set()
    poller.join()
    if process.returncode != 0:
        raise SystemExit(f"{argv[:3]} failed ({process.returncode}):\n{err.decode()[-3000:]}")
    return seconds, peak[0] / 1024, cpu


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # run the clean-up below (redis-server, the folder)


def main() -> int:
    signal.signal(signal.SIGTERM, _stop)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the instance folder")
    parser.add_argument("--base", type=Path, help="another checkout to build with, for A/B")
    args = parser.parse_args()
    with scratch_folder("hiroba-bench-build-", keep=args.keep) as (folder, redis_url):
        home = folder / "instance"
        env = dict(os.environ, HIROBA_HOME=str(home), HIROBA_REDIS_URL=redis_url,
                   HIROBA_REDIS_PREFIX="bench")  # fmt: skip
        os.environ.update(env)
        home.mkdir(parents=True)
        (home / "hiroba.toml").write_text("[publishing]\nnightly_build = false\n")
        rt = make_instance(env)
        settings = rt.settings
        _moderator, groups = make_accounts(rt)
        started = time.perf_counter()
        seed_published(rt, groups, args.events, random.Random(4))
        print(f"seeded {args.events} events in {time.perf_counter() - started:.1f} s", flush=True)
        posts = settings.content_dir / "posts"
        hiroba = [str(Path(sys.executable).with_name("hiroba")), "build"]
        plain_out, plain_cwd = folder / "pelican-output", folder / "pelican-cwd"
        plain_cwd.mkdir()  # no pelicanconf.py there: Pelican's default settings
        pelican = [sys.executable, "-m", "pelican", str(posts), "-o", str(plain_out), "-q"]
        runs: dict[str, list[tuple[float, float, float]]] = {"hiroba": [], "pelican": [],
                                                             "base": []}  # fmt: skip
        # Only the base's build gets its code first on the path: Pelican would also find
        # the checkout's plugins as pelican.plugins.* (a namespace package) in plain runs.
        base_env = dict(env, PYTHONPATH=str(args.base.resolve())) if args.base else env
        for n in range(args.pairs):
            if args.base:
                runs["base"].append(timed_run(hiroba, base_env, args.base))
                b_s, b_mib, b_cpu = runs["base"][-1]
                print(f"pair {n + 1}: base hiroba {b_s:.1f} s {b_mib:.0f} MiB cpu {b_cpu:.1f} s",
                      flush=True)  # fmt: skip
            runs["hiroba"].append(timed_run(hiroba, env, REPO))
            shutil.rmtree(plain_out, ignore_errors=True)
            runs["pelican"].append(timed_run(pelican, env, plain_cwd))
            (h_s, h_mib, h_cpu), (p_s, p_mib, p_cpu) = runs["hiroba"][-1], runs["pelican"][-1]
            print(f"pair {n + 1}: hiroba {h_s:.1f} s {h_mib:.0f} MiB cpu {h_cpu:.1f} s, "
                  f"pelican {p_s:.1f} s {p_mib:.0f} MiB cpu {p_cpu:.1f} s", flush=True)  # fmt: skip
        live = settings.live_dir.resolve()
        files = sum(1 for p in live.rglob("*") if p.is_file())
        plain = sum(1 for p in plain_out.rglob("*") if p.is_file())
        print(f"files written: hiroba {files}, pelican {plain}")

        def median(kind: str, field: int) -> float:
            return statistics.median(run[field] for run in runs[kind])

        h_s, h_mib, h_cpu = (median("hiroba", i) for i in range(3))
        p_s, p_mib, p_cpu = (median("pelican", i) for i in range(3))
        base = ""
        if args.base:
            b_s, b_mib, b_cpu = (median("base", i) for i in range(3))
            base = (f" base_s={b_s:.1f} base_peak_mib={b_mib:.0f} speedup={b_s / h_s:.2f}"
                    f" base_cpu_s={b_cpu:.1f} cpu_speedup={b_cpu / h_cpu:.2f}")  # fmt: skip
        # CPU seconds (the build and every process it waited for) tell more than wall time
        # on a machine other work loads: they are what the build itself used.
        print(f"RESULT events={args.events} hiroba_s={h_s:.1f} pelican_s={p_s:.1f} "
              f"ratio={h_s / p_s:.2f} hiroba_peak_mib={h_mib:.0f} "
              f"pelican_peak_mib={p_mib:.0f}{base} hiroba_cpu_s={h_cpu:.1f} "
              f"pelican_cpu_s={p_cpu:.1f} cpu_ratio={h_cpu / p_cpu:.2f}")  # fmt: skip
        return 0


if __name__ == "__main__":
    sys.exit(main())
