"""Group commit (intake/applications/waiting_room.py) with real processes: applicants that
wait while another process holds the event's lock are allocated by one holder in arrival
order, duplicates take nothing, a holder killed mid-batch loses nothing acknowledged, and
with Redis stopped each application takes the lock alone."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from actors import applicant
from conftest import Instance, csrf_token
from redis.exceptions import RedisError
from sqlalchemy import select, text

from intake import jobs, redis_keys
from intake.applications import services
from intake.config import REPO_ROOT
from intake.models import Application, Task

sys.path.insert(0, str(REPO_ROOT / "bench"))

import apply_rush  # noqa: E402

SUPPORT = str(REPO_ROOT / "tests" / "batch_support.py")


def start(instance: Instance, *args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, SUPPORT, *map(str, args)],
        env=instance.env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
        start_new_session=True,
    )


def said(process: subprocess.Popen[str]) -> str:
    """Return the next line a process prints (it must print one within a minute)."""
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line, process.stderr.read() if process.stderr else "no output"
    return line.strip()


def waiting(instance: Instance, post_id: int) -> int:
    room = redis_keys.applying(instance.settings.redis_prefix, post_id)
    return int(instance.rt.redis.llen(room))


def until_waiting(instance: Instance, post_id: int, count: int) -> None:
    """Wait until count applications wait in the event's room (the lock is held elsewhere)."""
    deadline = time.monotonic() + 60
    while waiting(instance, post_id) < count:
        assert time.monotonic() < deadline, f"{waiting(instance, post_id)} of {count} waiting"
        time.sleep(0.05)


def finish(processes: list[subprocess.Popen[str]]) -> None:
    """Kill what still runs of processes, and close their pipes."""
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None and not stream.closed:
                stream.close()


def answers(applicants: list[subprocess.Popen[str]]) -> dict[int, dict[str, object]]:
    found = {}
    for process in applicants:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err[-3000:]
        answer = json.loads(out.strip().splitlines()[-1])
        found[answer["n"]] = answer
    return found


def rows(instance: Instance, post_id: int) -> list[Application]:
    with instance.rt.sessions() as db:
        return list(
            db.scalars(
                select(Application).where(Application.post_id == post_id).order_by(Application.seq)
            )
        )


def name_of(instance: Instance, row: Application) -> str:
    return instance.rt.vault.open(row.name_enc, "applications.name") or ""


def test_applicants_waiting_for_the_lock_are_allocated_together_in_arrival_order(
    instance: Instance,
):
    post_id = apply_rush.make_event(instance.rt, places=3)
    first = services.apply(
        instance.rt,
        post_id,
        services.ApplicationData(
            name="先客 一郎", address="新宿区1-1", phone="", email="dup@example.test"
        ),
    )
    blocker = start(instance, "hold", post_id, "release")
    applicants = []
    try:
        assert said(blocker) == "locked"
        emails = ["a@example.test", "b@example.test", "same@example.test", "c@example.test",
                  "SAME@example.test", "dup@example.test"]  # fmt: skip
        for n, email in enumerate(emails):
            applicants.append(start(instance, "apply", post_id, n, email))
            until_waiting(instance, post_id, n + 1)  # the room's order is the arrival order
        assert blocker.stdin is not None
        blocker.stdin.write("go\n")
        blocker.stdin.close()
        assert blocker.wait(timeout=60) == 0
        got = answers(applicants)
    finally:
        finish([blocker, *applicants])
    stored = rows(instance, post_id)
    assert [name_of(instance, r) for r in stored] == [
        "先客 一郎", "行列 花子0", "行列 花子1", "行列 花子2", "行列 花子3",
    ]  # fmt: skip
    assert [r.status for r in stored] == ["confirmed"] * 3 + ["waitlisted"] * 2
    assert [r.seq for r in stored] == [1, 2, 3, 4, 5]
    by_name = {name_of(instance, r): r.id for r in stored}
    assert got == {
        0: {"n": 0, "id": by_name["行列 花子0"], "status": "confirmed", "position": None},
        1: {"n": 1, "id": by_name["行列 花子1"], "status": "confirmed", "position": None},
        2: {"n": 2, "id": by_name["行列 花子2"], "status": "waitlisted", "position": 1},
        3: {"n": 3, "id": by_name["行列 花子3"], "status": "waitlisted", "position": 2},
        # the same email later in the same batch, and an email that applied before the rush
        4: {"n": 4, "id": by_name["行列 花子2"], "status": "duplicate", "position": None},
        5: {"n": 5, "id": first.application_id, "status": "duplicate", "position": None},
    }
    with instance.rt.sessions() as db:
        noticed = db.scalars(
            select(Task.subject_id).where(Task.name == jobs.SEND_DUPLICATE_NOTICE)
        ).all()
        assert sorted(noticed) == sorted([by_name["行列 花子2"], first.application_id])
        if instance.rt.engine.dialect.name == "postgresql":
            # One holder, one transaction, one commit for the four that waited.
            batch = db.execute(
                text("SELECT count(DISTINCT xmin::text) FROM applications WHERE seq > 1")
            ).scalar_one()
            assert batch == 1
    assert waiting(instance, post_id) == 0


