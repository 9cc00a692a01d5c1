"""Emergency takedown (緊急非公開) through HTTP with real workers, a real build and real SMTP.

The item must leave every place the site shows it: its page, the listings (home, kind,
month, 分野, 地域, calendar, group page), the Atom feeds, the iCalendar files and the
search index; the poster sees the reason on their page and gets a mail.
"""

from __future__ import annotations

from accounts_support import client_for, reconfigure
from actors import MODERATOR, make_moderator, sign_in, sign_out
from conftest import csrf_token
from lifecycle_support import (
    POSTER_EMAIL,
    approved_event,
    atom_entries,
    ics_events,
    mentions,
    page_mentions,
    poster_group,
    wait_until,
)
from mailsink import MailSink, mailsink  # noqa: F401 - the fixture
from sqlalchemy import select

from intake.jobs import PUBLISH_POST
from intake.models import AuditEntry, Build, Decision, Post, PostRevision, Task
from intake.site.takedown import take_down as take_down_now
from intake.store import transaction
from worker.reconcile import reconcile

REASON = "著作権を侵害している画像が含まれているとの申し立てがありました。"


def take_down(client, post_id: int, reason: str):  # type: ignore[no-untyped-def]
    """Open the moderator's page of a live post and send its takedown form."""
    page = client.get(f"/app/moderation/live/{post_id}")
    assert page.status_code == 200
    return client.post(
        f"/app/moderation/live/{post_id}/takedown",
        data={"reason": reason, "csrf_token": csrf_token(page.get_data(as_text=True))},
    )


def listing_pages(site, group: int, post) -> set[str]:  # type: ignore[no-untyped-def]
    """The pages and files that list an upcoming event of 環境 in 落合第一 (before the takedown)."""
    month = f"{post.starts_at:%Y/%m}"
    return {
        "index.html",
        "events/index.html",
        f"events/{month}/index.html",
        "topics/environment/index.html",
        f"topics/environment/{month}/index.html",
        "areas/ochiai-1/index.html",
        f"areas/ochiai-1/{month}/index.html",
        f"calendar/{month}/index.html",
        f"groups/{group}/index.html",
        "feeds/all.atom.xml",
        "feeds/events.atom.xml",
        "feeds/topics/environment.atom.xml",
        "feeds/areas/ochiai-1.atom.xml",
        f"feeds/groups/{group}.atom.xml",
        "calendar/all.ics",
        "calendar/topics/environment.ics",
        f"calendar/groups/{group}.ics",
        f"events/{post.id}/index.html",
        f"events/{post.id}/event.ics",
        "search/index.json",
        "sitemap.xml",
    }


