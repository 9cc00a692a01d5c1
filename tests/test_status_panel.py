"""The moderators' status panel: waiting work by kind and age, builds (with a failed build's
log), the rq queue, failed jobs and worker liveness (real Redis, real workers, real build)."""

from __future__ import annotations

import re
from datetime import timedelta

from accounts_support import client_for
from actors import MODERATOR, make_moderator, sign_in
from lifecycle_support import poster_group, wait_until
from rq import Worker
from sqlalchemy import func, select

from intake.accounts.changes import propose
from intake.accounts.services import PersonData, Registration, register
from intake.inquiries.services import InquiryData
from intake.inquiries.services import submit as submit_inquiry
from intake.models import Account, Post, PostRevision, Task, utcnow
from intake.posts.services import PostData, submit_post
from intake.store import transaction
from worker.build.revisions import request_rebuild

STATUS = "/app/moderation/status"


def cells(html: str, header: str) -> list[str]:
    """Return the data cells of the table row whose header cell is header, as plain text."""
    match = re.search(rf'<th scope="row">{re.escape(header)}</th>(.*?)</tr>', html, flags=re.S)
    assert match, f"no row {header!r}"
    return [
        re.sub(r"<[^>]+>", "", c).strip()
        for c in re.findall(r"<td>(.*?)</td>", match.group(1), re.S)
    ]


def _register_individual(instance, n: int) -> int:  # type: ignore[no-untyped-def]
    return register(
        instance.rt,
        Registration(
            kind="individual",
            login=f"panel-person-{n}",
            password="panel-password-123",
            public_name=f"状態検査{n}",
            persons={"self": PersonData(name=f"状態 花子{n}", email=f"panel-{n}@example.test")},
        ),
    )


def test_status_panel_counts_waiting_work_and_shows_builds_queue_and_workers(instance):
    moderator, group = poster_group(instance)
    waiting_accounts = [_register_individual(instance, n) for n in (1, 2)]
    for n, kind in enumerate(("event", "event", "notice")):
        submit_post(
            instance.rt, group, PostData(kind=kind, title=f"待っている投稿{n}", summary=".")
        )
    live = submit_post(instance.rt, group, PostData(kind="event", title="公開中", summary="."))
    with transaction(instance.rt.sessions) as db:
        db.get(Post, live).status = "approved"
        db.add(PostRevision(post_id=live, data="{}"))
        # The oldest waiting item: a registration of three days and five hours ago.
        db.get(Account, waiting_accounts[0]).created_at = utcnow() - timedelta(days=3, hours=5)
    propose(
        instance.rt, group, "contact", PersonData(name="変更 後子", email="changed@example.test")
    )
    submit_inquiry(
        instance.rt,
        InquiryData(
            category="other",
            message="状態画面の検査",
            name="問合 太郎",
            email="ask@example.test",
            phone="",
        ),
    )
    make_moderator(instance)
    client = client_for(instance)
    sign_in(client, *MODERATOR)

    page = client.get(STATUS)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<caption>審査・確認を待っているもの</caption>" in html
    assert cells(html, "投稿: イベント告知")[0] == "2"
    assert cells(html, "投稿: 参加募集")[0] == "0"
    assert cells(html, "投稿: お知らせ")[0] == "1"
    assert cells(html, "登録申請")[0] == "2"
    assert cells(html, "登録情報変更申請")[0] == "1"
    assert cells(html, "公開中の投稿の変更")[0] == "1"
    assert cells(html, "新しいお問い合わせ")[0] == "1"
    assert cells(html, "公開プロフィールの変更")[0] == "0"
    # The panel counts each queue as the moderators' navigation does (one definition).
    nav = client.get("/app/moderation/").get_data(as_text=True)
    for label in (
        "公開中の投稿の変更",
        "登録申請",
        "登録情報変更申請",
        "公開プロフィールの変更",
        "新しいお問い合わせ",
    ):
        shown = re.search(re.escape(label) + r"（(\d+)件）", nav)
        assert shown, label
        assert cells(html, label)[0] == shown.group(1), label
    assert cells(html, "登録申請")[2] == "3日5時間"
    assert "最も長く待っているもの" in html and "（3日5時間）" in html
    with instance.rt.sessions() as db:
        owed = db.scalar(select(func.count()).select_from(Task).where(Task.state == "pending"))
    assert owed and cells(html, "キューの長さ（rq）") == [str(owed)]
    assert cells(html, "最後の構築") == ["まだありません"]
    # No worker has run yet: said in words, not by colour.
    assert "警告: ワーカーが 300 秒以上見えません" in html  # HIROBA_WORKER_SILENCE_SECONDS

    # A build fails (a content file Pelican refuses) and a job fails.
    bad = instance.settings.content_dir / "posts" / "99999.md"
    bad.parent.mkdir(parents=True, exist_ok=True)
    bad.write_text("Title: 壊れた投稿\nNo_such_key: x\n\n本文\n", encoding="utf-8")
    with transaction(instance.rt.sessions) as db:
        request_rebuild(db)
    instance.rt.queue.enqueue("worker.no_such_module.job", job_id="panel-failing-job")
    instance.worker_burst()
    html = client.get(STATUS).get_data(as_text=True)
    assert cells(html, "結果") == ["失敗"]
    assert cells(html, "方式") == ["全体の構築"]
    assert cells(html, "所要時間")[0].endswith("秒")
    assert "最新のサイト構築に失敗しました" in html
    assert "no_such_key" in html.lower() and "99999.md" in html  # the failed build's log
    assert cells(html, "失敗したジョブ（rq）") == ["1"]
    assert "警告: 失敗したジョブが 1 件あります" in html
    assert cells(html, "キューの長さ（rq）") == ["0"]

    worker = instance.start_worker()
    try:
        wait_until(
            lambda: bool(Worker.all(connection=instance.rt.redis, queue=instance.rt.queue)),
            what="the worker registers with Redis",
        )
        html = client.get(STATUS).get_data(as_text=True)
        [name] = [w.name for w in Worker.all(connection=instance.rt.redis)]
        assert f'<th scope="row">{name}</th>' in html
        assert "<caption>ワーカー</caption>" in html
        assert "秒以上見えません" not in html
    finally:
        instance.kill_group(worker)


def test_status_panel_is_for_moderators_only(instance):
    moderator, group = poster_group(instance)
    client = client_for(instance)
    response = client.get(STATUS)
    assert response.status_code == 302 and "/app/login" in response.headers["Location"]
    sign_in(client, "lifecycle-group", "lifecycle-password-1")
    assert client.get(STATUS).status_code == 403
    assert "Redis" not in client.get(STATUS).get_data(as_text=True)
