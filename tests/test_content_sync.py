"""A host's content/ and site/ are a cache of the database: each build first brings content/
in line (worker/content/sync.py); a host that lost its site/ builds it in full, one whose
last build is older than the live revision builds incrementally from it, and both equal a
full build. Real Redis, real rq workers (two hosts' bursts), real Pelican builds."""

from __future__ import annotations

import shutil
from pathlib import Path

from accounts_support import client_for
from actors import make_moderator, open_group
from hosts_support import content_posts, same_as_full_build, second_host
from lifecycle_support import approved_event, poster_group
from sqlalchemy import event, select
from uploads_support import publish_post_with_files

from intake.models import Build, SiteState
from intake.site.takedown import take_down
from intake.store import transaction
from worker.content import manifest as record
from worker.content.sync import sync_content


def _files(settings) -> dict[str, tuple[int, int]]:  # type: ignore[no-untyped-def]
    """Return {path: (inode, mtime)} of everything in content/ and the manifest beside it."""
    paths = [*settings.content_dir.rglob("*"), record.manifest_path(settings)]
    return {str(p): (p.stat().st_ino, p.stat().st_mtime_ns) for p in paths if p.is_file()}


def _sync_counting(instance) -> tuple[object, list[str]]:  # type: ignore[no-untyped-def]
    """Run the content sync at the requested revision; return it and the SQL it sent."""
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE")):
            statements.append(statement)

    with transaction(instance.rt.sessions) as session:
        rev = session.get(SiteState, 1).requested_rev
        event.listen(instance.rt.engine, "before_cursor_execute", seen)
        try:
            done = sync_content(instance.settings, session, rev)
        finally:
            event.remove(instance.rt.engine, "before_cursor_execute", seen)
    return done, statements


def _last_build_id(host) -> int:  # type: ignore[no-untyped-def]
    with host.rt.sessions() as db:
        return db.scalar(select(Build.id).order_by(Build.id.desc()).limit(1)) or 0


def _publication(host, after: int) -> str:  # type: ignore[no-untyped-def]
    """Return the log of the first build since build id after (not a search re-index)."""
    with host.rt.sessions() as db:
        builds = db.scalars(select(Build).where(Build.id > after).order_by(Build.id)).all()
    assert all(b.status == "ok" for b in builds), [(b.status, b.log) for b in builds]
    return next(b.log for b in builds if not b.log.startswith("search re-index"))


def test_one_host_finds_nothing_to_do_in_one_query(instance):
    moderator, group = poster_group(instance)
    for n in range(3):
        approved_event(instance, moderator, group, f"同期検査の催し{n}")
    instance.worker_burst()
    before = _files(instance.settings)
    assert record.manifest_path(instance.settings).is_file()

    done, statements = _sync_counting(instance)
    assert (done.written, done.removed, done.groups) == ([], 0, False)
    assert len(statements) == 1, statements
    assert _files(instance.settings) == before  # nothing written, not even the manifest

    # The manifest lost: made again from the files on disk, still nothing to write.
    kept = record.load(instance.settings)
    record.manifest_path(instance.settings).unlink()
    done, _statements = _sync_counting(instance)
    assert (done.written, done.removed, done.groups) == ([], 0, False)
    assert record.load(instance.settings).posts == kept.posts
    assert {k: v for k, v in _files(instance.settings).items() if "manifest" not in k} == {
        k: v for k, v in before.items() if "manifest" not in k
    }


def test_a_host_catches_up_incrementally_or_in_full_and_equals_a_full_build(
    instance, tmp_path: Path
):
    host_a, host_b = instance, second_host(instance, tmp_path / "host-b")
    try:
        moderator, group = poster_group(host_a)
        first = [approved_event(host_a, moderator, group, f"二台目検査の催し{n}") for n in range(3)]
        host_a.worker_burst()

        # Host B takes the next approval: its publish job writes that post, its build first
        # writes the three it never saw, then builds in full (it has no site/ yet).
        fourth = approved_event(host_a, moderator, group, "二台目が公開した催し")
        mark = _last_build_id(host_a)
        host_b.worker_burst()
        log = _publication(host_b, mark)
        assert "full build" in log and "content sync from the database: 3 post(s) written" in log
        same_as_full_build(host_b, tmp_path / "full-b1")
        live_b = host_b.settings.live_dir.resolve()
        assert (live_b / "events" / str(fourth) / "index.html").is_file()

        # Host A's last build is older than the live revision: it builds incrementally
        # from it, with the post host B wrote and a takedown, and equals a full build.
        fifth = approved_event(host_a, moderator, group, "一台目が公開した催し")
        take_down(host_a.rt, moderator, first[0], "同期の検査のため非公開にします。")
        mark = _last_build_id(host_a)
        host_a.worker_burst()
        log = _publication(host_a, mark)
        assert log.startswith("incremental:"), log
        assert "content sync from the database: 1 post(s) written" in log
        live_a = same_as_full_build(host_a, tmp_path / "full-a")
        assert f"events/{fourth}/index.html" in live_a
        assert f"events/{fifth}/index.html" in live_a
        assert f"events/{first[0]}/index.html" not in live_a

        # Host B lost its site/ folder: the next build there is a full one, and right.
        shutil.rmtree(host_b.settings.site_dir)
        sixth = approved_event(host_a, moderator, group, "サイトを失った後の催し")
        mark = _last_build_id(host_a)
        host_b.worker_burst()
        log = _publication(host_b, mark)
        assert "full build" in log, log
        assert "1 post(s) written, 1 file(s) removed" in log  # the takedown, from the database
        live_b_tree = same_as_full_build(host_b, tmp_path / "full-b2")
        assert f"events/{sixth}/index.html" in live_b_tree
        assert f"events/{first[0]}/index.html" not in live_b_tree
        posts_b = content_posts(host_b.settings)
        assert f"{first[0]}.md" not in posts_b
        assert set(posts_b) == {f"{n}.md" for n in (*first[1:], fourth, fifth, sixth)}
        host_a.worker_burst()  # nothing owed: host A's content/ catches up at its next build
        assert content_posts(host_a.settings).keys() <= posts_b.keys()
    finally:
        host_b.rt.close()


