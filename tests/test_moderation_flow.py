"""Moderating posts through HTTP: approve with edits, reject with a reason template, bulk
decisions, the queue's filters and reason templates; a real rq worker publishes and mails
(a real SMTP server), and a real Pelican build serves the result."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from accounts_support import approver, forget_outcome_mails
from actors import EVENT
from conftest import csrf_token, submit
from lifecycle_support import mentions
from mailsink import mailsink  # noqa: F401 - the fixture
from moderation_support import (
    POSTER_ADDRESS,
    flashes,
    live_page,
    mailing_fixture,  # noqa: F401 - the fixture "mailing"
    new_post,
    people,
    queue_links,
    queue_stamps,
    review,
)
from sqlalchemy import select, update

from intake.models import AuditEntry, Decision, Post, ReasonTemplate, utcnow
from intake.moderation import decisions as post_decisions
from intake.moderation import reasons as reason_templates
from intake.posts import edits as post_edits
from intake.posts.services import PostData, submit_post


def test_approve_with_edits_mails_the_poster_and_publishes_the_edited_text(mailing):
    instance, sink = mailing
    who = people(instance)
    forget_outcome_mails(instance, sink)
    post_id = new_post(who)
    instance.worker_burst()  # ingest
    path = f"/app/moderation/posts/{post_id}"
    assert queue_links(who.moderator.get("/app/moderation").get_data(as_text=True)) == [path]
    page = who.moderator.get(path).get_data(as_text=True)
    assert 'value="川沿いクリーン作戦"' in page and "差し戻し理由のひな形" in page

    # An edit that breaks a rule comes back with the message and what the moderator typed.
    bad = review(who.moderator, path, title="", fee="無料（軍手つき）", action="approve_edited")
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "この項目は必須です" in html and "無料（軍手つき）" in html

    response = review(
        who.moderator,
        path,
        title="川沿いクリーン大作戦",
        fee="無料（軍手つき）",
        action="approve_edited",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    instance.worker_burst()  # publish, build, mail

    html = live_page(instance, post_id).read_text(encoding="utf-8")
    assert "川沿いクリーン大作戦" in html and "無料（軍手つき）" in html
    [message] = sink.wait_for(1)
    assert message["To"] == POSTER_ADDRESS
    assert "承認" in message["Subject"]
    body = message.get_content()
    assert "「タイトル」: 川沿いクリーン作戦 → 川沿いクリーン大作戦" in body
    assert "「参加費」: 無料 → 無料（軍手つき）" in body
    assert "https://hiroba.example.jp/app/my" in body

    with instance.rt.sessions() as db:
        decision = db.scalars(select(Decision).where(Decision.subject_kind == "post")).one()
        assert json.loads(decision.edits) == {
            "title": ["川沿いクリーン作戦", "川沿いクリーン大作戦"],
            "fee": ["無料", "無料（軍手つき）"],
        }
        [entry] = db.scalars(select(AuditEntry).where(AuditEntry.action == "decide_post")).all()
        assert entry.target_id == post_id and entry.detail == "approve with edits: title, fee"
    mine = who.poster.get("/app/my").get_data(as_text=True)
    assert "運営者が次の点を修正して承認しました" in mine
    assert "「タイトル」: 川沿いクリーン作戦 → 川沿いクリーン大作戦" in mine
    instance.worker_burst()
    assert len(sink.messages) == 1  # a decision is mailed once


def test_reject_with_a_template_and_free_text_reaches_mail_and_my_page(mailing):
    instance, sink = mailing
    who = people(instance)
    forget_outcome_mails(instance, sink)
    post_id = new_post(who)
    path = f"/app/moderation/posts/{post_id}"
    template = reason_templates.all_templates(instance.rt, active_only=True)[0]
    page = who.moderator.get(path).get_data(as_text=True)
    assert f'<option value="{template.id}">{template.title}</option>' in page

    empty = review(who.moderator, path, action="reject", title="題名を直した")
    html = empty.get_data(as_text=True)
    assert empty.status_code == 422 and "理由のひな形を選ぶか理由を入力してください" in html
    assert 'value="題名を直した"' in html  # the input is kept

    response = review(
        who.moderator,
        path,
        action="reject",
        reason_template=str(template.id),
        reason="会場の予約が確認できた段階で、もう一度お送りください。",
    )
    assert response.status_code == 302
    instance.worker_burst()
    [message] = sink.wait_for(1)
    body = message.get_content()
    assert message["To"] == POSTER_ADDRESS and "差し戻し" in message["Subject"]
    assert template.body in body and "会場の予約が確認できた段階で" in body
    mine = who.poster.get("/app/my").get_data(as_text=True)
    assert "差し戻されました" in mine and template.body in mine
    assert "会場の予約が確認できた段階で" in mine
    assert not live_page(instance, post_id).exists()

    # The poster corrects it and sends it again: it comes back as a resubmission.
    fixed = submit(who.poster, f"/app/posts/{post_id}/edit", {**EVENT, "title": "直した告知"})
    assert fixed.status_code == 302
    queue = who.moderator.get("/app/moderation?state=resubmitted").get_data(as_text=True)
    assert queue_links(queue) == [path] and "差し戻し後の再申請" in queue


def test_bulk_approve_of_three_publishes_each_and_reports_a_conflict(mailing):
    instance, sink = mailing
    who = people(instance)
    forget_outcome_mails(instance, sink)
    ids = [new_post(who, title=f"まとめて承認{n}") for n in range(4)]
    index = who.moderator.get("/app/moderation").get_data(as_text=True)
    for post_id in ids:
        assert f'name="items" value="post-{post_id}"' in index
        assert f'<label for="pick-post-{post_id}"' in index
    # Decided elsewhere meanwhile: the bulk decision reports it and decides the others.
    post_decisions.reject(
        instance.rt, approver(instance), post_decisions.Subject("post", ids[3]), "重複"
    )
    token = csrf_token(index)
    nothing = who.moderator.post("/app/moderation/posts/bulk", data={"csrf_token": token})
    assert nothing.status_code == 422
    assert "チェックボックスで選んでください" in nothing.get_data(as_text=True)
    reject = who.moderator.post(
        "/app/moderation/posts/bulk",
        data={"csrf_token": token, "action": "reject", "items": [f"post-{ids[0]}"]},
    )
    html = reject.get_data(as_text=True)
    assert reject.status_code == 422 and "理由のひな形を選ぶか" in html
    assert f'value="post-{ids[0]}" id="pick-post-{ids[0]}" checked' in html  # still ticked

    response = who.moderator.post(
        "/app/moderation/posts/bulk",
        data={
            "csrf_token": token,
            "action": "approve",
            "reason_template": "0",
            "items": [f"post-{i}" for i in ids],
            **queue_stamps(index),
        },
        follow_redirects=True,
    )
    notice = flashes(response.get_data(as_text=True))
    assert "3件を承認しました" in notice
    assert "処理できなかった項目: 「まとめて承認3」（すでに判断済みです）" in notice
    instance.worker_burst()
    for post_id in ids[:3]:
        assert live_page(instance, post_id).exists()
    assert not live_page(instance, ids[3]).exists()
    messages = sink.wait_for(4)
    assert len(messages) == 4 and {m["To"] for m in messages} == {POSTER_ADDRESS}
    with instance.rt.sessions() as db:
        assert db.scalar(select(Post.status).where(Post.id == ids[3])) == "rejected"
        decided = db.scalars(select(AuditEntry.target_id).where(AuditEntry.action == "decide_post"))
        assert sorted(decided) == sorted(ids)


UNSEEN = ("見ていない題名", "見ていない本文の一文")


def bulk(client, index: str, action: str, items: list[str], **extra: str):  # type: ignore[no-untyped-def]
    """Send the queue's bulk form as rendered in index: its token, its rows' stamps, items."""
    data = {"csrf_token": csrf_token(index), "action": action, "reason_template": "0", **extra}
    return client.post(
        "/app/moderation/posts/bulk",
        data={**data, **queue_stamps(index), "items": items},
        follow_redirects=True,
    )


def test_bulk_approve_refuses_a_post_the_poster_changed_after_the_queue_was_shown(instance):
    who = people(instance)
    changed = new_post(who, title="見た題名")
    kept = new_post(who, title="変わらない題名")
    index = who.moderator.get("/app/moderation").get_data(as_text=True)
    assert "見た題名" in index
    edit = {**EVENT, "title": UNSEEN[0], "body": f"## 集合\n\n{UNSEEN[1]}"}
    assert submit(who.poster, f"/app/posts/{changed}/edit", edit).status_code == 302

    response = bulk(who.moderator, index, "approve", [f"post-{changed}", f"post-{kept}"])
    notice = flashes(response.get_data(as_text=True))
    assert "1件を承認しました" in notice
    assert f"処理できなかった項目: 「{UNSEEN[0]}」（一覧を表示した後に投稿者が" in notice
    with instance.rt.sessions() as db:
        assert db.get(Post, changed).status in ("received", "pending")
        assert db.get(Post, kept).status == "approved"
    instance.worker_burst()  # publish and build what was approved
    assert live_page(instance, kept).exists() and not live_page(instance, changed).exists()
    assert mentions(instance.settings.live_dir, *UNSEEN) == []

    # Reloaded, the queue shows the new version, and approving that one publishes it.
    again = who.moderator.get("/app/moderation").get_data(as_text=True)
    assert UNSEEN[0] in again
    notice = flashes(
        bulk(who.moderator, again, "approve", [f"post-{changed}"]).get_data(as_text=True)
    )
    assert "1件を承認しました" in notice and "処理できなかった" not in notice
    instance.worker_burst()
    html = live_page(instance, changed).read_text(encoding="utf-8")
    assert UNSEEN[0] in html and UNSEEN[1] in html


def test_bulk_reject_and_rows_without_their_stamp_decide_nothing_unseen(instance):
    who = people(instance)
    changed = new_post(who, title="見た題名")
    unstamped = new_post(who, title="スタンプなし")
    index = who.moderator.get("/app/moderation").get_data(as_text=True)
    edit = {**EVENT, "title": UNSEEN[0]}
    assert submit(who.poster, f"/app/posts/{changed}/edit", edit).status_code == 302
    data = {
        "csrf_token": csrf_token(index),
        "action": "reject",
        "reason_template": "0",
        "reason": "会場が確認できません。",
        "items": [f"post-{changed}", f"post-{unstamped}"],
        f"seen-post-{changed}": queue_stamps(index).get(f"seen-post-{changed}", ""),
    }
    response = who.moderator.post("/app/moderation/posts/bulk", data=data, follow_redirects=True)
    notice = flashes(response.get_data(as_text=True))
    assert "件を差し戻しました" not in notice
    assert f"「{UNSEEN[0]}」（一覧を表示した後に投稿者が" in notice
    assert "「スタンプなし」（一覧を表示した後に投稿者が" in notice
    with instance.rt.sessions() as db:
        assert {db.get(Post, i).status for i in (changed, unstamped)} <= {"received", "pending"}
        assert db.scalars(select(Decision).where(Decision.subject_kind == "post")).all() == []


def test_bulk_approve_of_a_live_posts_edit_refuses_one_superseded_meanwhile(instance):
    who = people(instance)
    post_id = new_post(who)
    post_decisions.approve(instance.rt, approver(instance), post_decisions.Subject("post", post_id))
    edit_url = f"/app/posts/{post_id}/edit"
    assert submit(who.poster, edit_url, {**EVENT, "title": "見た変更"}).status_code == 302
    index = who.moderator.get("/app/moderation").get_data(as_text=True)
    [shown] = [link for link in queue_links(index) if "/revisions/" in link]
    seen_key = "revision-" + shown.rsplit("/", 1)[1]
    assert submit(who.poster, edit_url, {**EVENT, "title": UNSEEN[0]}).status_code == 302

    notice = flashes(bulk(who.moderator, index, "approve", [seen_key]).get_data(as_text=True))
    assert "件を承認しました" not in notice
    assert f"「{EVENT['title']}」（一覧を表示した後に投稿者が" in notice
    instance.worker_burst()
    html = live_page(instance, post_id).read_text(encoding="utf-8")
    assert EVENT["title"] in html and "見た変更" not in html
    assert mentions(instance.settings.live_dir, UNSEEN[0], "見た変更") == []

    again = who.moderator.get("/app/moderation").get_data(as_text=True)
    [newer] = [link for link in queue_links(again) if "/revisions/" in link]
    newer_key = "revision-" + newer.rsplit("/", 1)[1]
    notice = flashes(bulk(who.moderator, again, "approve", [newer_key]).get_data(as_text=True))
    assert "1件を承認しました" in notice
    instance.worker_burst()
    assert UNSEEN[0] in live_page(instance, post_id).read_text(encoding="utf-8")


def test_queue_filters_by_kind_state_age_and_poster_oldest_first(instance):
    who = people(instance)
    first = new_post(who, title="古い行事")
    notice = new_post(who, kind="notice", title="お知らせの投稿", accepts_applications="")
    live = new_post(who, title="公開中の行事")
    post_decisions.approve(instance.rt, approver(instance), post_decisions.Subject("post", live))
    revision = post_edits.edit_post(
        instance.rt,
        who.poster_id,
        live,
        PostData(kind="event", title="公開中の行事（改）", summary="改"),
    ).revision_id
    post_event_other = submit(who.other, "/app/posts/new", {**EVENT, "title": "別団体の行事"})
    assert post_event_other.status_code == 302
    with instance.rt.sessions() as db:
        other = db.scalars(select(Post.id).where(Post.title == "別団体の行事")).one()
    with instance.rt.sessions() as db, db.begin():
        old = utcnow() - timedelta(days=10)
        db.execute(update(Post).where(Post.id == first).values(created_at=old))

    def listed(query: str) -> list[str]:
        response = who.moderator.get(f"/app/moderation{query}")
        assert response.status_code == 200, response.status_code
        return queue_links(response.get_data(as_text=True))

    post = "/app/moderation/posts/{}".format
    everything = listed("")
    assert everything[0] == post(first)  # the oldest first
    assert set(everything) == {
        post(first),
        post(notice),
        post(other),
        f"/app/moderation/revisions/{revision}",
    }
    assert listed("?kind=notice") == [post(notice)]
    assert listed("?state=edit") == [f"/app/moderation/revisions/{revision}"]
    assert listed("?state=new&older_than=7") == [post(first)]
    assert listed("?poster=団体42") == [post(other)]
    html = who.moderator.get("/app/moderation?older_than=7").get_data(as_text=True)
    assert re.search(r"<td[^>]*>10日</td>", html)  # each item shows its age
    wrong = who.moderator.get("/app/moderation?older_than=abc&poster=団体")
    html = wrong.get_data(as_text=True)
    assert wrong.status_code == 422 and 'value="団体"' in html and "エラー" in html

    # A long queue is paged (50 a page), and the filters stay on the page links.
    for n in range(50):
        submit_post(
            instance.rt, who.poster_id, PostData(kind="notice", title=f"多数{n}", summary="s")
        )
    assert len(listed("?kind=notice")) == 50
    page_two = who.moderator.get("/app/moderation?kind=notice&page=2").get_data(as_text=True)
    assert len(queue_links(page_two)) == 1 and "page=1" in page_two and "kind=notice" in page_two


def test_reason_templates_are_added_edited_reordered_and_deactivated(instance):
    who = people(instance)
    listing = who.moderator.get("/app/moderation/reasons").get_data(as_text=True)
    assert "必要な情報が不足しています" in listing  # seeded on first use
    bad = submit(who.moderator, "/app/moderation/reasons", {"title": "", "body": "本文だけ"})
    assert bad.status_code == 422 and "本文だけ" in bad.get_data(as_text=True)
    added = submit(
        who.moderator,
        "/app/moderation/reasons",
        {"title": "日時が過ぎています", "body": "開催日時がすでに過ぎています。"},
    )
    assert added.status_code == 302
    with instance.rt.sessions() as db:
        ordered = list(db.scalars(select(ReasonTemplate).order_by(ReasonTemplate.position)))
    assert ordered[-1].title == "日時が過ぎています"
    newest, first = ordered[-1], ordered[0]
    token = csrf_token(listing)
    moved = who.moderator.post(
        f"/app/moderation/reasons/{newest.id}/move", data={"csrf_token": token, "step": "-1"}
    )
    assert moved.status_code == 302
    titles = [t.title for t in reason_templates.all_templates(instance.rt)]
    assert titles[-2] == "日時が過ぎています"
    edit = submit(
        who.moderator,
        f"/app/moderation/reasons/{first.id}",
        {"title": first.title, "body": first.body},  # "active" left unticked
    )
    assert edit.status_code == 302
    post_id = new_post(who)
    page = who.moderator.get(f"/app/moderation/posts/{post_id}").get_data(as_text=True)
    assert f'<option value="{first.id}">' not in page and "日時が過ぎています" in page
    assert who.poster.get("/app/moderation/reasons").status_code == 403
