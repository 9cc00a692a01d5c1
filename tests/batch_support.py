"""Real processes around one event's lock, for tests/test_apply_batches.py.

    python tests/batch_support.py apply POST_ID N EMAIL   one applicant: prints its answer
    python tests/batch_support.py hold POST_ID STAGE      takes the event's lock, says
        "locked", waits for a line on stdin, then: STAGE "release" rolls back and exits;
        "allocated" takes the waiting room and allocates it (the holder's own code), says
        "allocated" and waits to be killed; "committed" commits too, says "committed" with
        the ids it stored, and waits to be killed before answering anyone.

Both read the instance from the environment (HIROBA_*), as the app does.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from intake.applications import allocation, services, waiting_room  # noqa: E402
from intake.config import Settings  # noqa: E402
from intake.errors import HirobaError  # noqa: E402
from intake.runtime import Runtime  # noqa: E402
from intake.store import serialised_writer  # noqa: E402


def applicant(n: int, email: str) -> services.ApplicationData:
    return services.ApplicationData(
        name=f"行列 花子{n}", address=f"東京都新宿区行列町{n}-1", phone="", email=email
    )


def apply(rt: Runtime, post_id: int, n: int, email: str) -> None:
    try:
        outcome = services.apply(rt, post_id, applicant(n, email))
    except HirobaError as refused:
        print(json.dumps({"n": n, "refused": type(refused).__name__}), flush=True)
        return
    print(json.dumps({"n": n, "id": outcome.application_id, "status": outcome.status,
                      "position": outcome.position}), flush=True)  # fmt: skip


def hold(rt: Runtime, post_id: int, stage: str) -> None:
    with serialised_writer(rt.engine), rt.sessions() as session:
        sql = session.connection()
        event = sql.execute(allocation.LOCK_FOR_APPLYING, {"post_id": post_id}).one_or_none()
        print("locked", flush=True)
        sys.stdin.readline()
        if stage == "release":
            session.rollback()
            return
        taken = waiting_room.take(rt.redis, rt.settings.redis_prefix, post_id)
        answers, _tasks, _wrote = allocation.allocate(session, post_id, event, taken, None)
        if stage == "allocated":
            print("allocated", flush=True)
        else:
            session.commit()
            stored = [a.application_id for a in answers.values() if hasattr(a, "status")]
            print("committed " + json.dumps(stored), flush=True)
        while True:
            time.sleep(60)  # killed here: nobody is answered


def main() -> None:
    rt = Runtime.from_settings(Settings.from_env(dict(os.environ)))
    role, post_id = sys.argv[1], int(sys.argv[2])
    if role == "apply":
        apply(rt, post_id, int(sys.argv[3]), sys.argv[4])
    else:
        hold(rt, post_id, sys.argv[3])


if __name__ == "__main__":
    main()
