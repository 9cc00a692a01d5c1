"""Moderating posts through HTTP: approve with edits, reject with a reason template, bulk
decisions, the queue's filters and reason templates; a real rq worker publishes and mails
(a real SMTP server), and a real Pelican build serves the result."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from accounts_support import approver
from actors import EVENT
from conftest import csrf_token, submit
from mailsink import mailsink  # noqa: F401 - the fixture
from moderation_support import (
    POSTER_ADDRESS,
    flashes,
    live_page,
    mailing_fixture,  # noqa: F401 - the fixture "mailing"
    new_post,
    people,
    queue_links,
    review,
)
from sqlalchemy import select, update

from intake.models import AuditEntry, Decision, Post, ReasonTemplate, utcnow
from intake.services import moderation, post_edits, reason_templates
from intake.services.posts import PostData, submit_post


def test_approve_with_edits_mails_the_poster_and_publishes_the_edited_text(mailing):
    instance, sink = mailing
    who = people(instance)
    post_id = new_post(who)
    instance.worker_burst()  # ingest
    path = f"/app/moderation/posts/{post_id}"
    assert queue_links(who.moderator.get("/app/moderation").get_data(as_text=True)) == [path]
    page = who.moderator.get(path).get_data(as_text=True)
    assert 'value="川沿いクリーン作戦"' in page and "差し戻し理由のひな形" in page

    # An edit that breaks a rule comes back with the message and what the moderator typed.
    bad = review(who.moderator, path, title="", fee="無料（軍手つき）", action="approve")
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "この項目は必須です" in html and "無料（軍手つき）" in html

    response = review(
        who.moderator, path, title="川沿いクリーン大作戦", fee="無料（軍手つき）", action="approve"
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
    ids = [new_post(who, title=f"まとめて承認{n}") for n in range(4)]
    index = who.moderator.get("/app/moderation").get_data(as_text=True)
    for post_id in ids:
        assert f'name="items" value="post-{post_id}"' in index
        assert f'<label for="pick-post-{post_id}"' in index
    # Decided elsewhere meanwhile: the bulk decision reports it and decides the others.
    moderation.decide_post(instance.rt, approver(instance), ids[3], approve=False, reason="重複")
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


def test_queue_filters_by_kind_state_age_and_poster_oldest_first(instance):
    who = people(instance)
    first = new_post(who, title="古い行事")
    notice = new_post(who, kind="notice", title="お知らせの投稿", accepts_applications="")
    live = new_post(who, title="公開中の行事")
    moderation.decide_post(instance.rt, approver(instance), live, approve=True)
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
    assert re.search(r"<td>10日</td>", html)  # each item shows its age
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
