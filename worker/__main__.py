"""`python -m worker run [--burst] | build | republish | reconcile`: the worker side of the
hiroba command."""

from __future__ import annotations

import argparse
import os
import sys

from intake.config import Settings
from intake.errors import ConfigError
from intake.protection.keys import require_keys
from intake.runtime import Runtime
from intake.site.models import BuildStatus
from intake.watching.logs import configure_logging

from .schedule import LOCK_WAIT_SECONDS

# The site the worker builds is for everyone (nginx reads it as another user): whatever the
# login's mask (027 on hardened hosts), its files are 0644 and its folders 0755. Private
# files (uploads, keys, backups, the database) are made 0600/0700 explicitly.
PUBLIC_UMASK = 0o022


def main(argv: list[str] | None = None) -> int:
    os.umask(PUBLIC_UMASK)
    parser = argparse.ArgumentParser(prog="python -m worker")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="work on the queue (with a reconciler)")
    run.add_argument("--burst", action="store_true")
    for name, what in (
        ("build", "full build of the site, switched live"),
        ("republish", "rewrite content/ from the database, then a full build"),
    ):
        one = sub.add_parser(name, help=what)
        one.add_argument(
            "--wait",
            type=float,
            default=LOCK_WAIT_SECONDS,
            help="seconds to wait for a running build (the build lock) before giving up",
        )
        if name == "build":
            one.add_argument(
                "--cold",
                action="store_true",
                help="render every page and run Pagefind: reuse nothing of the live build",
            )
    sub.add_parser("reconcile", help="one reconciler pass")
    args = parser.parse_args(argv)
    configure_logging()  # HIROBA_LOG_FORMAT: the same lines as the web's (intake/watching)
    try:
        rt = Runtime.from_settings(Settings.from_env())
        require_keys(rt.sessions, rt.vault)  # a job would fail on a value it cannot open
    except ConfigError as exc:
        print(f"hiroba: {exc}", file=sys.stderr)
        return 2
    if args.command == "run":
        from .run import run_burst, run_forever

        if args.burst:
            run_burst(rt)
        else:
            run_forever(rt)
        return 0
    if args.command == "reconcile":
        from .reconcile import reconcile

        print(reconcile(rt))
        return 0
    republish = args.command == "republish"
    return build_now(rt, republish_first=republish, wait=args.wait, cold=republish or args.cold)


def build_now(rt: Runtime, *, republish_first: bool, wait: float, cold: bool = False) -> int:
    """A full build (after rewriting content/ when republish_first), switched live, under
    the build lock: a worker's build running meanwhile would otherwise prune the folder
    this one writes, and the site would go live half built. cold: reuse nothing of the
    live build (every page rendered, Pagefind run): what a restore's republish does."""
    from intake.store import transaction

    from .build.revisions import request_rebuild
    from .build.switch import build_and_switch, holding_build_lock

    missing: list[str] = []
    with holding_build_lock(rt, wait) as held:
        if not held:
            print(
                f"another build held the build lock for {wait:g} s; nothing was built",
                file=sys.stderr,
            )
            return 1
        with transaction(rt.sessions) as session:
            if republish_first:
                from .content.republish import republish

                done = republish(rt.settings, session)
                print(f"republished {done.posts} post(s), removed {done.removed} stale file(s)")
                missing = done.missing
            rev = request_rebuild(session)
        print(f"building revision {rev} ...", flush=True)
        record = build_and_switch(rt, rev, full=True, cold=cold)
    if record.status != BuildStatus.OK:
        print(record.log, file=sys.stderr)
        print("build failed; the previous site stays live", file=sys.stderr)
        return 1
    print(f"built in {record.duration_s} s; live: {rt.settings.live_dir}")
    if missing:  # the rest is live; these posts are not, until their files are back
        print(f"{len(missing)} approved post(s) left out, a kept file missing:", file=sys.stderr)
        for line in missing:
            print(f"  {line}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
