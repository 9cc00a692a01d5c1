"""Incremental publishing: equal to a full build byte for byte, takedowns leave no trace,
and site/current always resolves to a complete build (real Redis, worker, Pelican)."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import threading
from datetime import date, datetime, timedelta
from pathlib import Path

from actors import open_group
from sqlalchemy import select

from intake import jobs, outbox
from intake.accounts.services import PersonData, Registration, register
from intake.accounts.withdrawal import withdraw
from intake.models import Build, Post
from intake.moderation import decisions as post_decisions
from intake.moderation import services as moderation
from intake.posts import recurrence
from intake.posts.services import PostData, submit_post
from intake.store import transaction

TOPIC_KEYS = ["welfare", "childcare", "culture"]
DELTA = "search/delta.json"
EMPTY_DELTA = b'{"items":[],"removed_ids":[],"removed_urls":[]}\n'  # after a full index
AREA_KEYS = ["yotsuya", "okubo", "ochiai-1"]


def _data(n: int) -> PostData:
    """A fictional post; kinds, 分野, 地域 and months vary with n, some items run for days."""
    kind = ("event", "event", "recruitment", "notice")[n % 4]
    start = datetime.combine(date.today(), datetime.min.time()) + timedelta(
        days=17 * n - 60, hours=10
    )
    dated = kind != "notice"
    return PostData(
        kind=kind,
        title=f"増分テスト{n}番の催し",
        summary=f"増分公開のテストです（{n}）。",
        body=f"本文 {n}。\n\n- 持ち物：筆記用具",
        starts_at=start if dated else None,
        ends_at=start + timedelta(days=n % 3, hours=2) if dated else None,
        place_name=f"テスト会館{n % 5}",
        topic=TOPIC_KEYS[n % 3],
        area=AREA_KEYS[(n // 2) % 3],
    )


def _approve(instance, moderator: int, account: int, n: int) -> int:  # type: ignore[no-untyped-def]
    post_id = submit_post(instance.rt, account, _data(n))
    post_decisions.approve(instance.rt, moderator, post_decisions.Subject("post", post_id))
    return post_id


def _approve_recurring(instance, moderator: int, account: int) -> int:  # type: ignore[no-untyped-def]
    """A monthly online event for parents and children (2nd weekday of the month, 5 times)."""
    start = datetime.combine(date.today(), datetime.min.time()) + timedelta(days=3, hours=19)
    start -= timedelta(days=7 * ((start.day - 1) // 7) - 7)  # the 2nd such weekday of its month
    ends = start + timedelta(hours=1)
    dates = recurrence.expand("monthly-nth", start, ends, (start + timedelta(days=140)).date())
    data = PostData(
        kind="event",
        title="増分テスト 毎月のオンライン相談会",
        summary="毎月オンラインで開く子育て相談会です。",
        starts_at=start,
        ends_at=ends,
        recurrence=recurrence.Rule("monthly-nth", (start + timedelta(days=140)).date()).code,
        occurrences=recurrence.encode(dates),
        attendance="online",
        online_details="オンライン会議で開催します。",
        audience="families,parents",
        topic="childcare",
    )
    post_id = submit_post(instance.rt, account, data)
    post_decisions.approve(instance.rt, moderator, post_decisions.Subject("post", post_id))
    return post_id


def _drain(instance) -> None:  # type: ignore[no-untyped-def]
    from worker.run import make_worker

    make_worker(instance.rt).work(burst=True, with_scheduler=False)


def _second_group(instance, moderator: int) -> int:  # type: ignore[no-untyped-def]
    group = register(
        instance.rt,
        Registration(
            kind="group",
            login="takedown-group",
            password="takedown-password-1",
            public_name="取り下げテスト団体",
            persons={
                "representative": PersonData(name="取下 一郎", email="t1@example.test"),
                "contact": PersonData(name="取下 二郎", email="t2@example.test"),
            },
        ),
    )
    moderation.decide_account(instance.rt, moderator, group, approve=True)
    return group


def _edit(instance, post_id: int, title: str) -> None:  # type: ignore[no-untyped-def]
    """Change a published post and owe its publication, as the editing flow will."""
    with transaction(instance.rt.sessions) as session:
        post = session.get(Post, post_id)
        post.title = title
        task = outbox.add_task(session, jobs.PUBLISH_POST, post_id)
    outbox.enqueue_tasks(instance.rt.queue, [task])


def _search(root: Path) -> dict[str, dict[str, str]]:
    """Return the search index of a build as {id: {field: value}}."""
    data = json.loads((root / "search" / "index.json").read_text(encoding="utf-8"))
    rows = [dict(zip(data["fields"], row, strict=True)) for row in data["items"]]
    return {row["id"]: row for row in rows}


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _pagefind_pages(tree: dict[str, bytes]) -> list[bytes]:
    return sorted(
        gzip.decompress(data) for rel, data in tree.items() if rel.startswith("pagefind/fragment/")
    )


def _without_pagefind(tree: dict[str, bytes]) -> dict[str, bytes]:
    return {rel: data for rel, data in tree.items() if not rel.startswith("pagefind/")}


def _without_search(tree: dict[str, bytes]) -> dict[str, bytes]:
    return {rel: data for rel, data in _without_pagefind(tree).items() if rel != DELTA}


def _settle_search(instance) -> None:  # type: ignore[no-untyped-def]
    """Run the follow-up search re-index the publications asked for (a real rq worker)."""
    from worker.run import make_search_worker

    make_search_worker(instance.rt).work(burst=True, with_scheduler=False)


def _last_build_log(instance) -> str:  # type: ignore[no-untyped-def]
    with instance.rt.sessions() as db:
        build = db.scalars(select(Build).order_by(Build.id.desc()).limit(1)).one()
        assert build.status == "ok", build.log
        return build.log


def _publish_series(instance) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Full build of 12 posts, then new, edited and withdrawn items one at a time."""
    moderator, group = open_group(instance)
    other = _second_group(instance, moderator)
    for n in range(12):
        _approve(instance, moderator, group if n % 5 else other, n)
    _drain(instance)
    assert "full build" in _last_build_log(instance)
    ids = {"new": _approve(instance, moderator, group, 12)}
    _drain(instance)
    assert _last_build_log(instance).startswith("incremental: 1 changed post")
    ids["recurring"] = _approve_recurring(instance, moderator, group)
    _drain(instance)
    assert _last_build_log(instance).startswith("incremental: 1 changed post")
    ids["gone"] = _approve(instance, moderator, other, 13)
    _drain(instance)
    ids["edited"] = ids["new"]
    _edit(instance, ids["new"], "増分テスト 改題後の題名")
    _drain(instance)
    assert _last_build_log(instance).startswith("incremental: 1 changed post")
    withdraw(instance.rt, other, "takedown-password-1")  # unpublishes all of its posts
    _drain(instance)
    assert _last_build_log(instance).startswith("incremental: 4 changed post")
    return ids


