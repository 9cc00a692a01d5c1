"""Posters change a post's flyers and images through its edit form (HTTP, a real worker and
a real Pelican build): a live post keeps its approved files until a moderator approves the
edit; a rejected or superseded edit's new files are erased, never published."""

from __future__ import annotations

import io
import re
from pathlib import Path

from accounts_support import approver, reconfigure
from actors import EVENT
from alembic import command
from conftest import csrf_token
from moderation_support import live_page, people, review
from sqlalchemy import create_engine, select, text
from upload_samples import pdf_with_metadata, photo_with_gps, png
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from intake.models import Post, PostRevision, Upload
from intake.moderation import decisions as post_decisions
from intake.site.takedown import take_down
from intake.store import alembic_config


def _send(client, url: str, fields: dict, files: dict[str, bytes]):  # type: ignore[no-untyped-def]
    """GET the form at url, then POST it as multipart built in memory (see test_uploads)."""
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    data: dict = {**fields, "csrf_token": csrf_token(page.get_data(as_text=True))}
    for name, content in files.items():
        data[name] = FileStorage(io.BytesIO(content), f"{name}.bin")
    boundary, body = encode_multipart(data)
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def _uploads(instance) -> list[Upload]:  # type: ignore[no-untyped-def]
    with instance.rt.sessions() as db:
        return list(db.scalars(select(Upload).order_by(Upload.id)))


