"""The moderators' account search at a ward's scale: 5,000 accounts, every value sealed.

A throw-away instance (SQLite, its own redis-server) gets `--accounts` fictional accounts
(individuals and groups, 1–2 persons each: name, kana, phone, e-mail sealed as the
registration stores them; the rows are written directly, without hashing 5,000
passwords). The search (intake/helping/search.py) opens every sealed value it compares in
memory on each search; it is timed as a moderator runs it (with its audit entry), by
name, kana in half-width katakana, phone and e-mail. The baseline in the same run is a
plain SQL LIKE on the one clear column (the public name) over the same rows. One `RESULT`
line: the median search and the median baseline in milliseconds (wall clock; the
CPU time of the searches is printed too, for a loaded machine).

    .venv/bin/python bench/bench_account_search.py [--accounts 5000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from scratch_instance import make_instance, scratch_folder  # noqa: E402
from sqlalchemy import select  # noqa: E402

from intake.accounts.models import AccountStatus  # noqa: E402
from intake.accounts.services import create_staff, login_index  # noqa: E402
from intake.helping.search import search_accounts  # noqa: E402
from intake.models import Account, Person  # noqa: E402
from intake.runtime import Runtime  # noqa: E402
from intake.store import transaction  # noqa: E402

QUERIES = ("花子4321", "ﾍﾞﾝﾁ ﾊﾅｺ", "090-8321-0004", "bench-4321@example.test")


def fill(rt: Runtime, count: int) -> None:
    """Write count active accounts with sealed persons, as a registration stores them."""
    seal = rt.vault.seal
    with transaction(rt.sessions) as session:
        for n in range(count):
            group = n % 3 == 0
            login = f"bench-login-{n}"
            account = Account(
                kind="group" if group else "individual",
                status=AccountStatus.ACTIVE,
                login_index=login_index(rt.vault, login),
                login_enc=seal(login, "accounts.login"),
                password_hash="-",
                public_name=f"ベンチ団体{n}" if group else f"ベンチ会員{n}",
            )
            roles = ("representative", "contact") if group else ("self",)
            for i, role in enumerate(roles):
                m = n + i * 100_000
                values = {
                    "name": f"架空 花子{m}",
                    "kana": "べんち はなこ",
                    "phone": f"090-8{m % 1000:03d}-{m // 1000 % 10000:04d}",
                    "email": f"bench-{m}@example.test",
                }
                account.persons.append(
                    Person(
                        role=role,
                        **{f"{k}_enc": seal(v, f"persons.{k}") for k, v in values.items()},
                    )
                )
            session.add(account)


CPU: list[float] = []  # this process's CPU time of each timed run, in ms


def timed(run, rounds: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    """Return the median wall time of rounds runs in ms, and the last result."""
    times, result = [], None
    for _ in range(rounds):
        start, cpu = time.perf_counter(), time.process_time()
        result = run()
        times.append((time.perf_counter() - start) * 1000)
        CPU.append((time.process_time() - cpu) * 1000)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with scratch_folder("hiroba-bench-search-") as (folder, redis_url):
        env = {k: v for k, v in os.environ.items() if not k.startswith("HIROBA_")}
        env.update(HIROBA_HOME=str(folder / "instance"), HIROBA_REDIS_URL=redis_url)
        rt = make_instance(env)
        moderator = create_staff(rt, "moderator", "bench-moderator", "bench-password-1", "運営")
        start = time.perf_counter()
        fill(rt, args.accounts)
        filled = time.perf_counter() - start
        medians, found = [], {}
        for query in QUERIES:
            median, hits = timed(lambda q=query: search_accounts(rt, moderator, q), args.rounds)
            medians.append(median)
            found[query] = len(hits)  # type: ignore[arg-type]

        def like() -> int:
            with rt.sessions() as session:
                return len(
                    session.scalars(
                        select(Account).where(Account.public_name.like("%会員4321%"))
                    ).all()
                )

        baseline, _ = timed(like, args.rounds)
        rt.close()
    print(f"# {args.accounts} accounts written in {filled:.1f} s (SQLite); {args.rounds} rounds")
    print(f"# matches per query: {found}")
    print(f"# median per query (ms): {[round(m, 1) for m in medians]}")
    searches = CPU[: len(QUERIES) * args.rounds]
    print(f"# CPU time of this process per search: median {statistics.median(searches):.1f} ms")
    print(
        f"RESULT accounts={args.accounts} search_ms={statistics.median(medians):.1f} "
        f"baseline_ms={baseline:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