def _assert_taken_down_and_edited(instance, ids: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    """The withdrawn post's page and every listing and feed entry of it are gone; the
    edited post shows its new title on its page and in the feed."""
    live = instance.settings.live_dir.resolve()
    gone = ids["gone"]
    assert not (live / "events" / str(gone)).exists()
    assert not (live / "recruitment" / str(gone)).exists()
    needle = f"/{gone}/"
    for path, data in _tree(live).items():
        text = data.decode("utf-8", errors="replace")
        assert "増分テスト13番" not in text, path
        assert not any(f"/{seg}{needle}" in text for seg in ("events", "recruitment", "notices")), (
            path
        )
    assert str(gone) not in _search(live)
    edited = (live / "events" / str(ids["edited"]) / "index.html").read_text(encoding="utf-8")
    assert "増分テスト 改題後の題名" in edited
    assert "増分テスト 改題後の題名" in (live / "feeds" / "all.atom.xml").read_text(
        encoding="utf-8"
    )


def test_incremental_takes_down_every_trace_and_equals_full_build(instance, worker_env, tmp_path):
    """One series of publications (the slowest set-up of this file) checked twice: the
    withdrawn item left no trace and the edit is live (as built, before the search
    re-index), then the whole folder equals a full build."""
    ids = _publish_series(instance)
    _assert_taken_down_and_edited(instance, ids)
    from worker.build.full import build_site

    full = tmp_path / "full-build"
    build_site(instance.settings, full)
    rebuilt = _tree(full)
    # Until the follow-up re-index runs, search is the Pagefind index of an earlier state
    # (minus the fragments of changed and withdrawn pages) plus search/delta.json; every
    # other file already equals the full build's.
    between = _tree(instance.settings.live_dir.resolve())
    assert between[DELTA] != rebuilt[DELTA] == EMPTY_DELTA
    assert _without_search(between) == _without_search(rebuilt)
    _settle_search(instance)
    assert _last_build_log(instance).startswith("search re-index")
    live = _tree(instance.settings.live_dir.resolve())
    assert live[DELTA] == EMPTY_DELTA
    # Pagefind runs over the whole output in both paths; its filter chunks come out in a
    # different order on every run (even of one build), so the search index is compared
    # by what it holds: the same pages with the same text, filters and metadata.
    assert _pagefind_pages(live) == _pagefind_pages(rebuilt) != []
    live, rebuilt = _without_pagefind(live), _without_pagefind(rebuilt)
    assert sorted(live) == sorted(rebuilt)
    different = [path for path in live if live[path] != rebuilt[path]]
    assert different == []
    for rel in ("events/index.html", "calendar/index.html", "topics/welfare/index.html",
                "areas/okubo/index.html", "feeds/all.atom.xml", "feeds/topics/culture.atom.xml",
                "search/index.json", "sitemap.xml"):  # fmt: skip
        assert rel in live, rel
    assert any(path.startswith("calendar/") and path.count("/") == 3 for path in live)
    # The recurring online event: in the listings of every month it is held in, and 対象.
    families = live["audiences/families/index.html"].decode()
    assert "毎月のオンライン相談会" in families
    title = "毎月のオンライン相談会".encode()
    months = [p for p in live if p.startswith("events/20") and title in live[p]]
    assert len(months) >= 5


def _digest_tree(root: Path) -> str:
    digest = hashlib.sha256()
    for rel, data in sorted(_tree(root).items()):
        digest.update(rel.encode() + b"\0" + data)
    return digest.hexdigest()


def test_switch_is_atomic_and_old_builds_are_never_written(instance, worker_env):
    moderator, group = open_group(instance)
    for n in range(8):
        _approve(instance, moderator, group, n)
    _drain(instance)
    site = instance.settings.site_dir
    problems: list[str] = []
    seen: set[str] = set()
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            target = os.readlink(site / "current")
            seen.add(target)
            root = site / target
            try:
                sitemap = (root / "sitemap.xml").read_text(encoding="utf-8")
                search = _search(root)
            except (OSError, ValueError) as exc:
                problems.append(f"{target}: {exc}")
                continue
            for item in search.values():
                page = root / item["url"].lstrip("/") / "index.html"
                if not page.is_file() or item["url"] not in sitemap:
                    problems.append(f"{target}: {item['url']} incomplete")

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    try:
        for n in range(8, 14):
            before = instance.settings.live_dir.resolve()
            fingerprint = _digest_tree(before)
            _approve(instance, moderator, group, n)
            _drain(instance)
            assert "incremental" in _last_build_log(instance)
            assert instance.settings.live_dir.resolve() != before
            if before.exists():  # the previous live build is untouched by the new one
                assert _digest_tree(before) == fingerprint
    finally:
        stop.set()
        thread.join()
    assert problems == []
    assert len(seen) >= 2


def test_missing_state_or_changed_theme_falls_back_to_a_full_build(
    instance, worker_env, tmp_path, monkeypatch
):
    import shutil

    from intake.config import REPO_ROOT, Settings
    from intake.runtime import Runtime
    from worker.run import make_worker

    moderator, group = open_group(instance)
    _approve(instance, moderator, group, 0)
    _drain(instance)
    for state in instance.settings.builds_dir.glob("*.state.pickle"):
        state.unlink()
    _approve(instance, moderator, group, 1)
    _drain(instance)
    assert "full build" in _last_build_log(instance)
    theme = tmp_path / "theme"
    shutil.copytree(REPO_ROOT / "theme", theme)
    css = theme / "static" / "css" / "site.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n/* changed */\n", encoding="utf-8")
    monkeypatch.setenv("HIROBA_THEME_DIR", str(theme))  # the in-process worker's settings
    # A worker reads its settings once, at its start: the changed theme needs a restart.
    restarted = Runtime.from_settings(Settings.from_env())
    try:
        _approve(instance, moderator, group, 2)
        make_worker(restarted).work(burst=True, with_scheduler=False)
    finally:
        restarted.close()
    assert "full build" in _last_build_log(instance)
    live = instance.settings.live_dir
    assert "/* changed */" in (live / "theme" / "css" / "site.css").read_text(encoding="utf-8")


