"""No acknowledged submission or approval is lost: killed workers, an emptied Redis, a
database that cannot commit. Real redis-server, real rq workers, real builds."""

from __future__ import annotations

import time

import pytest
from actors import applicant, new_post, open_group
from conftest import PG_ADMIN_URL, Instance, csrf_token
from sqlalchemy import func, select, text

from intake import store
from intake.jobs import INGEST_APPLICATION
from intake.models import Application, Build, Post, SiteState, Task
from intake.moderation import decisions as post_decisions

pytestmark = pytest.mark.slow


def live_event(instance: Instance, capacity: int) -> tuple[int, int, int]:
    moderator, group = open_group(instance)
    post_id = new_post(instance, group, 0, capacity)
    post_decisions.approve(instance.rt, moderator, post_decisions.Subject("post", post_id))
    instance.worker_burst()
    return moderator, group, post_id


def apply_many(client, post_id: int, count: int, start: int = 0) -> None:  # type: ignore[no-untyped-def]
    token = csrf_token(client.get(f"/app/events/{post_id}/apply").get_data(as_text=True))
    for n in range(start, start + count):
        response = client.post(
            f"/app/events/{post_id}/apply", data={**applicant(n), "csrf_token": token}
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:500]


def counts(instance: Instance) -> dict[str, int]:
    with instance.rt.sessions() as db:
        rows = db.execute(select(Application.status, func.count()).group_by(Application.status))
        return dict(rows.all())


def owed_applications(instance: Instance) -> int:
    """Applications whose follow-up job (the applicant's mail) the worker still owes."""
    with instance.rt.sessions() as db:
        query = select(func.count()).select_from(Task).where(Task.state == "pending")
        return int(db.scalar(query.where(Task.name == INGEST_APPLICATION)) or 0)


def wait_for(predicate, timeout: float = 120.0, what: str = "condition") -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    pytest.fail(f"timed out waiting for {what}")


def assert_all_processed(instance: Instance, applications: int, capacity: int) -> None:
    by_status = counts(instance)
    assert by_status.get("received", 0) == 0, by_status
    assert sum(by_status.values()) == applications
    assert by_status.get("confirmed", 0) == capacity
    assert by_status.get("waitlisted", 0) == applications - capacity
    with instance.rt.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Task).where(Task.state != "done")) == 0


def test_sigkilled_worker_loses_nothing(instance, client):
    """7(a): SIGKILL the worker's whole process group mid-job, twice; nothing is lost."""
    moderator, group, post_id = live_event(instance, capacity=50)
    apply_many(client, post_id, 200)
    approved = []
    for n in range(1, 6):
        approved.append(new_post(instance, group, n))
        post_decisions.approve(instance.rt, moderator, post_decisions.Subject("post", approved[-1]))

    def building() -> bool:
        with instance.rt.sessions() as db:
            return bool(db.scalar(select(Build.id).where(Build.status == "running")))

    def progressed() -> bool:
        return owed_applications(instance) < 150

    worker = instance.start_worker()
    wait_for(progressed, what="applications to be processed")
    instance.kill_group(worker)
    assert owed_applications(instance) > 0, "the first kill came too late to matter"

    worker = instance.start_worker()
    wait_for(building, what="a build to start")
    instance.kill_group(worker)  # the work-horse is frozen, then killed, mid-build
    assert building(), "the build was still running when killed"

    instance.worker_burst()
    assert_all_processed(instance, applications=200, capacity=50)
    with instance.rt.sessions() as db:
        state = db.get(SiteState, 1)
        assert state.built_rev == state.requested_rev
        interrupted = db.scalars(select(Build).where(Build.status == "interrupted")).all()
        assert interrupted, "the killed build is recorded as interrupted"
    for post_id_ in approved:
        assert (instance.settings.live_dir / "events" / str(post_id_) / "index.html").exists()


def test_redis_restarted_empty_loses_nothing(instance, client):
    """7(b): Redis loses everything (and is down for a while); the reconciler re-enqueues."""
    _moderator, _group, post_id = live_event(instance, capacity=30)
    apply_many(client, post_id, 150)
    instance.redis_server.restart_empty()
    assert instance.rt.queue.count == 0

    instance.redis_server.stop()
    apply_many(client, post_id, 50, start=150)  # acknowledged while Redis is down
    instance.redis_server.start()

    instance.worker_burst()
    assert_all_processed(instance, applications=200, capacity=30)


def test_jobs_are_idempotent(instance, worker_env):
    """Running a publish job twice publishes once; the same task queued twice runs once."""
    moderator, group = open_group(instance)
    post_id = new_post(instance, group, 1)
    post_decisions.approve(instance.rt, moderator, post_decisions.Subject("post", post_id))
    with instance.rt.sessions() as db:
        task = db.scalars(select(Task).where(Task.name.like("%publish_post"))).one()
    from worker.jobs.posts import publish_post

    assert publish_post(task.id) == "done"
    assert publish_post(task.id) == "skipped"
    with instance.rt.sessions() as db:
        db.execute(text("UPDATE tasks SET state='pending' WHERE id=:id"), {"id": task.id})
        db.commit()
    assert publish_post(task.id) == "done"  # a redelivery after a crash: same file, no new rev
    with instance.rt.sessions() as db:
        assert db.get(SiteState, 1).requested_rev == 1
    files = list((instance.settings.content_dir / "posts").glob("*.md"))
    assert [f.name for f in files] == [f"{post_id}.md"]

    from intake.outbox import enqueue_task

    other = new_post(instance, group, 2)
    with instance.rt.sessions() as db:
        ingest = db.scalars(
            select(Task).where(Task.subject_id == other, Task.name.like("%ingest_post"))
        ).one()
    enqueue_task(instance.rt.queue, ingest)
    enqueue_task(instance.rt.queue, ingest)
    instance.worker_burst()
    with instance.rt.sessions() as db:
        assert db.get(Task, ingest.id).attempts == 1
        assert db.get(Post, other).status == "pending"


def test_database_that_cannot_commit_asks_to_retry(instance, client):
    """A failed commit answers 503 with the form and what was typed; nothing is stored."""
    _moderator, _group, post_id = live_event(instance, capacity=10)
    with instance.rt.engine.begin() as connection:
        if instance.settings.is_sqlite:
            connection.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON applications "
                    "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
                )
            )
        else:
            connection.execute(
                text(
                    "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
                    "RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql"
                )
            )
            connection.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON applications "
                    "FOR EACH ROW EXECUTE FUNCTION refuse()"
                )
            )
    token = csrf_token(client.get(f"/app/events/{post_id}/apply").get_data(as_text=True))
    response = client.post(
        f"/app/events/{post_id}/apply", data={**applicant(7), "csrf_token": token}
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "保存できませんでした" in body and "申込検査 次郎7" in body
    assert "受け付けました" not in body
    assert counts(instance) == {}


def test_a_connection_the_server_dropped_while_idle_is_replaced_before_use(
    database_url, monkeypatch
):
    """Pooled connections are pinged only after resting (a busy pool skips the round trip);
    one the server dropped meanwhile is replaced, and the transaction runs."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to drop a connection")
    import psycopg

    monkeypatch.setattr(store, "IDLE_PING_SECONDS", 0.0)  # every reuse counts as rested
    engine = store.make_engine(database_url)
    try:
        with engine.connect() as connection:
            first = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s, 5000)", (first,))
        with engine.connect() as connection:
            assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() != first
    finally:
        engine.dispose()
