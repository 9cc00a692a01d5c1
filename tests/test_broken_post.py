"""One broken post never stops publishing (real workers, real Pelican builds, both databases).

A post file that makes the build fail (a control character that XML 1.0 forbids, written
before the intake cleaned input, or a metadata line Pelican refuses) is set aside: the
build is retried without it, so other approvals and an emergency takedown still go live,
and the status panel names the post for the moderators.
"""

from __future__ import annotations

import html

import pytest
from accounts_support import client_for
from actors import MODERATOR, make_moderator, sign_in
from lifecycle_support import approved_event, page_mentions, poster_group
from sqlalchemy import update

from intake.models import Build, Post
from intake.site.takedown import take_down
from intake.store import transaction
from worker.content.posts import post_path

STATUS = "/app/moderation/status"
BROKEN_TITLE = "壊れた検査の催し"


def _bell_in_title(text: str) -> str:
    """The file as a publisher without the cleaning wrote a title holding BEL."""
    return text.replace(f"Title: {BROKEN_TITLE}", "Title: 壊れた\x07検査の催し", 1)


def _unknown_metadata(text: str) -> str:
    """A metadata key the theme does not know: the build refuses it (docs/content-format.md)."""
    return "Hiroba_unknown_key: x\n" + text


@pytest.mark.parametrize("plant", [_bell_in_title, _unknown_metadata])
def test_a_broken_post_blocks_neither_an_approval_nor_a_takedown(instance, plant):
    moderator, group = poster_group(instance)
    doomed = approved_event(instance, moderator, group, "非公開にする検査の催し")
    kept = approved_event(instance, moderator, group, "残る検査の催し")
    broken = approved_event(instance, moderator, group, BROKEN_TITLE)
    instance.worker_burst()
    live = instance.settings.live_dir
    assert (live / "events" / str(broken) / "index.html").is_file()

    # Legacy data: the row and its file as they were before the intake cleaned input.
    path = post_path(instance.settings.content_dir, broken)
    path.write_text(plant(path.read_text(encoding="utf-8")), encoding="utf-8")
    with transaction(instance.rt.sessions) as db:
        db.execute(update(Post).where(Post.id == broken).values(title="壊れた\x07検査の催し"))

    fresh = approved_event(instance, moderator, group, "新しく承認した検査の催し")
    take_down(instance.rt, moderator, doomed, "緊急に非公開にします。")
    instance.worker_burst()

    site = live.resolve()
    with instance.rt.sessions() as db:
        logs = [(b.rev, b.status, b.log[-1500:]) for b in db.query(Build).order_by(Build.id)]
    assert (site / "events" / str(fresh) / "index.html").is_file(), logs
    assert (site / "events" / str(kept) / "index.html").is_file(), logs
    assert page_mentions(site, "非公開にする検査の催し", f"/events/{doomed}/") == [], logs
    # The broken post is set aside: not on the site, its file out of the content tree.
    assert not (site / "events" / str(broken)).exists()
    shown = page_mentions(site, "\x07", BROKEN_TITLE)
    assert [name for name in shown if not name.startswith("pagefind/")] == []  # binary files
    assert not path.exists()

    make_moderator(instance)
    client = client_for(instance)
    sign_in(client, *MODERATOR)
    page = client.get(STATUS)
    assert page.status_code == 200
    text = html.unescape(page.get_data(as_text=True))
    assert "公開を保留している投稿" in text
    assert f"{broken}" in text and "壊れた検査の催し" in text
    assert f'href="/app/moderation/live/{broken}"' in text