def _same_as_full_build(instance, tmp_path: Path, name: str) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    """Assert the live build equals a full build of the same content; return the live tree."""
    from worker.build.full import build_site

    _settle_search(instance)  # the follow-up Pagefind re-index the publications asked for
    full = tmp_path / name
    build_site(instance.settings, full)
    live, rebuilt = _tree(instance.settings.live_dir.resolve()), _tree(full)
    assert _pagefind_pages(live) == _pagefind_pages(rebuilt) != []
    live, rebuilt = _without_pagefind(live), _without_pagefind(rebuilt)
    assert sorted(live) == sorted(rebuilt)
    assert [path for path in live if live[path] != rebuilt[path]] == []
    return live


def test_profile_changes_publish_incrementally_and_equal_a_full_build(
    instance, worker_env, tmp_path
):
    """A group profile (content/groups.json) changes only the pages that show it."""
    from intake.profiles import services as profiles

    moderator, group = open_group(instance)
    other = _second_group(instance, moderator)
    for n in range(4):
        _approve(instance, moderator, group, n)
    _drain(instance)

    def save(account: int, publish: bool, text: str) -> None:
        edit = profiles.ProfileEdit(publish, text, "https://example.jp/", "事務局", ["welfare"],
                                    ["okubo"])  # fmt: skip
        if profiles.update_profile(instance.rt, account, edit):
            profiles.decide(instance.rt, moderator, account, approve=True)
        _drain(instance)
        assert "incremental: 0 changed post" in _last_build_log(instance)

    save(group, True, "増分テストの団体紹介です。")  # a group with posts opts in
    save(other, True, "投稿のない団体の紹介です。")  # a group without posts gets a page
    live = _same_as_full_build(instance, tmp_path, "full-1")
    assert "増分テストの団体紹介です。".encode() in live[f"groups/{group}/index.html"]
    assert f"groups/{other}/index.html" in live
    assert f'href="/groups/{other}/"'.encode() in live["groups/topics/welfare/index.html"]
    save(other, False, "投稿のない団体の紹介です。")  # opting out removes that page
    save(group, True, "改訂した団体紹介です。")
    live = _same_as_full_build(instance, tmp_path, "full-2")
    assert f"groups/{other}/index.html" not in live
    assert "改訂した団体紹介です。".encode() in live[f"groups/{group}/index.html"]


