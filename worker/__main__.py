"""`python -m worker run [--burst] | build | republish | reconcile`: the worker side of the
hiroba command."""

from __future__ import annotations

import argparse
import os
import sys

from intake.config import Settings
from intake.errors import ConfigError
from intake.runtime import Runtime
from intake.watching.logs import configure_logging

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
    sub.add_parser("build", help="full build of the site, switched live")
    sub.add_parser("republish", help="rewrite content/ from the database, then a full build")
    sub.add_parser("reconcile", help="one reconciler pass")
    args = parser.parse_args(argv)
    configure_logging()  # HIROBA_LOG_FORMAT: the same lines as the web's (intake/watching)
    try:
        rt = Runtime.from_settings(Settings.from_env())
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
    from intake.store import transaction

    from .build.revisions import request_rebuild
    from .build.switch import build_and_switch

    with transaction(rt.sessions) as session:
        if args.command == "republish":
            from .content.republish import republish

            done = republish(rt.settings, session)
            print(f"republished {done.posts} post(s), removed {done.removed} stale file(s)")
        rev = request_rebuild(session)
    print(f"building revision {rev} ...", flush=True)
    record = build_and_switch(rt, rev, full=True)
    if record.status != "ok":
        print(record.log, file=sys.stderr)
        print("build failed; the previous site stays live", file=sys.stderr)
        return 1
    print(f"built in {record.duration_s} s; live: {rt.settings.live_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
