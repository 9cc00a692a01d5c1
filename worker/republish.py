"""Republish: write content/ again from the database, as after a restore on a new machine.

The backup holds the database and the private uploads, not content/: everything the
worker wrote there is made from them. This writes, with the publish jobs' own code, the
Markdown file and media folder of every approved post and the group profiles file, and
removes every post file or media folder of a post that is not approved (taken down,
withdrawn, archived, erased or unknown), so nothing that left the site comes back. The
caller then runs a full build (`python -m worker republish`, `hiroba republish`).
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.models import Post
from intake.runtime import Runtime
from intake.store import transaction

from .media import MEDIA, publish_media
from .profiles import profiles_path, render_profiles
from .publish import post_path, render, write_atomically
from .sitestate import request_rebuild


@dataclass
class Republished:
    """What a republish wrote and removed, and the site revision it asks to build."""

    posts: int
    removed: int
    revision: int


def _write_post(rt: Runtime, session: Session, post: Post) -> None:
    """Write an approved post's media and Markdown file as the publish job does."""
    publish_media(rt.settings, session, post)  # the files first: the page points at them
    text = render(post)
    path = post_path(rt.settings.content_dir, post.id)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        write_atomically(path, text)
    post.published_hash = hashlib.sha256(text.encode()).hexdigest()


def _remove_strays(rt: Runtime, live: set[str]) -> int:
    """Delete post files and media folders of posts not in live; return how many."""
    content = rt.settings.content_dir
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
            if folder.name not in live:
                if folder.is_dir() and not folder.is_symlink():
                    shutil.rmtree(folder)
                else:
                    folder.unlink()
                removed += 1
    return removed


def republish(rt: Runtime) -> Republished:
    """Rewrite content/ from the database; return what changed and the revision to build."""
    with transaction(rt.sessions) as session:
        approved = session.scalars(
            select(Post).where(Post.status == "approved").order_by(Post.id)
        ).all()
        for post in approved:
            _write_post(rt, session, post)
        removed = _remove_strays(rt, {str(post.id) for post in approved})
        path = profiles_path(rt.settings.content_dir)
        text = render_profiles(session)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            write_atomically(path, text)
        revision = request_rebuild(session)
    return Republished(len(approved), removed, revision)
