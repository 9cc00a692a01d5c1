"""Posts that break the site build are set aside, so one bad post never blocks the rest.

When a full build fails, the post files it can be blamed on (named in the build's log, or
holding characters XML 1.0 forbids, which the Atom writer refuses without naming a file)
are moved out of the content tree into ``site/set-aside/`` and the build runs again
without them: other approvals and an emergency takedown still go live. Every build's log
then ends with one line per post still set aside, which the status panel shows to the
moderators (intake.site.status.set_aside_ids). A set-aside post comes back when
it is published again (an approved edit writes its file anew) and is forgotten once it is
no longer approved (taken down, withdrawn).
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

from intake.config import Settings
from intake.controls import xml_safe
from intake.models import Post
from intake.posts.models import PostStatus
from intake.runtime import Runtime
from intake.site.status import SET_ASIDE_MARK

log = logging.getLogger(__name__)

FOLDER = "set-aside"
MAX_ROUNDS = 3  # a build that still fails after setting aside this often fails as before
_NAMED = re.compile(r"posts/(\d+)\.md\b")


def folder(settings: Settings) -> Path:
    """Return where set-aside post files are kept (outside the content tree)."""
    return settings.site_dir / FOLDER


def culprits(rt: Runtime, build_log: str) -> list[Path]:
    """Return the files of approved posts a failed build can be blamed on: named in its log,
    or not XML. A file no approved post owns is not set aside: the build fails as before."""
    posts = rt.settings.content_dir / "posts"
    found = {posts / f"{n}.md" for n in _NAMED.findall(build_log)}
    for path in posts.glob("*.md"):
        text = path.read_text(encoding="utf-8", errors="replace")
        if xml_safe(text) != text:
            found.add(path)
    with rt.sessions() as session:
        return sorted(
            path
            for path in found
            if path.is_file()
            and path.stem.isdigit()
            and getattr(session.get(Post, int(path.stem)), "status", None) == PostStatus.APPROVED
        )


def set_aside(settings: Settings, paths: list[Path]) -> list[int]:
    """Move post files out of the content tree; return their post ids."""
    target = folder(settings)
    target.mkdir(parents=True, exist_ok=True)
    for path in paths:
        os.replace(path, target / path.name)
        log.error("post %s broke the site build and is set aside", path.stem)
    return [int(path.stem) for path in paths]


def review(rt: Runtime) -> str:
    """Forget set-aside files whose post left the site or was written anew; return one log
    line per post still set aside."""
    target = folder(rt.settings)
    if not target.is_dir():
        return ""
    lines = []
    with rt.sessions() as session:
        for path in sorted(target.glob("*.md")):
            post = session.get(Post, int(path.stem)) if path.stem.isdigit() else None
            rewritten = (rt.settings.content_dir / "posts" / path.name).exists()
            if post is None or post.status != PostStatus.APPROVED or rewritten:
                path.unlink(missing_ok=True)
            else:
                lines.append(f"{SET_ASIDE_MARK}{post.id}")
    return "\n".join(lines)