@pytest.mark.parametrize("stage", ["allocated", "committed"])
def test_a_holder_killed_mid_batch_loses_nothing_acknowledged(instance: Instance, stage: str):
    post_id = apply_rush.make_event(instance.rt, places=2)
    holder = start(instance, "hold", post_id, stage)
    applicants = []
    try:
        assert said(holder) == "locked"
        for n in range(4):
            applicants.append(start(instance, "apply", post_id, n, f"k{n}@example.test"))
            until_waiting(instance, post_id, n + 1)
        assert holder.stdin is not None
        holder.stdin.write("go\n")
        holder.stdin.flush()
        reported = said(holder)
        assert reported.split(" ", 1)[0] == stage
        assert waiting(instance, post_id) == 0  # the holder took all four
        os.killpg(holder.pid, signal.SIGKILL)  # before it answers anyone
        holder.wait()
        got = answers(applicants)
    finally:
        finish([holder, *applicants])
    stored = rows(instance, post_id)
    names = [name_of(instance, r) for r in stored]
    assert sorted(names) == [f"行列 花子{n}" for n in range(4)]  # each stored once
    assert [r.status for r in stored] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    by_name = {name_of(instance, r): r for r in stored}
    for n, answer in got.items():  # every applicant was answered, and truly
        row = by_name[f"行列 花子{n}"]
        assert (answer["id"], answer["status"]) == (row.id, row.status)
    if stage == "committed":
        # What the killed holder committed stands: nothing was allocated twice.
        assert sorted(json.loads(reported.split(" ", 1)[1])) == sorted(r.id for r in stored)
        assert [name_of(instance, r) for r in stored] == [f"行列 花子{n}" for n in range(4)]


def test_with_redis_stopped_each_application_takes_the_lock_alone(instance: Instance, client):
    """The waiting room lives in Redis: while it is unreachable an application is allocated
    alone under the event's lock, stored and answered as usual, its mail owed in the
    outbox; once Redis is back the room takes over and the arrival order runs on."""
    post_id = apply_rush.make_event(instance.rt, places=1)
    path = f"/app/events/{post_id}/apply"

    def apply(n: int) -> None:
        token = csrf_token(client.get(path).get_data(as_text=True))
        response = client.post(path, data={**applicant(n), "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        assert response.headers["Location"].endswith(f"/app/events/{post_id}/applied")

    instance.redis_server.stop()
    try:
        with pytest.raises(RedisError):
            instance.rt.redis.ping()  # truly unreachable: no room to enter
        apply(0)
        apply(1)
    finally:
        instance.redis_server.start()
    apply(2)  # through the room again
    stored = rows(instance, post_id)
    assert [name_of(instance, r) for r in stored] == [applicant(n)["name"] for n in range(3)]
    assert [r.status for r in stored] == ["confirmed", "waitlisted", "waitlisted"]
    assert [r.seq for r in stored] == [1, 2, 3]
    with instance.rt.sessions() as db:
        owed = db.scalars(
            select(Task.subject_id).where(
                Task.name == jobs.INGEST_APPLICATION, Task.state == "pending"
            )
        ).all()
    assert sorted(owed) == sorted(r.id for r in stored)  # the reconciler mails the first two
    assert waiting(instance, post_id) == 0
