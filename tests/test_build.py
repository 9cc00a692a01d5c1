"""Publishing builds: atomic switch, a failed build keeps the old site and shows the
failure to moderators, builds never overlap and requests are folded into one build."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import replace

from actors import make_moderator, new_post, open_group, sign_in
from sqlalchemy import func, select

from intake.config import REPO_ROOT
from intake.models import Build, SiteState
from intake.moderation import decisions as post_decisions


def publish(instance, count: int = 1) -> list[int]:  # type: ignore[no-untyped-def]
    moderator, group = open_group(instance)
    ids = []
    for n in range(count):
        ids.append(new_post(instance, group, n))
        post_decisions.approve(instance.rt, moderator, post_decisions.Subject("post", ids[-1]))
    return ids


def approve_another(instance, n: int) -> int:  # type: ignore[no-untyped-def]
    with instance.rt.sessions() as db:
        from intake.models import Account

        moderator = db.scalars(select(Account.id).where(Account.kind == "moderator")).first()
        group = db.scalars(select(Account.id).where(Account.kind == "group")).first()
    post_id = new_post(instance, group, n)
    post_decisions.approve(instance.rt, moderator, post_decisions.Subject("post", post_id))
    return post_id


def test_live_site_is_a_symlink_switched_per_build(instance):
    [first] = publish(instance)
    instance.worker_burst()
    live = instance.settings.live_dir
    assert live.is_symlink()
    target_one = os.readlink(live)
    assert not os.path.isabs(target_one)  # relative: the instance folder can move
    approve_another(instance, 9)
    instance.worker_burst()
    assert os.readlink(live) != target_one
    assert (live / "events" / str(first) / "index.html").exists()
    for n in range(10, 14):
        approve_another(instance, n)
        instance.worker_burst()
    kept = [p for p in instance.settings.builds_dir.iterdir() if p.is_dir()]
    assert len(kept) <= instance.settings.keep_builds
    assert live.resolve() in [p.resolve() for p in kept]


def test_failed_build_keeps_previous_site_and_is_shown(instance, client, tmp_path):
    [first] = publish(instance)
    instance.worker_burst()
    good_target = os.readlink(instance.settings.live_dir)

    broken = tmp_path / "broken-theme"
    shutil.copytree(REPO_ROOT / "theme", broken)
    article = broken / "templates" / "article.html"
    article.write_text(article.read_text(encoding="utf-8") + "\n{% if %}\n", encoding="utf-8")
    instance.env["HIROBA_THEME_DIR"] = str(broken)
    second = approve_another(instance, 2)
    instance.worker_burst()

    assert os.readlink(instance.settings.live_dir) == good_target
    assert (instance.settings.live_dir / "events" / str(first) / "index.html").exists()
    assert not (instance.settings.live_dir / "events" / str(second)).exists()
    with instance.rt.sessions() as db:
        failed = db.scalars(select(Build).where(Build.status == "failed")).one()
        assert "TemplateSyntaxError" in failed.log
        assert db.get(SiteState, 1).built_rev < db.get(SiteState, 1).requested_rev

    make_moderator(instance)
    sign_in(client, "mod-tester", "moderator-password-1")
    page = client.get("/app/moderation").get_data(as_text=True)
    assert "最新のサイト構築に失敗しました" in page and "TemplateSyntaxError" in page

    # Once the theme is mended, the next approval builds everything.
    instance.env["HIROBA_THEME_DIR"] = str(REPO_ROOT / "theme")
    third = approve_another(instance, 3)
    instance.worker_burst()
    for post_id in (first, second, third):
        assert (instance.settings.live_dir / "events" / str(post_id) / "index.html").exists()
    assert "最新のサイト構築に失敗しました" not in client.get("/app/moderation").get_data(
        as_text=True
    )


def test_content_error_fails_the_build(instance):
    [first] = publish(instance)
    instance.worker_burst()
    good_target = os.readlink(instance.settings.live_dir)
    stray = instance.settings.content_dir / "posts" / "stray.md"
    stray.write_text(
        "Title: 手書きの記事\nDate: 2026-11-29\nCategory: events\n"
        "Organizer_email: someone@example.test\nSummary: x\n\n本文\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "worker", "build"],
        env=instance.env,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    )
    assert result.returncode == 1
    assert "previous site stays live" in result.stderr
    assert os.readlink(instance.settings.live_dir) == good_target
    assert (instance.settings.live_dir / "events" / str(first) / "index.html").exists()


def test_builds_never_overlap_and_fold_requests(instance, worker_env):
    publish(instance, count=3)
    from worker.build.switch import build_lock
    from worker.jobs.site import rebuild_site
    from worker.run import make_worker

    # Held for longer than the burst can take on a loaded machine (the test's lock time is 3 s,
    # and this holder has no heartbeat).
    lock = build_lock(instance.rt.redis, replace(instance.settings, build_lock_seconds=600))
    assert lock.acquire()
    try:
        # The posts are published while another build holds the lock: no build may start.
        make_worker(instance.rt).work(burst=True, with_scheduler=False)
        assert rebuild_site() == "busy"
    finally:
        lock.release()
    with instance.rt.sessions() as db:
        state = db.get(SiteState, 1)
        assert (state.requested_rev, state.built_rev) == (3, 0)
    assert rebuild_site() == "ok"
    with instance.rt.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Build)) == 1  # three requests, one build
        assert db.get(SiteState, 1).built_rev == 3


def _publish_task(instance, post_id: int) -> int:  # type: ignore[no-untyped-def]
    from intake.jobs import PUBLISH_POST
    from intake.models import Task

    with instance.rt.sessions() as db:
        return db.scalar(
            select(Task.id).where(Task.name == PUBLISH_POST, Task.subject_id == post_id)
        )


def test_a_lone_publication_is_built_first_and_a_burst_is_built_once(instance, worker_env):
    from intake.jobs import REBUILD_SITE
    from intake.redis_keys import task_job
    from worker.jobs.posts import publish_post

    queue = instance.rt.queue
    moderator, group = open_group(instance)
    lone = new_post(instance, group, 1)
    post_decisions.approve(instance.rt, moderator, post_decisions.Subject("post", lone))
    assert len(queue.get_job_ids()) >= 2  # its publication and the poster's mail, at least
    publish_post(_publish_task(instance, lone))  # the job, run here as a work-horse would
    first = queue.fetch_job(queue.get_job_ids()[0])
    assert first is not None and first.func_name == REBUILD_SITE  # before the mail
    instance.worker_burst()
    # A moderator approves two at once: the rebuild waits behind the second publication.
    pair = [new_post(instance, group, n) for n in (2, 3)]
    for post_id in pair:
        post_decisions.approve(instance.rt, moderator, post_decisions.Subject("post", post_id))
    publish_post(_publish_task(instance, pair[0]))
    ids = queue.get_job_ids()
    rebuilds = [n for n, i in enumerate(ids) if queue.fetch_job(i).func_name == REBUILD_SITE]
    assert rebuilds and rebuilds[0] > ids.index(
        task_job(instance.settings.redis_prefix, _publish_task(instance, pair[1]))
    )
    instance.worker_burst()
    with instance.rt.sessions() as db:
        logs = [log for log in db.scalars(select(Build.log).order_by(Build.id))]
    publications = [log for log in logs if not log.startswith("search re-index")]
    assert len(publications) == 2  # the lone one, then one for the pair
    assert publications[-1].startswith("incremental: 2 changed post(s)")
    for post_id in pair:
        assert (instance.settings.live_dir / "events" / str(post_id) / "index.html").exists()