def test_flyers_and_images_publish_incrementally_and_equal_a_full_build(
    instance, worker_env, tmp_path
):
    """A post's image variants and PDF go live, and leave again, through the incremental path."""
    from upload_samples import pdf_with_metadata, photo_with_gps

    from intake.uploads.services import (
        Attachment,
        process_image,
        process_pdf,
        submit_post_with_files,
    )

    moderator, group = open_group(instance)
    other = _second_group(instance, moderator)
    for n in range(3):
        _approve(instance, moderator, group, n)
    _drain(instance)
    attachments = [
        Attachment("image", "写真の説明", image=process_image(photo_with_gps(600, 40, 1), 10**6)),
        Attachment("pdf", "チラシ", pdf=process_pdf(pdf_with_metadata())),
    ]
    post_id = submit_post_with_files(instance.rt, other, _data(3), attachments)
    post_decisions.approve(instance.rt, moderator, post_decisions.Subject("post", post_id))
    _drain(instance)
    assert _last_build_log(instance).startswith("incremental: 1 changed post")
    _settle_search(instance)
    live = _same_as_full_build(instance, tmp_path, "full-1")
    assert len([rel for rel in live if rel.startswith(f"media/{post_id}/")]) == 3  # 480w, 600w, pdf
    page = live[f"notices/{post_id}/index.html"].decode()
    assert 'loading="lazy"' in page and f"/media/{post_id}/" in page
    withdraw(instance.rt, other, "takedown-password-1")  # unpublishes the post and its files
    _drain(instance)
    assert _last_build_log(instance).startswith("incremental: 1 changed post")
    _settle_search(instance)
    live = _same_as_full_build(instance, tmp_path, "full-2")
    assert not any(rel.startswith("media/") for rel in live)


def _move(instance, post_id: int, days: int, topic: str, area: str) -> None:  # type: ignore[no-untyped-def]
    """Move a published post's dates by days and set its 分野 and 地域; owe its publication."""
    with transaction(instance.rt.sessions) as session:
        post = session.get(Post, post_id)
        post.starts_at += timedelta(days=days)
        post.ends_at += timedelta(days=days)
        post.topic, post.area = topic, area
        task = outbox.add_task(session, jobs.PUBLISH_POST, post_id)
    outbox.enqueue_tasks(instance.rt.queue, [task])


def test_an_edit_that_moves_a_post_between_months_and_facets_and_back_equals_a_full_build(
    instance, worker_env, tmp_path
):
    """Only the lists (and months) the post leaves and joins are re-planned; the published
    folder equals a full build after the move and after the move back."""
    moderator, group = open_group(instance)
    ids = [_approve(instance, moderator, group, n) for n in range(6)]
    _drain(instance)
    post = ids[1]  # an event: n % 4 == 1
    _move(instance, post, 62, "culture", "ochiai-1")  # two months later, other 分野 and 地域
    _drain(instance)
    assert _last_build_log(instance).startswith("incremental: 1 changed post")
    live = _same_as_full_build(instance, tmp_path, "full-moved")
    assert "増分テスト1番の催し".encode() in live["topics/culture/index.html"]
    _move(instance, post, -62, TOPIC_KEYS[1], AREA_KEYS[0])  # and back where it was
    _drain(instance)
    assert _last_build_log(instance).startswith("incremental: 1 changed post")
    live = _same_as_full_build(instance, tmp_path, "full-back")
    assert "増分テスト1番の催し".encode() not in live["topics/culture/index.html"]