def _rev(host) -> int:  # type: ignore[no-untyped-def]
    with host.rt.sessions() as db:
        return db.get(SiteState, 1).requested_rev


def test_group_profiles_reach_every_host(instance, tmp_path: Path):
    from intake.profiles import services as profiles

    host_a, host_b = instance, second_host(instance, tmp_path / "host-b")
    try:
        moderator, group = poster_group(host_a)
        approved_event(host_a, moderator, group, "紹介文の検査の催し")
        host_a.worker_burst()

        def save(text: str) -> None:
            edit = profiles.ProfileEdit(True, text, "https://example.jp/", "事務局", ["welfare"],
                                        ["okubo"])  # fmt: skip
            assert profiles.update_profile(host_a.rt, group, edit)
            profiles.decide(host_a.rt, moderator, group, approve=True)

        # Host B's job publishes the profile; host A renders groups.json at its next build.
        save("二台目が公開した団体紹介です。")
        host_b.worker_burst()
        with transaction(host_a.rt.sessions) as session:
            session.get(SiteState, 1).requested_rev += 1  # host A is asked to build once
        mark = _last_build_id(host_a)
        host_a.worker_burst()
        assert "groups.json written" in _publication(host_a, mark)
        live = same_as_full_build(host_a, tmp_path / "full-a")
        assert "二台目が公開した団体紹介です。".encode() in live[f"groups/{group}/index.html"]

        # Host B's build renders a newer profile before its job runs (the job still owed):
        # that job, finding the file already right, still publishes a revision, so every
        # other host renders it too.
        save("先に書かれた団体紹介です。")
        done, _statements = _sync_counting(host_b)
        assert done.groups
        before = _rev(host_b)
        host_b.worker_burst()
        assert _rev(host_b) > before
        mark = _last_build_id(host_a)
        host_a.worker_burst()  # nothing owed here: host B built it
        assert _last_build_id(host_a) == mark
        assert record.load(host_a.settings).groups_rev < _rev(host_a)  # renders it next time
        live = same_as_full_build(host_b, tmp_path / "full-b")
        assert "先に書かれた団体紹介です。".encode() in live[f"groups/{group}/index.html"]
    finally:
        host_b.rt.close()


def test_a_host_that_cannot_read_an_upload_fails_its_build_and_keeps_its_site(
    instance, tmp_path: Path
):
    """Uploads in host A's folder (not a bucket): host B cannot write that post's media, so
    its build fails loudly and its previous site stays; it never publishes without them."""
    host_a, host_b = instance, second_host(instance, tmp_path / "host-b")
    try:
        moderator, group = open_group(host_a)
        make_moderator(host_a)
        notice = approved_event(host_a, moderator, group, "画像のない催し")
        host_b.worker_burst()
        serving = host_b.settings.live_dir.resolve()
        assert (serving / "events" / str(notice) / "index.html").is_file()
        flyer = publish_post_with_files(host_a, client_for(host_a), "画像付きの催し")  # host A
        mark = _last_build_id(host_a)
        with transaction(host_b.rt.sessions) as session:
            session.get(SiteState, 1).requested_rev += 1
        host_b.worker_burst()
        with host_b.rt.sessions() as db:
            [failed] = db.scalars(select(Build).where(Build.id > mark)).all()
        assert failed.status == "failed"
        assert failed.log.startswith("content sync failed: UploadFileMissing: upload file")
        assert host_b.settings.live_dir.resolve() == serving
        assert not (host_b.settings.content_dir / "posts" / f"{flyer}.md").exists()
    finally:
        host_b.rt.close()
