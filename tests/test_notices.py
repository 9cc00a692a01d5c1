"""Operator notices (運営からのお知らせ) through HTTP, a real worker and a real build.

A moderator writes a notice at /app/moderation/notices; the same publish task as any
approved post puts it on the home page's section, its own page and the feeds, in
Japanese and under /en/; hostile text stays text; withdrawing it takes it off again;
only moderators reach the pages. Writing, editing and withdrawing are audited.
"""

from __future__ import annotations

from accounts_support import client_for, register_and_approve, sign_in_member
from actors import MODERATOR, make_moderator, sign_in
from conftest import csrf_token, submit
from lifecycle_support import atom_entries
from sqlalchemy import select

from intake.models import AuditEntry, Post
from intake.posts.models import PostStatus

TITLE = "年末年始の窓口休業のお知らせ"
HOSTILE = '<script>alert("notice")</script><img src=x onerror=alert(1)>'


def write_notice(client, title: str, summary: str, body: str):  # type: ignore[no-untyped-def]
    return submit(
        client,
        "/app/moderation/notices/new",
        {"title": title, "summary": summary, "body": body},
    )


def test_a_moderators_notice_is_published_edited_and_withdrawn(instance):  # type: ignore[no-untyped-def]
    make_moderator(instance)
    client = client_for(instance)
    sign_in(client, *MODERATOR)

    # Bad input comes back with the field's message and what was typed.
    refused = write_notice(client, "", "概要だけ", "")
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert 'aria-invalid="true"' in page and "この項目は必須です" in page and "概要だけ" in page

    summary = f"12月29日から1月3日まで窓口を休みます。{HOSTILE}"
    body = f"## 休業期間\n\n窓口はお休みです。\n\n{HOSTILE}\n\n<iframe src=//evil.example></iframe>"
    response = write_notice(client, TITLE, summary, body)
    assert response.status_code == 302
    with instance.rt.sessions() as db:
        post = db.scalars(select(Post).where(Post.title == TITLE)).one()
        assert post.from_operator and post.status == PostStatus.APPROVED and post.kind == "notice"
        post_id = post.id
        actions = list(db.scalars(select(AuditEntry.action).where(AuditEntry.target_id == post_id)))
    assert "write_notice" in actions

    listed = client.get("/app/moderation/notices").get_data(as_text=True)
    assert TITLE in listed and "掲載中" in listed

    instance.worker_burst()
    site = instance.settings.live_dir.resolve()
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "運営からのお知らせ" in home and TITLE in home
    assert f"/notices/{post_id}/" in home
    own = (site / "notices" / str(post_id) / "index.html").read_text(encoding="utf-8")
    assert TITLE in own and "運営からのお知らせ" in own and "休業期間" in own
    english_home = (site / "en" / "index.html").read_text(encoding="utf-8")
    assert "Notices from the operator" in english_home and TITLE in english_home
    english_page = (site / "en" / "notices" / str(post_id) / "index.html").read_text(
        encoding="utf-8"
    )
    assert TITLE in english_page and "Notices from the operator" in english_page
    for text in (home, own, english_home, english_page):
        assert '<script>alert("notice")' not in text and "<img src=x" not in text
        assert "<iframe" not in text
    assert "&lt;script&gt;" in home  # the summary is text, shown escaped
    for feed in ("all", "notices", "operator"):
        titles = [e["title"] for e in atom_entries(site / "feeds" / f"{feed}.atom.xml")]
        assert TITLE in titles, feed

    # Editing republishes; the audit log names the fields, not the values.
    page = client.get(f"/app/moderation/notices/{post_id}/edit")
    assert page.status_code == 200 and TITLE in page.get_data(as_text=True)
    edited = client.post(
        f"/app/moderation/notices/{post_id}/edit",
        data={
            "title": TITLE + "（更新）",
            "summary": "窓口は1月4日から開きます。",
            "body": "",
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )
    assert edited.status_code == 302
    instance.worker_burst()
    site = instance.settings.live_dir.resolve()
    assert TITLE + "（更新）" in (site / "index.html").read_text(encoding="utf-8")

    # Withdrawing takes it off the home page, its page and the feeds.
    listed = client.get("/app/moderation/notices")
    gone = client.post(
        f"/app/moderation/notices/{post_id}/withdraw",
        data={"csrf_token": csrf_token(listed.get_data(as_text=True))},
    )
    assert gone.status_code == 302
    instance.worker_burst()
    site = instance.settings.live_dir.resolve()
    assert TITLE not in (site / "index.html").read_text(encoding="utf-8")
    assert not (site / "notices" / str(post_id) / "index.html").exists()
    for feed in ("all", "notices", "operator"):
        titles = [e["title"] for e in atom_entries(site / "feeds" / f"{feed}.atom.xml")]
        assert not any(TITLE in t for t in titles), feed
    with instance.rt.sessions() as db:
        assert db.get(Post, post_id).status == PostStatus.WITHDRAWN  # type: ignore[union-attr]
        actions = list(db.scalars(select(AuditEntry.action).where(AuditEntry.target_id == post_id)))
    assert {"write_notice", "edit_notice", "withdraw_notice"} <= set(actions)


def test_only_moderators_reach_the_notice_and_banner_pages(instance):  # type: ignore[no-untyped-def]
    anonymous = client_for(instance)
    for path in (
        "/app/moderation/notices",
        "/app/moderation/notices/new",
        "/app/moderation/banner",
    ):
        response = anonymous.get(path)
        assert response.status_code == 302 and "/app/login" in response.headers["Location"]
    member = client_for(instance)
    register_and_approve(instance, member, 41, "notice-member")
    sign_in_member(member, "notice-member")
    for path in (
        "/app/moderation/notices",
        "/app/moderation/notices/new",
        "/app/moderation/banner",
    ):
        assert member.get(path).status_code == 403
    token = csrf_token(member.get("/app/account").get_data(as_text=True))
    refused = member.post(
        "/app/moderation/notices/new",
        data={"title": "偽のお知らせ", "summary": "偽物", "csrf_token": token},
    )
    assert refused.status_code == 403
    with instance.rt.sessions() as db:
        assert db.scalars(select(Post).where(Post.title == "偽のお知らせ")).first() is None
