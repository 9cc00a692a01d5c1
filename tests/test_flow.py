"""The whole pipeline end to end: real Redis, a real rq worker, a real Pelican build."""

from __future__ import annotations

from actors import (
    EVENT_DAY_JA,
    applicant,
    decide,
    ids_in,
    make_moderator,
    post_event,
    register_group,
    sign_in,
    sign_out,
)
from conftest import submit
from sqlalchemy import select

from intake.models import Account, Application, Post


def test_register_approve_post_publish_apply(instance, client):
    register_group(client, 1, "test-group-1")
    with instance.rt.sessions() as db:
        account = db.scalars(select(Account).where(Account.kind == "group")).one()
        assert account.status == "received"
    instance.worker_burst()
    with instance.rt.sessions() as db:
        assert db.get(Account, account.id).status == "pending"

    # A pending group cannot sign in yet, and is told so after its right password.
    response = submit(
        client, "/app/login", {"login": "test-group-1", "password": "group-password-123"}
    )
    assert response.status_code == 422
    assert "登録は審査中です" in response.get_data(as_text=True)

    make_moderator(instance)
    sign_in(client, "mod-tester", "moderator-password-1")
    queue = client.get("/app/moderation").get_data(as_text=True)
    assert "テスト団体1" in queue
    assert ids_in(queue, r"/app/moderation/accounts/(\d+)") == [account.id]
    review = client.get(f"/app/moderation/accounts/{account.id}").get_data(as_text=True)
    assert "漏洩検査 花子1" in review  # the moderator sees the personal data, and it is audited
    decide(client, f"/app/moderation/accounts/{account.id}")
    sign_out(client)

    sign_in(client, "test-group-1", "group-password-123")
    post_event(client)
    mine = client.get("/app/my").get_data(as_text=True)
    assert "川沿いクリーン作戦" in mine and "受付済み" in mine
    instance.worker_burst()
    sign_out(client)

    sign_in(client, "mod-tester", "moderator-password-1")
    queue = client.get("/app/moderation").get_data(as_text=True)
    [post_id] = ids_in(queue, r"/app/moderation/posts/(\d+)")
    decide(client, f"/app/moderation/posts/{post_id}")
    sign_out(client)

    instance.worker_burst()
    page = instance.settings.live_dir / "events" / str(post_id) / "index.html"
    html = page.read_text(encoding="utf-8")
    assert "川沿いクリーン作戦" in html
    assert EVENT_DAY_JA in html and "14:00" in html
    assert "落合第一地域センター" in html
    assert f"/app/events/{post_id}/apply" in html
    # The same origin serves the live site.
    with client.get(f"/events/{post_id}/") as served:
        assert served.status_code == 200 and "川沿いクリーン作戦" in served.get_data(as_text=True)

    response = submit(client, f"/app/events/{post_id}/apply", applicant(1))
    assert response.status_code == 302
    instance.worker_burst()
    with instance.rt.sessions() as db:
        [application] = db.scalars(select(Application)).all()
        assert application.post_id == post_id
        assert application.status == "confirmed"
        assert instance.rt.vault.open(application.name_enc, "applications.name") == "申込検査 次郎1"
        assert db.get(Post, post_id).status == "approved"


def test_rejected_post_shows_reason_to_poster_and_is_not_published(instance, client):
    register_group(client, 2, "test-group-2")
    make_moderator(instance)
    sign_in(client, "mod-tester", "moderator-password-1")
    with instance.rt.sessions() as db:
        account_id = db.scalars(select(Account.id).where(Account.kind == "group")).one()
    decide(client, f"/app/moderation/accounts/{account_id}")
    sign_out(client)
    sign_in(client, "test-group-2", "group-password-123")
    post_event(client, title="差し戻される投稿")
    sign_out(client)
    sign_in(client, "mod-tester", "moderator-password-1")
    [post_id] = ids_in(
        client.get("/app/moderation").get_data(as_text=True), r"/app/moderation/posts/(\d+)"
    )
    response = submit(
        client, f"/app/moderation/posts/{post_id}", {"action": "reject", "reason": ""}
    )
    assert response.status_code == 422
    assert "理由を入力してください" in response.get_data(as_text=True)
    decide(
        client,
        f"/app/moderation/posts/{post_id}",
        approve=False,
        reason="会場の住所を確認してください。",
    )
    sign_out(client)
    sign_in(client, "test-group-2", "group-password-123")
    mine = client.get("/app/my").get_data(as_text=True)
    assert "差し戻し" in mine and "会場の住所を確認してください。" in mine
    instance.worker_burst()
    assert not (instance.settings.content_dir / "posts" / f"{post_id}.md").exists()
    assert client.get(f"/app/events/{post_id}/apply").status_code == 404
