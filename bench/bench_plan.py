"""The listings plan alone: a full plan against a re-plan of one new event, in process.

Builds N fictional entries (kinds, 12 分野, 10 地域, 5 対象, 300 groups of which 40 have
a public profile, some recurring, hidden and operator items) with the listings plugin's
own functions, plans the site in full, then re-plans for one new event as an approval
does (pelican/plugins/listings/replan.py) ROUNDS times, checks that the re-plan's
signatures equal a full plan's, and prints medians as `RESULT ...` last. No Pelican
build, database or worker: this isolates the plan from the rest of a publication
(`bench_publish.py` measures the whole).

    .venv/bin/python bench/bench_plan.py [--events 10000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pelican import Pelican  # noqa: E402

from intake.config import Settings  # noqa: E402
from worker.build.session import listings_api, pelican_settings  # noqa: E402

JST = ZoneInfo("Asia/Tokyo")


def _entry(listings, rng: random.Random, n: int, today: dt.date):  # type: ignore[no-untyped-def]
    kind = rng.choice(["events", "events", "recruitment", "notices"])
    start = dt.datetime.combine(today, dt.time(10)) + dt.timedelta(days=rng.randint(-400, 300))
    starts = "" if kind == "notices" else start.isoformat()
    occurrences = ""
    if starts and n % 13 == 0:
        occurrences = ";".join(
            f"{(start + dt.timedelta(days=28 * k)).isoformat()}--"
            f"{(start + dt.timedelta(days=28 * k, hours=2)).isoformat()}"
            for k in range(5)
        )
    article = SimpleNamespace(
        slug=str(n),
        category=SimpleNamespace(slug=kind),
        url=f"{kind}/{n}/",
        save_as=f"{kind}/{n}/index.html",
        status="hidden" if n % 97 == 0 else "published",
        title=f"催し{n}",
        summary=f"概要{n}",
        date=(start - dt.timedelta(days=20)).replace(tzinfo=JST),
        starts=starts,
        ends=(start + dt.timedelta(days=rng.choice([0, 0, 1, 3]))).isoformat() if starts else "",
        topic=f"t{rng.randrange(12)}",
        area=f"a{rng.randrange(10)}",
        organizer=f"団体{n % 300}",
        organizer_id=str(1 + n % 300),
        audience=",".join(sorted({f"u{rng.randrange(5)}" for _ in range(rng.randint(1, 2))})),
        occurrences=occurrences,
        operator="yes" if kind == "notices" and n % 7 == 0 else "",
    )
    return listings.entry_from_article(article, f"posts/{n}.md", f"sig{n}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="hiroba-bench-plan-"))
    try:
        return _run(folder, args.events, args.rounds)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run(folder: Path, events: int, rounds: int) -> int:
    config = Settings.from_env({"HIROBA_HOME": str(folder / "instance")})
    config.content_dir.mkdir(parents=True)
    settings = pelican_settings(config, folder / "out")
    settings["HIROBA_TOPICS"] = {f"t{i}": f"分野{i}" for i in range(12)}
    settings["HIROBA_AREAS"] = {f"a{i}": f"地域{i}" for i in range(10)}
    settings["HIROBA_AUDIENCES"] = {f"u{i}": f"対象{i}" for i in range(5)}
    listings = listings_api(Pelican(settings))  # the plugin as the worker loads it
    profile = {"text": "活動", "website": "", "contact": "", "topics": ["t1"], "areas": ["a2"]}
    groups = {str(k): dict(profile, name=f"プロフ団体{k}") for k in range(1, 41)}
    (config.content_dir / "groups.json").write_text(json.dumps({"groups": groups}))
    rng, today = random.Random(1), dt.date.today()
    gc.disable()  # as the publisher runs (incremental.publish)
    entries = [_entry(listings, rng, n, today) for n in range(events)]
    started = time.perf_counter()
    site = listings.plan_site(entries, settings, [])
    print(f"full plan of {events} entries: {time.perf_counter() - started:.3f} s, "
          f"{len(site.pages)} pages, {len(site.signatures)} tracked files")  # fmt: skip
    new = _entry(listings, rng, events, today)
    meta = {"today": site.today.isoformat(), "inputs": site.inputs}
    previous = {
        "state": dict(meta, sections=site.sections),
        "signatures": dict(meta, signatures=site.signatures),
        "members": listings.membership(entries),  # kept warm by the worker's parent
        "changed": [(None, new)],
    }
    full_s, replan_s = [], []
    for _ in range(rounds):  # alternating, so a load swing hits both
        started = time.perf_counter()
        again = listings.plan_site(iter(()), settings, [], previous)
        replan_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        full = listings.plan_site([*entries, new], settings, [])
        full_s.append(time.perf_counter() - started)
        assert again.replanned and again.signatures == full.signatures
    rounded = [[round(s, 3) for s in found] for found in (full_s, replan_s)]
    print(f"re-plan of one new event: {len(again.pages)} pages planned; "
          f"full {rounded[0]} s, re-plan {rounded[1]} s")  # fmt: skip
    full_med, replan_med = statistics.median(full_s), statistics.median(replan_s)
    print(f"RESULT events={events} full_s={full_med:.3f} replan_s={replan_med:.3f} "
          f"ratio={full_med / replan_med:.1f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
