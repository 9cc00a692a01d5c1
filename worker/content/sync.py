"""Bring this host's content/ in line with the database at the start of every build.

Workers on any host are equal: the publish job of a post may run on another host, whose
content/ then holds the new file and this one's does not. The database is the record
(each approved post's ``published_hash``); content/ is this host's cache of it. The sync
reads {post id: published_hash} of the approved posts in one query, compares it with this
host's manifest (worker/content/manifest.py) and the post files present, rewrites the
posts whose hash differs (with the publish job's own code), removes the files and media
of posts no longer approved (those the manifest says this host wrote: a file of no post
at all was put there by hand, and is the build's to refuse), and renders groups.json only
when a revision it has not seen was published. With one host it finds nothing to do.

A groups.json the sync rewrote may hold a profile change whose publish_profiles job has
not run yet; the manifest remembers it, so that job, finding the file already right on
this host, still publishes a revision and every other host renders the file too.

A post approved but not yet published by its job (no hash) is left to that job; a file
set aside on this host because it broke the build (worker/build/setaside.py) counts as
present, so it is not brought back until its post is published again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.config import Settings
from intake.models import Post
from intake.posts.models import PostStatus
from intake.runtime import Runtime
from intake.store import transaction

from ..build import setaside
from . import manifest as record
from .media import remove_media_folder
from .posts import post_path, write_post
from .profiles import profiles_path, write_profiles

log = logging.getLogger(__name__)


@dataclass
class Synced:
    """What one sync changed in this host's content/."""

    written: list[int] = field(default_factory=list)
    removed: int = 0
    groups: bool = False  # groups.json was rewritten

    def describe(self) -> str:
        """Return a line for the build log, or "" when nothing changed."""
        if not (self.written or self.removed or self.groups):
            return ""
        parts = [f"{len(self.written)} post(s) written", f"{self.removed} file(s) removed"]
        if self.groups:
            parts.append("groups.json written")
        return "content sync from the database: " + ", ".join(parts)


def _present(settings: Settings, known: dict[str, str]) -> dict[str, str]:
    """Return the manifest's posts whose file is still here (in content/, or set aside on
    this host): a file deleted since is written again."""
    files = record.post_ids(settings)
    aside = setaside.folder(settings)
    if aside.is_dir():
        files.update(path.stem for path in aside.glob("*.md"))
    return {pid: digest for pid, digest in known.items() if pid in files}


def _remove(settings: Settings, post_id: str) -> None:
    """Delete a post's file and media folder from this host's content/."""
    post_path(settings.content_dir, int(post_id)).unlink(missing_ok=True)
    remove_media_folder(settings, int(post_id))


def sync_content(settings: Settings, session: Session, rev: int) -> Synced:
    """Make content/ match the database as of revision rev, in the caller's transaction."""
    done = Synced()
    with record.updating(settings) as manifest:
        rows = session.execute(
            select(Post.id, Post.published_hash).where(Post.status == PostStatus.APPROVED)
        ).all()
        approved = {str(pid): digest for pid, digest in rows}
        manifest.posts = _present(settings, manifest.posts)
        stale = [
            int(pid)
            for pid, digest in approved.items()
            if digest is not None and manifest.posts.get(pid) != digest
        ]
        for post in session.scalars(select(Post).where(Post.id.in_(stale))) if stale else ():
            write_post(settings, session, post)
            manifest.posts[str(post.id)] = approved[str(post.id)] or ""
            done.written.append(post.id)
        # Only files this host wrote, of posts that left the site: a file of no post at all
        # was put there by hand, and is the build's to refuse.
        gone = [int(pid) for pid in manifest.posts if pid not in approved]
        for post_id in session.scalars(select(Post.id).where(Post.id.in_(gone))) if gone else ():
            _remove(settings, str(post_id))
            done.removed += 1
        for post_id in gone:
            del manifest.posts[str(post_id)]
        if manifest.groups_rev < rev:
            done.groups = write_profiles(settings.content_dir, session)
            manifest.groups_rev = rev
            if done.groups:
                manifest.groups_ahead = record.file_digest(profiles_path(settings.content_dir))
    if done.written or done.removed or done.groups:
        log.info("content sync: %s", done.describe())
    return done


def sync_before_build(rt: Runtime, rev: int) -> Synced:
    """Run the content sync in its own transaction; return what it changed."""
    with transaction(rt.sessions) as session:
        return sync_content(rt.settings, session, rev)
