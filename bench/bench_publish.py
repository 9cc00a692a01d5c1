"""Approval-to-live latency with 10,000 published events, against a full rebuild.

Sets up a throw-away instance (its own redis-server, SQLite, content and site folders),
writes N fictional published events spread over 24 months, 分野 and 地域, runs one full
build (full_s), starts the real worker (`python -m worker run`), then approves new events
one at a time through the moderation service and measures, for each, the time from the
approval's commit until site/current holds its page, its month listings, calendar month,
feeds, search index entry, full-text search entry (search/delta.json) and sitemap entry.
Then waits for the follow-up Pagefind re-index and reports it. Prints `RESULT ...` last.
With --publish s3 the site is published to a bucket of a private moto S3 server
(HIROBA_PUBLISH_URL=s3://…) and an approval counts as live once the bucket holds it all;
the baseline of that run is moto itself: the same number of bare PUTs as a publication
makes, on the same server, client and threads (`put_s`, and p95 over it as `put_ratio`).
--profile then publishes one more approval in this process under cProfile and prints
where its build (and publication) spent their time. The RESULT line also gives the
worker's peak memory (worker_peak_mib: the worker process or its largest child, each
job's work-horse included) and the size of the live build's saved state (state_mib).

    make bench-publish EVENTS=50000
    .venv/bin/python bench/bench_publish.py [--events 10000] [--approvals 30] [--publish s3]
        [--profile]
    .venv/bin/python bench/bench_publish.py --full-only --cache reader   # caching figures
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import json
import math
import os
import random
import re
import resource
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from moto_bucket import Reader, start_moto  # noqa: E402
from scratch_instance import make_instance, scratch_folder  # noqa: E402

from intake.accounts.services import PersonData, Registration, create_staff, register  # noqa: E402
from intake.models import Post  # noqa: E402
from intake.moderation import decisions as post_decisions  # noqa: E402
from intake.moderation import services as moderation  # noqa: E402
from intake.posts.services import PostData, submit_post  # noqa: E402
from intake.runtime import Runtime  # noqa: E402
from intake.store import transaction  # noqa: E402
from intake.taxonomy import AREAS, TOPICS  # noqa: E402

EMPTY_DELTA = b'{"items":[],"removed_ids":[],"removed_urls":[]}\n'
PAGEFIND_S = re.compile(r"search re-index \(Pagefind ([0-9.]+) s\)")
PUBLISHED = re.compile(r"uploaded=(\d+) .* deleted=(\d+) unchanged=\d+ in ([0-9.]+) s")
PLACES = [
    "区民センター 集会室",
    "地域センター 多目的室",
    "公園 広場",
    "図書館 会議室",
    "小学校 体育館",
]


def fictional(rng: random.Random, n: int, today: date) -> PostData:
    """A fictional event somewhere in 24 months from 5 months ago (the worker archives
    events over for 180 days: none of these is, so the site keeps all of them)."""
    topic, area = rng.choice(list(TOPICS)), rng.choice(list(AREAS))
    day = today - timedelta(days=150) + timedelta(days=rng.randrange(730))
    start = datetime.combine(day, datetime.min.time()) + timedelta(hours=rng.randrange(9, 19))
    days = rng.choice([0] * 8 + [1, 2])
    return PostData(
        kind="event",
        title=f"{AREAS[area]}の{TOPICS[topic]}の集い 第{n}回",
        summary=f"{AREAS[area]}地域で{TOPICS[topic]}について話し合う集まりです（{n}）。",
        body=(
            f"## 内容\n\n{TOPICS[topic]}の活動紹介と意見交換。\n\n"
            "- 持ち物：筆記用具\n- 対象：区内在住・在勤の方\n"
        ),
        starts_at=start,
        ends_at=start + timedelta(days=days, hours=2),
        place_name=rng.choice(PLACES),
        topic=topic,
        area=area,
        fee="無料",
    )


def make_accounts(rt: Runtime) -> tuple[int, list[int]]:
    moderator = create_staff(rt, "moderator", "bench-moderator", "bench-password-1", "運営")
    groups = []
    for g in range(5):
        group = register(
            rt,
            Registration(
                kind="group", login=f"bench-group-{g}", password="bench-password-1",
                public_name=f"ベンチ団体{g}",
                persons={"representative": PersonData(name=f"架空 {g}郎",
                                                      email=f"g{g}@example.test")},
            ),
        )  # fmt: skip
        moderation.decide_account(rt, moderator, group, approve=True)
        groups.append(group)
    return moderator, groups


def seed_published(rt: Runtime, groups: list[int], count: int, rng: random.Random) -> None:
    """Write count approved events to the database and their Markdown files (setup only)."""
    import hashlib

    from worker.content.posts import post_path, render

    today = date.today()
    (rt.settings.content_dir / "posts").mkdir(parents=True, exist_ok=True)
    with transaction(rt.sessions) as session:
        posts = []
        for n in range(count):
            data = fictional(rng, n, today)
            approved = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=count - n)
            posts.append(Post(account_id=groups[n % len(groups)], status="approved",
                              created_at=approved, updated_at=approved, approved_at=approved,
                              **vars(data)))  # fmt: skip
        session.add_all(posts)
        session.flush()
        for post in posts:
            text = render(post)
            post_path(rt.settings.content_dir, post.id).write_text(text, encoding="utf-8")
            post.published_hash = hashlib.sha256(text.encode()).hexdigest()


def full_build(rt: Runtime) -> float:
    from worker.build.revisions import request_rebuild
    from worker.build.switch import build_and_switch

    with transaction(rt.sessions) as session:
        rev = request_rebuild(session)
    started = time.perf_counter()
    record = build_and_switch(rt, rev, full=True)
    if record.status != "ok":
        raise SystemExit(record.log)
    return time.perf_counter() - started


def live_checks(post_id: int, post: PostData) -> list[tuple[str, str]]:
    """Return (file, text it must hold) for every place the live site shows the post."""
    url = f"/events/{post_id}/"
    start = post.starts_at
    assert start is not None
    month = f"{start.year:04d}/{start.month:02d}"
    return [
        (f"events/{post_id}/index.html", post.title),
        (f"events/{month}/index.html", url),
        (f"topics/{post.topic}/{month}/index.html", url),
        (f"areas/{post.area}/{month}/index.html", url),
        (f"calendar/{month}/index.html", url),
        ("feeds/all.atom.xml", url),
        ("feeds/events.atom.xml", url),
        (f"feeds/topics/{post.topic}.atom.xml", url),
        (f"feeds/areas/{post.area}.atom.xml", url),
        ("search/index.json", f'["{post_id}",'),
        ("sitemap.xml", url),
    ]


def live_with(site: Path, post_id: int, post: PostData) -> bool:
    """Tell whether site/current shows the post everywhere it belongs."""
    root = site / os.readlink(site / "current")
    if not searchable(root, f"/events/{post_id}/"):
        return False
    for rel, needle in live_checks(post_id, post):
        try:
            if needle not in (root / rel).read_text(encoding="utf-8"):
                return False
        except FileNotFoundError:
            return False
    return True


def published_with(reader: Reader, site: Path, post_id: int, post: PostData) -> bool:
    """Tell whether the bucket shows the post everywhere it belongs (full-text search: in
    the bucket's search/delta.json, else in the Pagefind index of the host's live build)."""
    url = f"/events/{post_id}/"
    if reader.read(f"events/{post_id}/index.html") is None:
        return False
    delta = reader.read("search/delta.json") or b""
    in_delta = f'"url":"{url}"'.encode() in delta
    if not in_delta and not searchable(site / os.readlink(site / "current"), url):
        return False
    for rel, needle in live_checks(post_id, post):
        data = reader.read(rel)
        if data is None or needle.encode() not in data:
            return False
    return True


def searchable(root: Path, url: str) -> bool:
    """Tell whether full-text search finds url: in search/delta.json (published since the
    last Pagefind run), else in the Pagefind index (the build's saved fragment map)."""
    try:
        if f'"url":"{url}"'.encode() in (root / "search" / "delta.json").read_bytes():
            return True
        state = json.loads(root.with_name(root.name + ".search.json").read_bytes())
    except (OSError, ValueError):
        return False
    return url.lstrip("/") + "index.html" in state.get("fragments", {})


def wait_ingested(rt: Runtime, post_id: int) -> None:
    """Wait until the worker has taken the submitted post into the moderation queue."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with rt.sessions() as session:
            post = session.get(Post, post_id)
            if post is not None and post.status != "received":
                return
        time.sleep(0.02)
    raise SystemExit(f"post {post_id} was not ingested within 120 s (is the worker running?)")


def measure_approvals(rt: Runtime, env: dict[str, str], moderator: int, group: int,
                      count: int, rng: random.Random,
                      reader: Reader | None = None) -> tuple[list[float], float]:  # fmt: skip
    """Approve count new events one at a time; return each one's seconds until it is live
    (in the bucket when reader is given, else in site/current), and the worker's peak
    memory in MiB (its own or its largest child's: each job's work-horse, Pagefind)."""
    worker = subprocess.Popen([sys.executable, "-m", "worker", "run"], cwd=REPO, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)  # fmt: skip
    site = rt.settings.site_dir
    latencies = []
    try:
        today = date.today()
        for n in range(count):
            data = fictional(rng, 100_000 + n, today)
            post_id = submit_post(rt, group, data)
            wait_ingested(rt, post_id)  # we time the approval alone
            started = time.perf_counter()
            post_decisions.approve(rt, moderator, post_decisions.Subject("post", post_id))
            seen = ""
            while True:
                if reader is not None:
                    if published_with(reader, site, post_id, data):
                        break
                else:
                    target = os.readlink(site / "current")
                    if target != seen:
                        seen = target
                        if live_with(site, post_id, data):
                            break
                if time.perf_counter() - started > 120:
                    raise SystemExit(f"post {post_id} did not go live within 120 s")
                time.sleep(0.01 if reader is not None else 0.002)
            latencies.append(time.perf_counter() - started)
            print(f"approval {n + 1:2d}: {latencies[-1]:.3f} s", flush=True)
        report_reindex(rt)
    finally:
        peak_mib = stop_group(worker)
    return latencies, peak_mib


LEFT_GRACE_SECONDS = 2.0


def stop_group(process: subprocess.Popen[bytes]) -> float:
    """Stop the worker the bench started as a service manager does, never depending on how
    long that takes: SIGTERM to the worker alone (it stops its helpers; a re-index in
    Pagefind hands its work back), and after a minute, or for anything left running after
    it exited (a work-horse leaves the worker's process group), SIGKILL to every process
    it started, found through /proc. Return the peak resident memory in MiB of the worker
    or of any child it waited for, its work-horses included (Linux's wait4)."""
    started = _process_tree(process.pid)
    process.send_signal(signal.SIGTERM)
    usage = _reap(process, 60)
    if usage is None:
        print("worker: still running 60 s after SIGTERM; killed", flush=True)
        started |= _process_tree(process.pid)
        for pid in started:
            _signal(pid, signal.SIGSTOP)  # none forks or reaps while the tree is killed
        for pid in started:
            _signal(pid, signal.SIGKILL)
        usage = _reap(process, 30)
    left = [pid for pid in started | _process_tree(process.pid) if _alive(pid)]
    names = [_command(pid) for pid in left]  # before any kill: which helper it was
    # multiprocessing's resource tracker (started with the worker's spawned helpers) ends
    # when it reads the end of its pipe, a moment after the worker: not a leftover.
    deadline = time.monotonic() + LEFT_GRACE_SECONDS
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = [pid for pid in left if _alive(pid)]
    names = [name for name in names if int(name.split()[0]) in left]
    for pid in left:
        _signal(pid, signal.SIGKILL)
    if left:
        print(f"worker: {len(left)} process(es) left after it stopped; killed: "
              + "; ".join(names), flush=True)  # fmt: skip
    return usage.ru_maxrss / 1024 if usage is not None else math.nan  # KiB on Linux


def _reap(process: subprocess.Popen[bytes], seconds: float) -> resource.struct_rusage | None:
    """Wait up to seconds for the process to end; return its rusage (None: still running)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return usage
        time.sleep(0.1)
    return None


def _process_tree(pid: int) -> set[int]:
    """Return pid and every live descendant of it, read from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = {pid}, [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _command(pid: int) -> str:
    """Return a process's command line (its pid when it is gone)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return str(pid)
    return f"{pid} " + raw.replace(b"\0", b" ").decode(errors="replace").strip()[:160]


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
        os.kill(pid, signum)


def state_mib(rt: Runtime) -> float:
    """Return the size in MiB of the live build's saved state (every file beside it)."""
    live = rt.settings.live_dir.resolve()
    files = [p for p in live.parent.glob(glob.escape(live.name) + ".*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 2**20


def report_reindex(rt: Runtime) -> None:
    """Wait until search is served by Pagefind alone again (the follow-up re-index ran after
    the last approval), and print what the re-index runs took."""
    from sqlalchemy import select

    from intake.models import Build

    site = rt.settings.site_dir
    started = time.perf_counter()
    while True:
        root = site / os.readlink(site / "current")
        try:
            if (root / "search" / "delta.json").read_bytes() == EMPTY_DELTA:
                break
        except FileNotFoundError:
            pass
        if time.perf_counter() - started > 900:
            raise SystemExit("the search re-index did not finish within 900 s")
        time.sleep(0.1)
    waited = time.perf_counter() - started
    for _ in range(100):  # the build is recorded just after its switch
        with rt.sessions() as session:
            rows = session.execute(select(Build.duration_s, Build.log)).all()
        runs = [(float(d or 0), text) for d, text in rows if text.startswith("search re-index")]
        if runs:
            break
        time.sleep(0.1)
    pagefind = [float(m.group(1)) for _, t in runs if (m := PAGEFIND_S.search(t))]
    print(f"search re-index runs={len(runs)} pagefind_s={','.join(f'{x:.1f}' for x in pagefind)} "
          f"switch_s={','.join(f'{d:.2f}' for d, _ in runs)}; delta empty "
          f"{waited:.1f} s after the last approval went live", flush=True)  # fmt: skip


def first_publication(rt: Runtime) -> str:
    """Return the publication line of the full build's log."""
    from sqlalchemy import select

    from intake.models import Build

    with rt.sessions() as session:
        text = session.scalars(select(Build.log).order_by(Build.id).limit(1)).one()
    return next((line for line in text.splitlines() if line.startswith("published")), "")


def incremental_builds(rt: Runtime) -> list[float]:
    """Return the recorded durations of the incremental builds."""
    return [duration for duration, _text in incremental_logs(rt)]


def incremental_logs(rt: Runtime) -> list[tuple[float, str]]:
    """Return the recorded duration and log of every incremental build."""
    from sqlalchemy import select

    from intake.models import Build

    with rt.sessions() as session:
        rows = session.execute(select(Build.duration_s, Build.log)).all()
    return [(float(d), t) for d, t in rows if d is not None and t.startswith("incremental")]


def report_publications(rt: Runtime) -> None:
    """Print what the incremental builds' publications to the bucket wrote and took."""
    found = [m for _d, t in incremental_logs(rt) if (m := PUBLISHED.search(t))]
    if found:
        uploads = sorted(int(m.group(1)) for m in found)
        seconds = [float(m.group(3)) for m in found]
        print(f"publications={len(found)} uploaded_median={uploads[len(uploads) // 2]} "
              f"uploaded_max={uploads[-1]} publish_p95_s={p95(seconds):.3f} "
              f"(part of each incremental build)")  # fmt: skip


def published_counts(rt: Runtime) -> list[int]:
    """Return how many objects each incremental build's publication uploaded."""
    return [int(m.group(1)) for _d, t in incremental_logs(rt) if (m := PUBLISHED.search(t))]


def bare_puts(rt: Runtime, count: int, rounds: int = 5) -> float:
    """The baseline of the bucket: the median seconds to PUT count of the site's pages (as
    big as a publication's) to a scratch prefix of the same moto server, with the
    publisher's client, threads and headers, and nothing else (no build, no database)."""
    from concurrent.futures import ThreadPoolExecutor

    from intake import objectstore
    from worker.publication import bucket, objects

    live = rt.settings.live_dir.resolve()
    pages = sorted(str(p.relative_to(live)) for p in (live / "events").glob("*/index.html"))
    chosen = pages[:count]
    s3, where = objectstore.client(rt.settings), rt.settings.publish_location.bucket
    times = []
    with ThreadPoolExecutor(max_workers=bucket.WORKERS) as pool:
        for n in range(rounds):
            started = time.perf_counter()

            def put(rel: str, n: int = n) -> None:
                s3.put_object(Bucket=where, Key=f"baseline/{n}/{rel}",
                              Body=(live / rel).read_bytes(),
                              ContentType=objects.content_type(rel),
                              CacheControl="public, max-age=60")  # fmt: skip

            for future in [pool.submit(put, rel) for rel in chosen]:
                future.result()
            times.append(time.perf_counter() - started)
    return sorted(times)[len(times) // 2]


def profile_one(rt: Runtime, group: int, rng: random.Random) -> None:
    """Approve one more event in this process (the worker is stopped): write its content as
    the publish job does, then build and publish it under cProfile; print the top of it."""
    import cProfile
    import inspect
    import pstats

    from worker.build.switch import build_and_switch
    from worker.jobs.posts import publish_post

    data = fictional(rng, 200_000, date.today())
    post_id = submit_post(rt, group, data)
    with transaction(rt.sessions) as session:
        post = session.get(Post, post_id)
        assert post is not None
        post.status = "approved"
        post.approved_at = datetime.now(UTC).replace(tzinfo=None)
        session.flush()
        # The job's own function (not the rq job around it); its rebuild is not queued: we build
        inspect.unwrap(publish_post)(rt, session, post_id)
    with rt.sessions() as session:
        from worker.build.revisions import site_state

        rev = site_state(session).requested_rev
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    record = build_and_switch(rt, rev)
    profiler.disable()
    line = next((ln for ln in record.log.splitlines() if ln.startswith("published")), "")
    print(f"profiled approval: {time.perf_counter() - started:.2f} s, {record.status}; {line}")
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(
        r"publication|objectstore|incremental|switch|changes|tree|state|plan|listings", 40
    )
    stats.sort_stats("tottime").print_stats(20)  # where the time itself goes
    # Call counts do not swing with the machine's load: files stat-ed, listed, hashed, sent.
    stats.sort_stats("ncalls").print_stats(r"posix\.(l?stat|scandir)|sha256|put_object|dumps", 8)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def full_only(rt: Runtime, cache: str) -> None:
    """Time a cold full build and an add-one rebuild with the given Pelican caching."""
    from worker.build.full import build_site

    extra: dict[str, object] = {}
    if cache != "off":
        extra = {"CACHE_CONTENT": True, "LOAD_CONTENT_CACHE": True,
                 "CONTENT_CACHING_LAYER": cache, "CHECK_MODIFIED_METHOD": "mtime"}  # fmt: skip
    builds = rt.settings.builds_dir
    times = []
    for n in range(2):
        if n:
            data = fictional(random.Random(n), 999_999, date.today())
            with transaction(rt.sessions) as session:
                (group,) = session.query(Post.account_id).limit(1).one()
            seed_one = submit_post(rt, group, data)
            from worker.content.posts import post_path, render

            with rt.sessions() as session:
                post = session.get(Post, seed_one)
                post.status = "approved"
                post.approved_at = datetime.now(UTC).replace(tzinfo=None)
                post_path(rt.settings.content_dir, seed_one).write_text(
                    render(post), encoding="utf-8"
                )
        started = time.perf_counter()
        build_site(rt.settings, builds / f"full-{cache}-{n}", **extra)
        times.append(time.perf_counter() - started)
    cold, add_one = times
    print(f"FULL events={count_posts(rt)} cache={cache} cold_s={cold:.1f} add_one_s={add_one:.1f}")


def bucket_workers() -> int:
    from worker.publication import bucket

    return bucket.WORKERS


def count_posts(rt: Runtime) -> int:
    return len(list((rt.settings.content_dir / "posts").glob("*.md")))


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # run the clean-up below (redis-server, the worker, the folder)


def main() -> int:
    signal.signal(signal.SIGTERM, _stop)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--approvals", type=int, default=30)
    parser.add_argument("--full-only", action="store_true", help="only time full builds")
    parser.add_argument("--cache", choices=["off", "reader", "generator"], default="off")
    parser.add_argument("--keep", action="store_true", help="keep the instance folder")
    parser.add_argument("--profile", action="store_true",
                        help="then profile one more approval in this process")  # fmt: skip
    parser.add_argument("--publish", choices=["file", "s3"], default="file",
                        help="publish to site/current, or to a moto bucket")  # fmt: skip
    args = parser.parse_args()
    with scratch_folder("hiroba-bench-", keep=args.keep) as (folder, redis_url):
        env = dict(os.environ, HIROBA_HOME=str(folder / "instance"), HIROBA_REDIS_URL=redis_url,
                   HIROBA_REDIS_PREFIX="bench", HIROBA_RECONCILE_SECONDS="30")  # fmt: skip
        return _measure(args, folder, env)


def _measure(args: argparse.Namespace, folder: Path, env: dict[str, str]) -> int:
    moto = None
    try:
        if args.publish == "s3":
            moto, bucket_env = start_moto(folder, env)
            env.update(bucket_env)
        os.environ.update(env)
        home = folder / "instance"
        home.mkdir(parents=True)
        # Approvals are what is measured: no nightly full build starting in the middle.
        (home / "hiroba.toml").write_text("[publishing]\nnightly_build = false\n")
        rt = make_instance(env)
        settings = rt.settings
        rng = random.Random(4)
        moderator, groups = make_accounts(rt)
        started = time.perf_counter()
        seed_published(rt, groups, args.events, rng)
        print(f"seeded {args.events} events in {time.perf_counter() - started:.1f} s", flush=True)
        if args.full_only:
            full_only(rt, args.cache)
            return 0
        full_s = full_build(rt)
        print(f"full build (Pelican, no cache) in {full_s:.1f} s", flush=True)
        reader = Reader(env["HIROBA_S3_ENDPOINT_URL"]) if moto is not None else None
        if reader is not None:
            print(f"published to {settings.publish_location.describe()}: "
                  f"{first_publication(rt)}", flush=True)  # fmt: skip
        latencies, peak_mib = measure_approvals(
            rt, env, moderator, groups[0], args.approvals, rng, reader
        )
        slowest = p95(latencies)
        builds = incremental_builds(rt)
        if builds:
            print(f"incremental builds={len(builds)} build_p95_s={p95(builds):.3f} "
                  f"(the worker's own time; the rest is queueing and job start-up)")  # fmt: skip
        report_publications(rt)
        print(f"approvals={len(latencies)} median_s={sorted(latencies)[len(latencies) // 2]:.3f} "
              f"max_s={max(latencies):.3f}")  # fmt: skip
        baseline = ""
        if reader is not None:
            counts = sorted(published_counts(rt)) or [40]
            put_s = bare_puts(rt, counts[len(counts) // 2])
            print(f"bare PUTs of {counts[len(counts) // 2]} pages (the median publication) to "
                  f"the same moto server, {bucket_workers()} threads: {put_s:.3f} s")  # fmt: skip
            baseline = f" put_s={put_s:.2f} put_ratio={slowest / put_s:.1f}"
        state = state_mib(rt)  # before the profiled approval below adds to nothing measured
        if args.profile:
            profile_one(rt, groups[0], rng)
        print(f"RESULT events={args.events} p95_s={slowest:.2f} full_s={full_s:.1f} "
              f"ratio={round(full_s / slowest)} worker_peak_mib={peak_mib:.0f} "
              f"state_mib={state:.1f}{baseline}")  # fmt: skip
        return 0
    finally:
        if moto is not None:
            moto.terminate()
            try:
                moto.wait(timeout=60)
            except subprocess.TimeoutExpired:
                moto.kill()


if __name__ == "__main__":
    sys.exit(main())