def test_takedown_leaves_no_trace_on_the_site_and_tells_the_poster(
    instance,
    mailsink: MailSink,  # noqa: F811
):
    reconfigure(instance, HIROBA_SMTP_HOST=mailsink.host, HIROBA_SMTP_PORT=str(mailsink.port))
    moderator, group = poster_group(instance)
    title = "緊急非公開検査の催し"
    target = approved_event(instance, moderator, group, title)
    kept = approved_event(instance, moderator, group, "残る検査の催し")
    instance.worker_burst()
    site = instance.settings.live_dir
    needles = (title, f"/events/{target}/")
    with instance.rt.sessions() as db:
        post = db.get(Post, target)
    before = set(mentions(site.resolve(), *needles))
    missing = listing_pages(site, group, post) - before
    with instance.rt.sessions() as db:
        logs = [(b.status, b.log[-3000:]) for b in db.scalars(select(Build))]
    assert not missing, f"the event was not listed in {sorted(missing)}; builds: {logs}"
    assert any(name.startswith("pagefind/") for name in before)  # and in the search index

    make_moderator(instance)
    client = client_for(instance)
    sign_in(client, *MODERATOR)
    # A takedown needs a reason: the form comes back with the message, nothing changes.
    refused = take_down(client, target, "  ")
    assert refused.status_code == 422
    assert "理由を入力してください" in refused.get_data(as_text=True)
    assert 'aria-invalid="true"' in refused.get_data(as_text=True)

    worker = instance.start_worker()
    try:
        response = take_down(client, target, REASON)
        assert response.status_code == 302
        wait_until(
            lambda: not (site / "events" / str(target) / "index.html").exists(),
            what="the taken-down page leaves site/current",
        )
        live = site.resolve()
        # Every page, feed and calendar is clean at once; Pagefind's word index keeps the
        # title as a term until the re-index the removal asks for (see page_mentions).
        assert page_mentions(live, *needles) == []
        assert not list((live / "events").glob(f"{target}/*"))
        wait_until(
            lambda: mentions(site.resolve(), *needles) == [],
            what="the search re-index forgets the taken-down item",
        )
        live = site.resolve()
        for feed in live.rglob("*.atom.xml"):
            entries = atom_entries(feed)
            assert not [e for e in entries if f"/events/{target}/" in e["link"] + e["id"]]
            assert not [e for e in entries if e["title"] == title]
        all_entries = atom_entries(live / "feeds" / "all.atom.xml")
        assert any(f"/events/{kept}/" in e["link"] for e in all_entries)
        for calendar in live.rglob("*.ics"):
            assert not [e for e in ics_events(calendar) if e.get("SUMMARY") == title]
        assert [e["SUMMARY"] for e in ics_events(live / "calendar" / "all.ics")] == [
            "残る検査の催し"
        ]
        assert (live / "events" / str(kept) / "index.html").is_file()
        assert client.get(f"/app/events/{target}/apply").status_code == 404

        def notices() -> list:  # type: ignore[type-arg]
            return [m for m in mailsink.messages if "公開を停止しました" in m["Subject"]]

        wait_until(lambda: bool(notices()), what="the poster's mail")
        [message] = notices()
        assert message["To"] == POSTER_EMAIL
        assert "公開を停止しました" in message["Subject"]
        assert REASON in message.get_content() and title in message.get_content()
    finally:
        instance.kill_group(worker)

    with instance.rt.sessions() as db:
        post = db.get(Post, target)
        assert post.status == "taken_down" and post.taken_down_at is not None
        assert post.takedown_reason == REASON
        [decision] = db.scalars(select(Decision).where(Decision.action == "takedown")).all()
        assert decision.subject_id == target and decision.reason == REASON
        audited = db.scalars(select(AuditEntry).where(AuditEntry.action == "takedown_post"))
        assert [entry.target_id for entry in audited] == [target]

    # A second takedown of the same item is a conflict, not an error page.
    assert take_down(client, target, REASON).status_code == 409
    sign_out(client)
    sign_in(client, "lifecycle-group", "lifecycle-password-1")
    mine = client.get("/app/my").get_data(as_text=True)
    assert "緊急非公開" in mine and REASON in mine


def test_takedown_goes_to_the_front_of_the_queue(instance):
    moderator, group = poster_group(instance)
    target = approved_event(instance, moderator, group, "先頭で消える催し")
    instance.worker_burst()
    with instance.rt.sessions() as db:
        rev_before = max(db.scalars(select(Build.rev)).all())
    # Work waits on the queue (no worker is running): three more approvals.
    waiting = [approved_event(instance, moderator, group, f"待っている催し{n}") for n in range(3)]
    with transaction(instance.rt.sessions) as db:
        edit = PostRevision(post_id=target, data="{}")  # the poster's edit under review
        db.add(edit)
        db.flush()
        edit_id = edit.id
    make_moderator(instance)
    client = client_for(instance)
    sign_in(client, *MODERATOR)
    assert take_down(client, target, REASON).status_code == 302
    with instance.rt.sessions() as db:
        assert db.get(PostRevision, edit_id).status == "closed"  # nothing left to review
        publish = db.scalars(
            select(Task.id)
            .where(Task.name == PUBLISH_POST, Task.subject_id == target)
            .order_by(Task.id.desc())
        ).first()
    assert instance.rt.queue.job_ids[0] == f"hiroba-task-{publish}"

    instance.worker_burst()
    with instance.rt.sessions() as db:
        builds = db.scalars(select(Build).where(Build.rev > rev_before).order_by(Build.id)).all()
    # The first build after the takedown was the takedown's own revision (its rebuild went to
    # the front too), before the three approvals queued earlier were published.
    assert builds[0].rev == rev_before + 1
    assert builds[-1].rev == rev_before + 1 + len(waiting)
    live = instance.settings.live_dir.resolve()
    assert page_mentions(live, "先頭で消える催し") == []
    assert all((live / "events" / str(w) / "index.html").is_file() for w in waiting)


