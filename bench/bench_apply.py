"""A rush on one event through the real HTTP stack: 2,000 applications for 100 places.

For each database (SQLite, and PostgreSQL when one answers on 127.0.0.1:5432 or
HIROBA_BENCH_PG names one), a throw-away instance gets its own redis-server, one live
event with a waiting list, and gunicorn serving the intake app with several workers.
Every applicant opens the form, then all applications are sent at once. The stored
rows must show exactly `places` people confirmed, the rest waiting in arrival order,
nothing lost or duplicated, and no answer but the redirect to the confirmation. The
same number of requests at once to a bare Flask endpoint (same gunicorn settings)
gives the yardstick: ratio = apply rps / bare rps. One `RESULT ...` line per database;
the last line is the last database's.

    .venv/bin/python bench/bench_apply.py [--applications 2000] [--places 100] [--workers 4]
        [--threads 8]

Both endpoints are served as `hiroba web` serves (gunicorn's gthread workers, --threads
per worker; --threads 1 is the sync worker).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import apply_rush  # noqa: E402
from apply_rush import check, fire, fire_bare, percentile, rush_instance  # noqa: E402
from scratch_instance import scratch_folder  # noqa: E402

from intake.cli.running import DEFAULT_THREADS  # noqa: E402

PG_ADMIN_URL = os.environ.get("HIROBA_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextlib.contextmanager
def database(kind: str, folder: Path) -> Iterator[str | None]:
    """Yield a fresh database URL of kind, or None when that database is not available."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'instance' / 'hiroba.db'}"
        return
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=2, autocommit=True) as conn:
            name = f"hiroba_bench_{uuid.uuid4().hex[:10]}"
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # noqa: BLE001 - any failure means "no PostgreSQL here"
        print(f"# postgresql skipped: {type(exc).__name__}")
        yield None
        return
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(kind: str, args: argparse.Namespace) -> str | None:
    with (
        scratch_folder(f"hiroba-bench-apply-{kind}-") as (folder, redis_url),
        database(kind, folder) as url,
    ):
        if url is None:
            return None
        env, rt, post_id = rush_instance(folder, url, redis_url, args.places)
        web, port = apply_rush.start_gunicorn(
            "intake.web:create_app()", env, args.workers, folder, args.threads
        )
        try:
            applicants, seconds = fire(port, post_id, args.applications)
        finally:
            apply_rush.stop(web)
        bare, bare_port = apply_rush.start_gunicorn(
            "bench.bare_app:app", env, args.workers, folder, args.threads
        )
        try:
            fire_bare(bare_port, 200)  # warm-up
            bare_latencies, bare_seconds = fire_bare(bare_port, args.applications)
        finally:
            apply_rush.stop(bare)
        result = check(rt, post_id, applicants, args.places)
        rt.close()
    latencies = [a.seconds for a in applicants if a.status == 302]
    rps = args.applications / seconds
    bare_rps = args.applications / bare_seconds
    stored = "" if result.commits is None else f", stored by {result.commits} commits"
    print(f"# {kind}: statuses {dict(result.statuses)}, out of order {result.out_of_order}{stored}")
    print(
        f"# {kind}: apply {rps:.0f} req/s p50 {percentile(latencies, 0.5) * 1000:.0f} ms "
        f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms; bare Flask {bare_rps:.0f} req/s "
        f"p50 {percentile(bare_latencies, 0.5) * 1000:.0f} ms "
        f"p99 {percentile(bare_latencies, 0.99) * 1000:.0f} ms "
        f"({args.workers} workers, {args.threads} threads each)"
    )
    return (
        f"RESULT applications={result.applications} places={result.places} "
        f"confirmed={result.confirmed} waiting={result.waiting} lost={result.lost} "
        f"duplicated={result.duplicated + result.out_of_order} errors={result.errors} "
        f"rps={rps:.0f} p99_ms={percentile(latencies, 0.99) * 1000:.0f} "
        f"ratio={rps / bare_rps:.2f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--applications", type=int, default=2000)
    parser.add_argument("--places", type=int, default=100)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    lines = []
    for kind in args.databases.split(","):
        line = run(kind, args)
        if line:
            print(f"# {kind}: {line}")
            lines.append(line)
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
