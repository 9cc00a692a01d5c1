"""Republish: write content/ again from the database, as after a restore on a new machine.

The backup holds the database and the private uploads, not content/: everything the
worker wrote there is made from them. This writes, with the publish jobs' own code, the
Markdown file and media folder of every approved post and the group profiles file, and
removes every post file or media folder of a post that is not approved (taken down,
withdrawn, archived, erased or unknown), so nothing that left the site comes back. The
caller asks for the full build in the same transaction (`python -m worker republish`,
which `hiroba republish` runs).

A post whose kept file cannot be found is left out (its published digest cleared, so no
host's content sync tries it either) and named; the command fails after building the rest,
and a republish once the file is back brings the post back.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.config import Settings
from intake.models import Post
from intake.posts.models import PostStatus
from intake.uploads.errors import UploadFileMissing

from ..build.tree import MEDIA
from . import manifest as record
from .posts import write_post
from .profiles import write_profiles


@dataclass
class Republished:
    """What a republish wrote and removed, and the posts it could not write."""

    posts: int
    removed: int
    missing: list[str] = field(default_factory=list)  # per post left out: its missing file


def _remove_strays(content: Path, live: set[str]) -> int:
    """Delete post files and media folders of posts not in live; return how many."""
    removed = 0
    posts = content / "posts"
    if posts.is_dir():
        for path in posts.iterdir():
            if path.is_file() and path.suffix == ".md" and path.stem not in live:
                path.unlink()
                removed += 1
    media = content / MEDIA
    if media.is_dir():
        for folder in media.iterdir():
            if folder.name in live:
                continue
            if folder.is_dir() and not folder.is_symlink():
                shutil.rmtree(folder)
            else:
                folder.unlink()
            removed += 1
    return removed


def republish(settings: Settings, session: Session) -> Republished:
    """Rewrite content/ from the database in the caller's transaction (which also records
    each approved post's published digest, as the publish job does)."""
    approved = session.scalars(
        select(Post).where(Post.status == PostStatus.APPROVED).order_by(Post.id)
    ).all()
    written: list[Post] = []
    missing: list[str] = []
    with record.updating(settings) as manifest:
        for post in approved:
            try:
                post.published_hash, _ = write_post(settings, session, post)
            except UploadFileMissing as exc:  # go on with the rest; the caller says which
                missing.append(f"post {post.id}: {exc}")
                # Not published on this machine: every host's content sync leaves it alone
                # (no hash) until a republish with its file back writes it again.
                post.published_hash = None
                continue
            written.append(post)
        removed = _remove_strays(settings.content_dir, {str(post.id) for post in approved})
        write_profiles(settings.content_dir, session)
        # groups.json goes out with the revision the caller asks for: no rev is claimed
        manifest.posts = {str(post.id): post.published_hash or "" for post in written}
        manifest.groups_rev, manifest.groups_ahead = record.UNKNOWN, ""
    return Republished(len(written), removed, missing)