def test_moderators_find_live_items_by_title_or_number(instance):
    moderator, group = poster_group(instance)
    first = approved_event(instance, moderator, group, "探せる川辺の催し")
    second = approved_event(instance, moderator, group, "別の公園の催し")
    make_moderator(instance)
    client = client_for(instance)
    sign_in(client, *MODERATOR)
    every = client.get("/app/moderation/live").get_data(as_text=True)
    assert "探せる川辺の催し" in every and "別の公園の催し" in every
    by_title = client.get("/app/moderation/live?q=川辺").get_data(as_text=True)
    assert "探せる川辺の催し" in by_title and "別の公園の催し" not in by_title
    by_id = client.get(f"/app/moderation/live?q={second}").get_data(as_text=True)
    assert f"/app/moderation/live/{second}" in by_id
    assert f'/app/moderation/live/{first}"' not in by_id
    nothing = client.get("/app/moderation/live?q=%25").get_data(as_text=True)
    assert "に合う公開中の投稿はありません" in nothing  # % is a character, not a wildcard


def test_only_moderators_take_down(instance):
    moderator, group = poster_group(instance)
    target = approved_event(instance, moderator, group, "守られる催し")
    client = client_for(instance)
    for path in ("/app/moderation/live", f"/app/moderation/live/{target}"):
        response = client.get(path)
        assert response.status_code == 302 and "/app/login" in response.headers["Location"]
    sign_in(client, "lifecycle-group", "lifecycle-password-1")
    token = csrf_token(client.get("/app/my").get_data(as_text=True))
    assert client.get("/app/moderation/live").status_code == 403
    response = client.post(
        f"/app/moderation/live/{target}/takedown", data={"reason": REASON, "csrf_token": token}
    )
    assert response.status_code == 403
    with instance.rt.sessions() as db:
        assert db.get(Post, target).status == "approved"


def test_the_reconciler_puts_an_owed_takedown_at_the_front(instance):
    moderator, group = poster_group(instance)
    target = approved_event(instance, moderator, group, "取り戻しても先頭の催し")
    instance.worker_burst()
    # Ordinary work waits on the queue (no worker is running): three more approvals.
    for n in range(3):
        approved_event(instance, moderator, group, f"順番を待つ催し{n}")
    take_down_now(instance.rt, moderator, target, REASON)
    with instance.rt.sessions() as db:
        publish = db.scalars(
            select(Task.id)
            .where(Task.name == PUBLISH_POST, Task.subject_id == target)
            .order_by(Task.id.desc())
        ).first()
    queue = instance.rt.queue
    lost = f"hiroba-task-{publish}"
    assert queue.job_ids[0] == lost
    queue.fetch_job(lost).delete()  # Redis lost the takedown's job (and only that one)
    ordinary = queue.job_ids
    assert lost not in ordinary and len(ordinary) >= 6

    report = reconcile(instance.rt)
    assert report.tasks == 1
    assert queue.job_ids[: len(ordinary) + 1] == [lost, *ordinary]
