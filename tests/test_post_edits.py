"""Posters edit and withdraw their own posts through HTTP: a live post's edit stays off the
site until a moderator approves it (a real worker and a real Pelican build show it)."""

from __future__ import annotations

import re

from accounts_support import approver
from actors import EVENT
from conftest import csrf_token, submit
from moderation_support import live_page, new_post, people, queue_links, review
from sqlalchemy import select

from intake.models import Post, PostRevision
from intake.moderation import decisions as post_decisions


def test_a_live_posts_edit_waits_for_approval_and_shows_its_diff(instance):
    who = people(instance)
    post_id = new_post(who)
    post_decisions.approve(instance.rt, approver(instance), post_decisions.Subject("post", post_id))
    instance.worker_burst()
    page = live_page(instance, post_id)
    assert "軍手を貸し出します" in page.read_text(encoding="utf-8")

    edit_url = f"/app/posts/{post_id}/edit"
    form = who.poster.get(edit_url).get_data(as_text=True)
    assert 'value="川沿いクリーン作戦"' in form and "公開中です" in form
    bad = submit(who.poster, edit_url, {**EVENT, "summary": "", "fee": "300円"})
    assert bad.status_code == 422 and "300円" in bad.get_data(as_text=True)

    body = "## 集合\n\n軍手を貸し出します。\n雨天中止。"
    first = submit(who.poster, edit_url, {**EVENT, "body": body})
    assert first.status_code == 302
    instance.worker_burst()
    assert "雨天中止" not in page.read_text(encoding="utf-8")  # the live page is unchanged
    mine = who.poster.get("/app/my").get_data(as_text=True)
    assert "変更を審査中" in mine

    # A newer edit supersedes the one under review; the edit form starts from it.
    assert "雨天中止" in who.poster.get(edit_url).get_data(as_text=True)
    second = submit(
        who.poster, edit_url, {**EVENT, "body": body.replace("中止", "決行"), "fee": "100円"}
    )
    assert second.status_code == 302
    with instance.rt.sessions() as db:
        revisions = list(db.scalars(select(PostRevision).order_by(PostRevision.id)))
        assert [r.status for r in revisions] == ["superseded", "pending"]
        assert db.get(Post, post_id).body == EVENT["body"]
    old, new = revisions
    queue = who.moderator.get("/app/moderation?state=edit").get_data(as_text=True)
    assert queue_links(queue) == [f"/app/moderation/revisions/{new.id}"]
    assert "公開中の投稿の変更" in queue
    stale = who.moderator.get(f"/app/moderation/revisions/{old.id}").get_data(as_text=True)
    assert "すでに判断済み" in stale

    path = f"/app/moderation/revisions/{new.id}"
    diff = who.moderator.get(path).get_data(as_text=True)
    assert "前回承認された内容からの変更（2項目）" in diff
    assert '<ins><span class="diff-tag">［追加］</span>雨天決行。' in diff
    assert '<del><span class="diff-tag">［削除］</span>無料</del>' in diff  # the fee, before
    assert '<ins><span class="diff-tag">［追加］</span>100円</ins>' in diff

    approved = review(
        who.moderator, path, body=body.replace("中止", "決行"), fee="100円", action="approve_edited"
    )
    assert approved.status_code == 302, approved.get_data(as_text=True)[:3000]
    instance.worker_burst()
    html = page.read_text(encoding="utf-8")
    assert "雨天決行" in html and "100円" in html
    mine = who.poster.get("/app/my").get_data(as_text=True)
    assert "変更を審査中" not in mine and "変更が承認されました" in mine


def test_a_waiting_post_is_edited_in_place(instance):
    who = people(instance)
    post_id = new_post(who)
    response = submit(who.poster, f"/app/posts/{post_id}/edit", {**EVENT, "title": "直した題名"})
    assert response.status_code == 302
    with instance.rt.sessions() as db:
        assert db.get(Post, post_id).title == "直した題名"
        assert db.scalar(select(PostRevision.id)) is None
    queue = who.moderator.get("/app/moderation").get_data(as_text=True)
    assert "直した題名" in queue and queue_links(queue) == [f"/app/moderation/posts/{post_id}"]

    # The moderator's page is older than the poster's next edit: approving it is refused.
    path = f"/app/moderation/posts/{post_id}"
    page = who.moderator.get(path).get_data(as_text=True)
    seen = re.search(r'name="seen" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    again = submit(who.poster, f"/app/posts/{post_id}/edit", {**EVENT, "title": "もう一度直した"})
    assert again.status_code == 302
    data = {**EVENT, "title": "直した題名", "action": "approve_edited", "seen": seen}
    stale = who.moderator.post(path, data={**data, "csrf_token": csrf_token(page)})
    assert stale.status_code == 302 and stale.headers["Location"].endswith(path)
    fresh = who.moderator.get(path).get_data(as_text=True)
    assert "この間に内容を修正しました" in fresh and 'value="もう一度直した"' in fresh
    with instance.rt.sessions() as db:
        assert db.get(Post, post_id).status in ("received", "pending")


def test_withdrawing_removes_the_live_page(instance):
    who = people(instance)
    post_id = new_post(who)
    post_decisions.approve(instance.rt, approver(instance), post_decisions.Subject("post", post_id))
    instance.worker_burst()
    page = live_page(instance, post_id)
    assert page.exists()
    url = f"/app/posts/{post_id}/withdraw"
    unconfirmed = submit(who.poster, url, {})
    assert unconfirmed.status_code == 422
    assert "確認のチェックを入れてください" in unconfirmed.get_data(as_text=True)
    assert submit(who.poster, url, {"confirm": "y"}).status_code == 302
    instance.worker_burst()
    assert not page.exists()
    with instance.rt.sessions() as db:
        post = db.get(Post, post_id)
        assert post.status == "withdrawn" and post.withdrawn_at is not None
    mine = who.poster.get("/app/my").get_data(as_text=True)
    assert "取り下げ" in mine and f"/app/posts/{post_id}/edit" not in mine
    assert who.poster.get(f"/app/posts/{post_id}/edit").status_code == 409


def test_only_the_owner_edits_or_withdraws_and_only_moderators_decide(instance):
    who = people(instance)
    post_id = new_post(who)
    for url in (f"/app/posts/{post_id}/edit", f"/app/posts/{post_id}/withdraw"):
        assert who.other.get(url).status_code == 404
        token = csrf_token(who.other.get("/app/my").get_data(as_text=True))
        data = {**EVENT, "title": "乗っ取り", "confirm": "y", "csrf_token": token}
        assert who.other.post(url, data=data).status_code == 404
        assert who.moderator.get(url).status_code == 403
    with instance.rt.sessions() as db:
        post = db.get(Post, post_id)
        assert post.title == EVENT["title"] and post.status in ("received", "pending")
    token = csrf_token(who.poster.get("/app/my").get_data(as_text=True))
    for url in (f"/app/moderation/posts/{post_id}", "/app/moderation/posts/bulk"):
        data = {"csrf_token": token, "action": "approve", "items": [f"post-{post_id}"]}
        assert who.poster.post(url, data=data).status_code == 403
    with instance.rt.sessions() as db:
        assert db.get(Post, post_id).status in ("received", "pending")
