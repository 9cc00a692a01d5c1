"""Old content: past events are archived by the worker's periodic job, and stale items are
removed after a request to their poster (real worker, real build, real SMTP, HTTP)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from accounts_support import client_for, reconfigure
from actors import MODERATOR, make_moderator, sign_in, sign_out
from conftest import csrf_token
from lifecycle_support import (
    POSTER_EMAIL,
    approved_event,
    page_mentions,
    poster_group,
    wait_until,
)
from mailsink import MailSink, mailsink  # noqa: F401 - the fixture
from sqlalchemy import select

from intake.deployment import load_deployment
from intake.errors import ConfigError
from intake.models import AuditEntry, Decision, Post, utcnow
from intake.site.stale import archive_past, now_jst
from intake.store import transaction

REASON = "この募集は終了しているようです。内容を更新するか、取り下げてください。"


def test_archiving_job_archives_only_events_over_for_longer_than_the_period(instance):
    reconfigure(instance, toml="[content]\narchive_after_days = 30\n")
    moderator, group = poster_group(instance)
    now = now_jst().replace(second=0, microsecond=0)
    long_over = approved_event(
        instance, moderator, group, "ずっと前の催し", now - timedelta(days=31)
    )
    recently = approved_event(instance, moderator, group, "最近の催し", now - timedelta(days=29))
    old_recruit = approved_event(
        instance, moderator, group, "前の募集", now - timedelta(days=40), kind="recruitment"
    )
    recurring = approved_event(instance, moderator, group, "続く教室", now - timedelta(days=60))
    with transaction(instance.rt.sessions) as db:
        # Its first occurrence is long over, its last one is still to come: it stays.
        later = now + timedelta(days=7)
        db.get(Post, recurring).occurrences = json.dumps(
            [
                [f"{now - timedelta(days=60):%Y-%m-%dT%H:%M}", None],
                [f"{later:%Y-%m-%dT%H:%M}", None],
            ]
        )
    instance.worker_burst()
    live = instance.settings.live_dir
    assert (live / "events" / str(long_over) / "index.html").is_file()

    worker = instance.start_worker()  # its reconciler schedules the archiving job
    try:
        wait_until(
            lambda: (
                not (live / "events" / str(long_over) / "index.html").exists()
                and not (live / "recruitment" / str(old_recruit) / "index.html").exists()
            ),
            what="the archived items leave the site",
        )
    finally:
        instance.kill_group(worker)
    with instance.rt.sessions() as db:
        status = {
            pid: db.get(Post, pid).status for pid in (long_over, recently, old_recruit, recurring)
        }
        archived_at = db.get(Post, long_over).archived_at
        audited = sorted(
            e.target_id
            for e in db.scalars(select(AuditEntry).where(AuditEntry.action == "archive_post"))
        )
    assert status == {
        long_over: "archived",
        recently: "approved",
        old_recruit: "archived",
        recurring: "approved",
    }
    assert archived_at is not None
    assert audited == sorted([long_over, old_recruit])
    site = live.resolve()
    assert page_mentions(site, "ずっと前の催し", "前の募集") == []
    assert (site / "events" / str(recently) / "index.html").is_file()
    assert (site / "events" / str(recurring) / "index.html").is_file()
    assert archive_past(instance.rt) == []  # nothing left to do: running again changes nothing

    client = client_for(instance)
    sign_in(client, "lifecycle-group", "lifecycle-password-1")
    mine = client.get("/app/my").get_data(as_text=True)
    assert mine.count("アーカイブ済み") == 2


def _stale_request(client, post_id: int, reason: str):  # type: ignore[no-untyped-def]
    page = client.get(f"/app/moderation/live/{post_id}")
    return client.post(
        f"/app/moderation/live/{post_id}/stale",
        data={"reason": reason, "csrf_token": csrf_token(page.get_data(as_text=True))},
    )


def test_stale_request_mail_then_removal_after_the_deadline(
    instance,
    mailsink: MailSink,  # noqa: F811
):
    reconfigure(
        instance,
        toml="[content]\nstale_deadline_days = 3\n",
        HIROBA_SMTP_HOST=mailsink.host,
        HIROBA_SMTP_PORT=str(mailsink.port),
    )
    moderator, group = poster_group(instance)
    ignored = approved_event(instance, moderator, group, "放置された募集", kind="recruitment")
    answered = approved_event(instance, moderator, group, "更新された募集", kind="recruitment")
    instance.worker_burst()
    make_moderator(instance)
    client = client_for(instance)
    sign_in(client, *MODERATOR)

    refused = _stale_request(client, ignored, "")
    assert refused.status_code == 422 and "理由を入力してください" in refused.get_data(as_text=True)
    asked_at = utcnow()
    for post_id in (ignored, answered):
        assert _stale_request(client, post_id, REASON).status_code == 302
    with instance.rt.sessions() as db:
        post = db.get(Post, ignored)
        assert post.stale_reason == REASON
        days = (post.stale_deadline - post.stale_requested_at).days
        assert days == 3 and post.stale_requested_at >= asked_at.replace(microsecond=0)
    listed = client.get("/app/moderation/stale").get_data(as_text=True)
    assert "期限切れの依頼はありません" in listed and "投稿者の対応待ち" in listed

    instance.worker_burst()
    messages = mailsink.wait_for(2)
    asks = [m for m in messages if "古い情報の削除依頼" in m["Subject"]]
    assert len(asks) == 2 and {m["To"] for m in asks} == {POSTER_EMAIL}
    assert REASON in asks[0].get_content() and "までに" in asks[0].get_content()
    sign_out(client)
    sign_in(client, "lifecycle-group", "lifecycle-password-1")
    mine = client.get("/app/my").get_data(as_text=True)
    assert "運営者からの削除依頼（2件）" in mine and REASON in mine
    sign_out(client)

    # Time passes: both deadlines are over; the poster edited one of the two meanwhile.
    with transaction(instance.rt.sessions) as db:
        for post_id in (ignored, answered):
            post = db.get(Post, post_id)
            post.stale_requested_at -= timedelta(days=4)
            post.stale_deadline -= timedelta(days=4)
            post.updated_at -= timedelta(days=4)
        db.get(Post, answered).updated_at = utcnow()
    sign_in(client, *MODERATOR)
    listed = client.get("/app/moderation/stale")
    text = listed.get_data(as_text=True)
    assert f'value="{ignored}"' in text and f'value="{answered}"' not in text
    assert "投稿者が更新済み" in text
    response = client.post(
        "/app/moderation/stale",
        data={"posts": [str(ignored), str(answered)], "csrf_token": csrf_token(text)},
    )
    assert response.status_code == 302
    assert "1件の投稿を削除しました" in client.get("/app/moderation/stale").get_data(as_text=True)
    instance.worker_burst()

    site = instance.settings.live_dir.resolve()
    assert page_mentions(site, "放置された募集", f"/recruitment/{ignored}/") == []
    assert (site / "recruitment" / str(answered) / "index.html").is_file()
    with instance.rt.sessions() as db:
        assert db.get(Post, ignored).status == "removed"
        assert db.get(Post, answered).status == "approved"
        actions = [
            (d.action, d.subject_id)
            for d in db.scalars(select(Decision).where(Decision.subject_kind == "post"))
            if d.action in ("stale_request", "remove_stale")
        ]
        audited = [
            (e.action, e.target_id)
            for e in db.scalars(select(AuditEntry))
            if e.action in ("request_stale_removal", "remove_stale_post")
        ]
    assert sorted(actions) == sorted(
        [("stale_request", ignored), ("stale_request", answered), ("remove_stale", ignored)]
    )
    assert sorted(audited) == sorted(
        [
            ("request_stale_removal", ignored),
            ("request_stale_removal", answered),
            ("remove_stale_post", ignored),
        ]
    )
    # A removed item cannot be asked about again.
    assert _stale_request(client, ignored, REASON).status_code == 409
    sign_out(client)
    sign_in(client, "lifecycle-group", "lifecycle-password-1")
    assert "削除済み（古い情報）" in client.get("/app/my").get_data(as_text=True)


def test_removing_needs_a_choice_and_only_moderators_may(instance):
    moderator, group = poster_group(instance)
    approved_event(instance, moderator, group, "対象の催し")
    client = client_for(instance)
    assert client.get("/app/moderation/stale").status_code == 302
    sign_in(client, "lifecycle-group", "lifecycle-password-1")
    token = csrf_token(client.get("/app/my").get_data(as_text=True))
    assert client.get("/app/moderation/stale").status_code == 403
    assert client.post("/app/moderation/stale", data={"csrf_token": token}).status_code == 403
    sign_out(client)
    make_moderator(instance)
    sign_in(client, *MODERATOR)
    page = client.get("/app/moderation/stale").get_data(as_text=True)
    refused = client.post("/app/moderation/stale", data={"csrf_token": csrf_token(page)})
    assert refused.status_code == 422
    assert "削除する投稿を選んでください" in refused.get_data(as_text=True)


@pytest.mark.parametrize(
    "text",
    [
        "[content]\narchive_after_days = 0\n",
        "[content]\narchive_after_days = true\n",
        '[content]\nstale_deadline_days = "14"\n',
        "[content]\nkeep_forever = 1\n",
    ],
)
def test_content_settings_are_checked(tmp_path, text):
    (tmp_path / "hiroba.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="content"):
        load_deployment(tmp_path)


def test_content_settings_default_and_read(tmp_path):
    assert load_deployment(tmp_path).archive_after_days == 180
    assert load_deployment(tmp_path).stale_deadline_days == 14
    (tmp_path / "hiroba.toml").write_text(
        "[content]\narchive_after_days = 365\nstale_deadline_days = 7\n", encoding="utf-8"
    )
    loaded = load_deployment(tmp_path)
    assert (loaded.archive_after_days, loaded.stale_deadline_days) == (365, 7)