def _live_post_with_files(instance, who) -> tuple[int, Upload, Upload]:  # type: ignore[no-untyped-def]
    """Post an event with a photo and a flyer, approve it, publish it; return id and files."""
    response = _send(
        who.poster,
        "/app/posts/new",
        {**EVENT, "images-0-alt": "川沿いの写真", "pdfs-0-title": "最初のチラシ"},
        {"images-0-file": photo_with_gps(40, 20), "pdfs-0-file": pdf_with_metadata()},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    image, pdf = _uploads(instance)
    post_decisions.approve(
        instance.rt, approver(instance), post_decisions.Subject("post", image.post_id)
    )
    instance.worker_burst()
    return int(image.post_id), image, pdf  # type: ignore[arg-type]


def _on_site(instance, token: str) -> bool:  # type: ignore[no-untyped-def]
    """Tell whether a file of this upload is in the content tree or the live site."""
    settings = instance.settings
    roots = [settings.content_dir, settings.live_dir.resolve()]
    return any(root.exists() and any(root.rglob(f"*{token}*")) for root in roots)


def _private(instance, token: str) -> Path:  # type: ignore[no-untyped-def]
    return instance.settings.home / "uploads" / token


def test_a_live_posts_file_changes_wait_for_approval_then_apply(instance):
    who = people(instance)
    post_id, image, pdf = _live_post_with_files(instance, who)
    page = live_page(instance, post_id)
    assert _on_site(instance, image.token) and _on_site(instance, pdf.token)

    edit_url = f"/app/posts/{post_id}/edit"
    form = who.poster.get(edit_url).get_data(as_text=True)
    assert "画像「川沿いの写真」（登録済み）" in form and "PDF「最初のチラシ」" in form
    assert f'name="remove_files" type="checkbox" value="{pdf.token}"' in form
    assert "追加する画像1" in form and 'enctype="multipart/form-data"' in form

    # A bad new file: the form comes back with its message, the typed text and the ticks.
    bad = _send(
        who.poster,
        edit_url,
        {**EVENT, "fee": "300円", "remove_files": pdf.token, "images-0-alt": "壊れた画像"},
        {"images-0-file": b"not an image at all"},
    )
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "JPEG、PNG、WebP の画像ではありません" in html
    assert 'value="300円"' in html and 'value="壊れた画像"' in html
    assert re.search(rf'checked[^>]*value="{pdf.token}"|value="{pdf.token}"[^>]*checked', html)
    assert len(_uploads(instance)) == 2

    edited = _send(
        who.poster,
        edit_url,
        {**EVENT, "remove_files": pdf.token, "images-0-alt": "新しい緑の画像"},
        {"images-0-file": png()},
    )
    assert edited.status_code == 302, edited.get_data(as_text=True)[:3000]
    added = _uploads(instance)[-1]
    assert (added.kind, added.state, added.alt) == ("image", "proposed", "新しい緑の画像")
    instance.worker_burst()
    # Nothing changed on the site: the old files stay, the new one is not served.
    html = page.read_text(encoding="utf-8")
    assert pdf.token in html and image.token in html and added.token not in html
    assert _on_site(instance, pdf.token) and not _on_site(instance, added.token)
    with who.poster.get(f"/media/{post_id}/{added.token}-30.webp") as served:
        assert served.status_code == 404

    # The form continues the edit under review: the new file listed, the PDF still ticked.
    again = who.poster.get(edit_url).get_data(as_text=True)
    assert "画像「新しい緑の画像」（審査中の変更で追加）" in again
    assert re.search(rf'checked[^>]*value="{pdf.token}"|value="{pdf.token}"[^>]*checked', again)

    with instance.rt.sessions() as db:
        revision = db.scalars(select(PostRevision).where(PostRevision.status == "pending")).one()
    path = f"/app/moderation/revisions/{revision.id}"
    diff = who.moderator.get(path).get_data(as_text=True)
    assert "前回承認された内容からの変更（1項目）" in diff
    removed = re.search(r"<del><span class=\"diff-tag\">［削除］</span>(.*?)</del>", diff, re.S)
    added_html = re.search(r"<ins><span class=\"diff-tag\">［追加］</span>(.*?)</ins>", diff, re.S)
    assert removed and f"/app/moderation/uploads/{pdf.token}" in removed.group(1)
    assert "最初のチラシ" in removed.group(1)
    assert added_html and f"/app/moderation/uploads/{added.token}" in added_html.group(1)
    assert "新しい緑の画像" in added_html.group(1)
    with who.moderator.get(f"/app/moderation/uploads/{added.token}") as shown:
        assert shown.status_code == 200 and shown.mimetype == "image/webp"
    with who.poster.get(f"/app/moderation/uploads/{added.token}") as refused:
        assert refused.status_code == 403

    approved = review(who.moderator, path, action="approve")
    assert approved.status_code == 302, approved.get_data(as_text=True)[:3000]
    assert not _private(instance, pdf.token).exists()  # erased with the approval
    instance.worker_burst()
    html = page.read_text(encoding="utf-8")
    assert f"/media/{post_id}/{added.token}-30.webp" in html and 'alt="新しい緑の画像"' in html
    assert image.token in html and pdf.token not in html and "最初のチラシ" not in html
    assert not _on_site(instance, pdf.token) and _on_site(instance, added.token)
    live_media = instance.settings.live_dir.resolve() / "media" / str(post_id)
    assert sorted(p.name for p in live_media.iterdir()) == sorted(
        [f"{image.token}-20.webp", f"{added.token}-30.webp"]
    )
    with who.poster.get(f"/media/{post_id}/{pdf.token}.pdf") as gone:
        assert gone.status_code == 404
    states = {u.token: u.state for u in _uploads(instance)}
    assert states == {image.token: "live", added.token: "live"}


def test_superseded_and_rejected_edits_erase_their_new_files(instance):
    who = people(instance)
    post_id, image, pdf = _live_post_with_files(instance, who)
    edit_url = f"/app/posts/{post_id}/edit"
    first = _send(
        who.poster, edit_url, {**EVENT, "images-0-alt": "一枚目の案"}, {"images-0-file": png()}
    )
    assert first.status_code == 302
    draft = _uploads(instance)[-1]
    assert draft.state == "proposed" and _private(instance, draft.token).is_dir()

    # A newer edit takes the first one's file away and adds another: the first is erased.
    second = _send(
        who.poster,
        edit_url,
        {**EVENT, "remove_files": draft.token, "pdfs-0-title": "差し替え案"},
        {"pdfs-0-file": pdf_with_metadata()},
    )
    assert second.status_code == 302, second.get_data(as_text=True)[:3000]
    assert not _private(instance, draft.token).exists()
    with instance.rt.sessions() as db:
        revisions = list(db.scalars(select(PostRevision).order_by(PostRevision.id)))
        assert [r.status for r in revisions] == ["superseded", "pending"]
        assert db.scalar(select(Upload).where(Upload.token == draft.token)) is None
    newest = _uploads(instance)[-1]
    assert (newest.state, newest.revision_id) == ("proposed", revisions[1].id)

    path = f"/app/moderation/revisions/{revisions[1].id}"
    diff = who.moderator.get(path).get_data(as_text=True)
    assert f"/app/moderation/uploads/{newest.token}" in diff and "差し替え案" in diff
    rejected = review(
        who.moderator, path, action="reject", reason="チラシの内容を確認できませんでした。"
    )
    assert rejected.status_code == 302, rejected.get_data(as_text=True)[:3000]
    assert not _private(instance, newest.token).exists()
    instance.worker_burst()
    assert not _on_site(instance, newest.token)
    assert {u.token for u in _uploads(instance)} == {image.token, pdf.token}
    html = live_page(instance, post_id).read_text(encoding="utf-8")
    assert image.token in html and pdf.token in html  # the approved files stay


def test_a_waiting_posts_files_change_in_place_within_the_limits(instance):
    limits = "[uploads]\nimages = 1\npdfs = 1\nimage_megabytes = 1\npdf_megabytes = 1\n"
    reconfigure(instance, limits)
    who = people(instance)
    response = _send(
        who.poster,
        "/app/posts/new",
        {**EVENT, "images-0-alt": "最初の画像"},
        {"images-0-file": png()},
    )
    assert response.status_code == 302
    [image] = _uploads(instance)
    edit_url = f"/app/posts/{image.post_id}/edit"

    # One image is the limit: adding a second without taking the first away is refused.
    over = _send(
        who.poster,
        edit_url,
        {**EVENT, "title": "題名を直した", "images-0-alt": "二枚目"},
        {"images-0-file": png(20, 20)},
    )
    html = over.get_data(as_text=True)
    assert over.status_code == 422
    assert "画像は1枚までです。外す画像を選ぶか、追加を減らしてください。" in html
    assert "このファイルは保存されていません" in html and 'value="題名を直した"' in html
    assert len(_uploads(instance)) == 1

    # Over the file's limit but within the request's (the edit form takes files): its message.
    big = b"\xff\xd8\xff" + b"\0" * (1024 * 1024 + 10)
    refused = _send(who.poster, edit_url, {**EVENT, "images-0-alt": "大"}, {"images-0-file": big})
    assert refused.status_code == 422
    assert "ファイルが大きすぎます。1 MB 以下のファイルを選んでください。" in refused.get_data(
        as_text=True
    )

    # Over the whole request's limit (3 MB here): refused unread, the edit form comes back.
    huge = _send(who.poster, edit_url, EVENT, {"images-0-file": b"\0" * (3 * 1024 * 1024 + 1)})
    html = huge.get_data(as_text=True)
    assert huge.status_code == 413
    assert "ファイルが大きすぎるため、送信を受け付けられませんでした" in html
    assert "画像「最初の画像」（登録済み）" in html and "投稿を編集する" in html
    assert len(_uploads(instance)) == 1

    swapped = _send(
        who.poster,
        edit_url,
        {**EVENT, "remove_files": image.token, "images-0-alt": "差し替えた画像"},
        {"images-0-file": png(20, 20)},
    )
    assert swapped.status_code == 302, swapped.get_data(as_text=True)[:3000]
    [replacement] = _uploads(instance)
    assert (replacement.state, replacement.alt) == ("pending", "差し替えた画像")
    assert not _private(instance, image.token).exists()
    with instance.rt.sessions() as db:
        assert db.scalar(select(PostRevision.id)) is None
        assert db.get(Post, image.post_id).status in ("received", "pending")
    review_page = who.moderator.get(f"/app/moderation/posts/{image.post_id}")
    assert f"/app/moderation/uploads/{replacement.token}" in review_page.get_data(as_text=True)


def test_taking_a_post_down_erases_its_pending_edits_new_files(instance):
    who = people(instance)
    post_id, image, pdf = _live_post_with_files(instance, who)
    edit_url = f"/app/posts/{post_id}/edit"
    sent = _send(who.poster, edit_url, {**EVENT, "images-0-alt": "案"}, {"images-0-file": png()})
    assert sent.status_code == 302
    draft = _uploads(instance)[-1]
    take_down(instance.rt, approver(instance), post_id, "掲載基準に合わないため")
    assert not _private(instance, draft.token).exists()
    with instance.rt.sessions() as db:
        assert db.scalar(select(PostRevision.status)) == "closed"
        assert db.scalar(select(Upload).where(Upload.token == draft.token)) is None
    instance.worker_burst()
    assert not _on_site(instance, draft.token) and not _on_site(instance, image.token)
    assert _private(instance, image.token).is_dir()  # a takedown keeps the approved files


def test_archiving_a_post_erases_its_pending_edits_new_files_at_once(instance):
    from datetime import timedelta

    from intake.site.stale import archive_past

    who = people(instance)
    post_id, image, _pdf = _live_post_with_files(instance, who)
    edit_url = f"/app/posts/{post_id}/edit"
    sent = _send(who.poster, edit_url, {**EVENT, "images-0-alt": "案"}, {"images-0-file": png()})
    assert sent.status_code == 302
    draft = _uploads(instance)[-1]
    assert _private(instance, draft.token).is_dir()
    with instance.rt.sessions() as db:
        post = db.get(Post, post_id)
        assert post is not None and post.starts_at is not None
        later = post.starts_at + timedelta(days=instance.settings.deployment.archive_after_days + 2)
    assert archive_past(instance.rt, now=later) == [post_id]
    assert not _private(instance, draft.token).exists()  # not left to the hourly sweep
    assert _private(instance, image.token).is_dir()  # archiving keeps the approved files


def test_a_pending_edit_migrates_to_the_file_changes_schema(database_url):
    """0003 adds a NOT NULL column to post_revisions: rows made before it get "[]"."""
    config = alembic_config(database_url)
    if database_url.startswith("sqlite"):
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True)
    command.upgrade(config, "0002")
    engine = create_engine(database_url)
    try:
        with engine.begin() as db:
            db.execute(text(OLD_ROWS_ACCOUNT))
            db.execute(text(OLD_ROWS_POST))
            db.execute(text(OLD_ROWS_REVISION))
        command.upgrade(config, "head")
        with engine.connect() as db:
            assert db.execute(text("SELECT removes FROM post_revisions")).scalar() == "[]"
        command.downgrade(config, "0002")
        command.upgrade(config, "head")
    finally:
        engine.dispose()


OLD_ROWS_ACCOUNT = """INSERT INTO accounts (id, kind, status, source, password_hash,
 public_name, profile, profile_public, website, public_contact, profile_pending, topics,
 areas, reject_reason, created_at)
 VALUES (1, 'group', 'active', 'web', 'x', 'g', '', false, '', '', '', '', '', '',
 CURRENT_TIMESTAMP)"""
OLD_ROWS_POST = """INSERT INTO posts (id, account_id, kind, status, title, summary, body,
 place_name, place_address, topic, area, fee, accepts_applications, ask_contact, waitlist,
 questions, apply_seq, contact_public, reject_reason, created_at, updated_at)
 VALUES (1, 1, 'event', 'approved', 't', '', '', '', '', '', '', '', false, 'both', false,
 '[]', 0, '', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"""
OLD_ROWS_REVISION = """INSERT INTO post_revisions (post_id, data, status, created_at)
 VALUES (1, '{}', 'pending', CURRENT_TIMESTAMP)"""
