"""What the takedown, old-content and status-panel tests share: a live event and site readers.

The readers look at the built site the way its readers and machines do: every text file
(HTML, XML, JSON, iCalendar), Pagefind's compressed index, the Atom feeds parsed as XML
and the iCalendar files parsed into events.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

from actors import EVENT_DAY
from conftest import Instance

from intake.accounts.services import PersonData, Registration, create_staff, register
from intake.moderation import decisions as post_decisions
from intake.moderation import services as moderation
from intake.posts.services import PostData, submit_post

ATOM = "{http://www.w3.org/2005/Atom}"
POSTER_EMAIL = "lifecycle-contact@example.test"


def poster_group(instance: Instance, login: str = "lifecycle-group") -> tuple[int, int]:
    """Return (moderator id, group id): an active group whose contact person has an email."""
    moderator = create_staff(
        instance.rt, "moderator", "mod-lifecycle", "lifecycle-password-1", "運営"
    )
    group = register(
        instance.rt,
        Registration(
            kind="group",
            login=login,
            password="lifecycle-password-1",
            public_name="ライフサイクル検査団体",
            persons={
                "representative": PersonData(name="検査 一郎", email="lifecycle-rep@example.test"),
                "contact": PersonData(name="検査 二郎", email=POSTER_EMAIL),
            },
        ),
    )
    moderation.decide_account(instance.rt, moderator, group, approve=True)
    return moderator, group


def approved_event(
    instance: Instance,
    moderator: int,
    group: int,
    title: str,
    starts_at: datetime | None = None,
    hours: int = 2,
    kind: str = "event",
) -> int:
    """Submit and approve an event with 分野 and 地域 (so it is on every kind of listing)."""
    start = starts_at or datetime.combine(EVENT_DAY, datetime.min.time()) + timedelta(hours=14)
    post_id = submit_post(
        instance.rt,
        group,
        PostData(
            kind=kind,
            title=title,
            summary=f"{title}の概要です。",
            body="検査のための架空の催しです。",
            starts_at=start,
            ends_at=start + timedelta(hours=hours),
            place_name="検査会館",
            topic="environment",
            area="ochiai-1",
        ),
    )
    post_decisions.approve(instance.rt, moderator, post_decisions.Subject("post", post_id))
    return post_id


def site_texts(site: Path) -> dict[str, str]:
    """Return every file of a built site as text; Pagefind's gzip index files decompressed."""
    texts = {}
    for path in sorted(site.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if path.suffix.startswith(".pf_"):
            data = zlib.decompress(data, 16 + zlib.MAX_WBITS)
        texts[str(path.relative_to(site))] = data.decode("utf-8", errors="replace")
    return texts


def mentions(site: Path, *needles: str) -> list[str]:
    """Return the files of the site that contain any of needles."""
    return [name for name, text in site_texts(site).items() if any(n in text for n in needles)]


def page_mentions(site: Path, *needles: str) -> list[str]:
    """Like mentions, without Pagefind's word index, its per-language meta index and the
    search delta: after a removal the title stays a term of those until the re-index (the
    page's fragment, its text, is gone with the build, and the delta lists it as deleted)."""
    return [
        name
        for name in mentions(site, *needles)
        if not name.startswith("pagefind/index/")
        and not (name.startswith("pagefind/pagefind.") and name.endswith(".pf_meta"))
        and name != "search/delta.json"
    ]


def atom_entries(path: Path) -> list[dict[str, str]]:
    """Parse an Atom feed into its entries' id, title and link."""
    root = ElementTree.parse(path).getroot()  # noqa: S314 - our own build output
    entries = []
    for entry in root.iter(f"{ATOM}entry"):
        link = entry.find(f"{ATOM}link")
        entries.append(
            {
                "id": entry.findtext(f"{ATOM}id", ""),
                "title": entry.findtext(f"{ATOM}title", ""),
                "link": link.get("href", "") if link is not None else "",
            }
        )
    return entries


def ics_events(path: Path) -> list[dict[str, str]]:
    """Parse the VEVENTs of an iCalendar file (RFC 5545: unfold lines, then read properties)."""
    text = path.read_text(encoding="utf-8").replace("\r\n ", "").replace("\r\n\t", "")
    events: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for line in text.replace("\r\n", "\n").split("\n"):
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT" and current is not None:
            events.append(current)
            current = None
        elif current is not None and ":" in line:
            name, _, value = line.partition(":")
            current[name.split(";")[0]] = value
    return events


def wait_until(check: Callable[[], bool], seconds: float = 180, what: str = "") -> None:
    """Poll check until it holds (the worker works in the background); fail after seconds."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {seconds} s: {what}")
        time.sleep(0.2)
