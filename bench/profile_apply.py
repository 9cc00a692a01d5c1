"""Where one application's time goes: cProfile over N apply POSTs through Flask's test
client, against a private redis-server and a real database (SQLite, or PostgreSQL on
127.0.0.1:5432 / HIROBA_BENCH_PG), with the round trips each POST makes.

    .venv/bin/python bench/profile_apply.py [--database sqlite|postgresql] [--posts 300]
        [--top 40] [--save apply.prof] [--cpu | --plain]

It prints wall and CPU milliseconds per POST (profiled: the profiler's overhead
included), the round trips per POST (Redis sends, database statements and transaction
commands, pings), then the cumulative profile of the intake's own functions. With --cpu
the profile counts CPU time (time.process_time) instead of wall time, so waits on Redis,
the database and the disk drop out of it and what is left is this process's own work.
With --plain nothing is profiled: only the milliseconds per POST and the round trips
(counted by a profile of 20 more POSTs after the timed ones).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from apply_rush import CSRF, RUSH_ENV, STARTED, applicant_data, rush_instance  # noqa: E402
from bench_apply import database  # noqa: E402
from scratch_instance import scratch_folder  # noqa: E402

# (what is counted, how the profile names the function)
ROUND_TRIPS = (
    ("redis sends", "<method 'sendall' of '_socket.socket' objects>", ""),
    ("sqlite statements", "<method 'execute' of 'sqlite3.Cursor' objects>", ""),
    ("psycopg statements", "execute", "psycopg/cursor.py"),
    ("psycopg BEGIN/COMMIT/ROLLBACK", "_exec_command", "psycopg/_connection_base.py"),
    ("pings", "do_ping", ""),
    ("open_event", "open_event", ""),
)


def per_post(stats: pstats.Stats, posts: int) -> dict[str, float]:
    found: dict[str, float] = {}
    for (path, _line, name), (_cc, calls, *_rest) in stats.stats.items():  # type: ignore[attr-defined]
        for label, function, where in ROUND_TRIPS:
            if name == function and path.endswith(where):
                found[label] = found.get(label, 0) + calls / posts
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--save", default="")
    parser.add_argument("--cpu", action="store_true", help="profile CPU time, not wall time")
    parser.add_argument("--plain", action="store_true", help="time without the profiler")
    args = parser.parse_args()
    with (
        scratch_folder("hiroba-profile-apply-") as (folder, redis_url),
        database(args.database, folder) as url,
    ):
        if url is None:
            return 1
        _env, rt, post_id = rush_instance(folder, url, redis_url, 100)
        from intake.web import create_app

        app = create_app(rt.settings, runtime=rt)
        url_path = f"/app/events/{post_id}/apply"
        forms = []
        counted = 20 if args.plain else args.posts  # the POSTs the profile sees
        for n in range(50 + args.posts + (counted if args.plain else 0)):  # 50 warm up
            client = app.test_client()
            html = client.get(url_path).get_data(as_text=True)
            csrf, started = CSRF.search(html), STARTED.search(html)
            assert csrf and started, "the form lacks its hidden fields"
            forms.append((client, {**applicant_data(n), "csrf_token": csrf.group(1),
                                   "started": started.group(1)}))  # fmt: skip
        time.sleep(float(RUSH_ENV["HIROBA_APPLY_MIN_SECONDS"]) + 0.2)
        profile = cProfile.Profile(time.process_time) if args.cpu else cProfile.Profile()
        for i, (client, data) in enumerate(forms):
            if i == 50:
                wall, cpu = time.perf_counter(), time.process_time()
                if not args.plain:
                    profile.enable()
            if i == 50 + args.posts:
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                profile.enable()  # --plain: these only count the round trips
            status = client.post(url_path, data=data).status_code
            assert status == 302, status
        profile.disable()
        if not args.plain:
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        rt.close()
    how = "not profiled" if args.plain else "profiled, CPU timer" if args.cpu else "profiled"
    print(f"# {args.database}: {args.posts} POSTs, {wall / args.posts * 1000:.2f} ms wall, "
          f"{cpu / args.posts * 1000:.2f} ms CPU per POST ({how})")  # fmt: skip
    stats = pstats.Stats(profile)
    trips = per_post(stats, counted)
    print("# per POST: " + ", ".join(f"{k} {v:.2f}" for k, v in sorted(trips.items())))
    if args.save:
        stats.dump_stats(args.save)
    if args.plain:
        return 0
    stats.sort_stats("cumulative").print_stats(r"intake/", args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
