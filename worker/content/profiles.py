"""Every group's public profile (an allow-list of fields), written as one JSON file.

``content/groups.json`` holds, for each active group that chose to publish its profile,
only what the group wrote for the public: its name, 活動内容, website, public contact,
and its 分野 and 地域 keys. Nothing from its persons is ever read here. The listings
plugin reads the file for the group pages and the group directory (see
docs/content-format.md). The publish_profiles job (worker/jobs/site.py) rewrites the whole
file from the database, so running it twice, or for another group, gives the same file: it
is idempotent and catches up.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.accounts.models import AccountStatus
from intake.controls import xml_safe
from intake.models import Account
from intake.taxonomy import AREAS, TOPICS

from .posts import one_line, write_atomically

PROFILES_FILE = "groups.json"
FORMAT_VERSION = 1


def profiles_path(content_dir: Path) -> Path:
    """Return where the public profiles live in the content tree."""
    return content_dir / PROFILES_FILE


def _keys(value: str, known: dict[str, str]) -> list[str]:
    chosen = set(value.split(","))
    return [key for key in known if key in chosen]


def _website(value: str) -> str:
    """Return the website only when it is an http(s) URL (the form checked it already)."""
    url = one_line(value)
    return url if url.lower().startswith(("https://", "http://")) and " " not in url else ""


def public_profile(account: Account) -> dict[str, Any]:
    """Return the allow-listed public fields of one group: the publish boundary."""
    profile = xml_safe(account.profile.replace("\r\n", "\n"))
    text = "\n".join(line.rstrip() for line in profile.split("\n"))
    return {
        "name": one_line(account.public_name),
        "text": text.strip(),
        "website": _website(account.website),
        "contact": one_line(account.public_contact),
        "topics": _keys(account.topics, TOPICS),
        "areas": _keys(account.areas, AREAS),
    }


def render_profiles(session: Session) -> str:
    """Return the profiles file: every active group with a published profile, by id."""
    groups = session.scalars(
        select(Account)
        .where(
            Account.kind == "group",
            Account.status == AccountStatus.ACTIVE,
            Account.profile_public.is_(True),
        )
        .order_by(Account.id)
    )
    data = {
        "version": FORMAT_VERSION,
        "groups": {str(account.id): public_profile(account) for account in groups},
    }
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def write_profiles(content_dir: Path, session: Session) -> bool:
    """Bring content/groups.json in line with the database; True when the file changed."""
    path = profiles_path(content_dir)
    text = render_profiles(session)
    on_disk = path.read_text(encoding="utf-8") if path.exists() else None
    if on_disk == text:
        return False
    write_atomically(path, text)
    return True
