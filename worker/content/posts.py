"""An approved post's allow-listed public fields, written as Pelican Markdown."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from intake.config import Settings
from intake.controls import xml_safe
from intake.formatting import dates
from intake.models import Post
from intake.posts.recurrence import decode
from intake.taxonomy import KIND_SEGMENTS

from .media import media_json, publish_media

_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x85]+")


def one_line(value: str) -> str:
    """Collapse a value to one line so it can never start another metadata key; drop what
    XML 1.0 forbids, so a row stored before the intake cleaned input cannot break a build."""
    return re.sub(r"\s+", " ", _LINE_BREAKS.sub(" ", xml_safe(value))).strip()


def _stamp(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%dT%H:%M") if value else ""


def _occurrences(stored: str) -> str:
    """Return the expanded dates as `start--end` stamps joined by semicolons (no end: start)."""
    return ";".join(
        _stamp(start) + (f"--{_stamp(end)}" if end else "") for start, end in decode(stored)
    )


def public_fields(post: Post) -> list[tuple[str, str]]:
    """Return the metadata that may reach the public site: the publish boundary's allow-list."""
    approved = dates.japan_time(post.approved_at or post.created_at)
    fields = [
        ("Title", post.title),
        ("Date", approved.isoformat(timespec="seconds")),
        ("Slug", str(post.id)),
        ("Category", KIND_SEGMENTS[post.kind]),
        ("Kind", post.kind),
        ("Topic", post.topic),
        ("Area", post.area),
        ("Starts", _stamp(post.starts_at)),
        ("Ends", _stamp(post.ends_at)),
        ("Place", post.place_name),
        ("Place_address", post.place_address),
        ("Fee", post.fee),
        ("Capacity", str(post.capacity) if post.capacity is not None else ""),
        # An operator notice (運営からのお知らせ) names no account: the theme shows the operator.
        ("Organizer", "" if post.from_operator else post.account.public_name),
        ("Organizer_id", "" if post.from_operator else str(post.account_id)),
        ("Operator", "yes" if post.from_operator else ""),
        ("Contact", post.contact_public),
        ("Apply_url", f"/app/events/{post.id}/apply" if post.accepts_applications else ""),
        ("Recurrence", post.recurrence if post.starts_at else ""),
        ("Occurrences", _occurrences(post.occurrences) if post.recurrence else ""),
        ("Attendance", post.attendance if post.kind != "notice" else ""),
        ("Online", post.online_details if post.attendance != "offline" else ""),
        ("Audience", post.audience),
        ("Media", media_json(post)),
        ("Summary", post.summary or post.title),
    ]
    return [(key, one_line(value)) for key, value in fields if one_line(value)]


def render(post: Post) -> str:
    """Return the Markdown file of a post: metadata lines, a blank line, the body."""
    head = "".join(f"{key}: {value}\n" for key, value in public_fields(post))
    body = xml_safe(post.body.replace("\r\n", "\n")).strip()
    return f"{head}\n{body}\n"


def post_path(content_dir: Path, post_id: int) -> Path:
    """Return where a post's Markdown file lives."""
    return content_dir / "posts" / f"{post_id}.md"


def write_atomically(path: Path, text: str) -> None:
    """Write text to path so readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".md")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def write_post(settings: Settings, session: Session, post: Post) -> tuple[str, bool]:
    """Write an approved post's media, then its Markdown file when it differs; return the
    file's digest and whether it was written."""
    publish_media(settings, session, post)  # the files first: the page points at them
    text = render(post)
    path = post_path(settings.content_dir, post.id)
    on_disk = path.read_text(encoding="utf-8") if path.exists() else None
    if on_disk != text:
        write_atomically(path, text)
    return hashlib.sha256(text.encode()).hexdigest(), on_disk != text
