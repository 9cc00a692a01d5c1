"""The public metadata of one post as the listings need it, and the dates it falls on."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field, fields
from functools import cached_property
from operator import attrgetter
from typing import Any

MAX_MONTHS = 12  # a long-running item is listed in at most this many months
MAX_DAYS = 62  # and shown on at most this many calendar days (per occurrence)


def day_of(value: str) -> dt.date | None:
    """Return the date of an ISO date or date-time string, or None."""
    text = value.strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        return dt.datetime.fromisoformat(text).date()
    except ValueError:
        return None


def _number(slug: str) -> int:
    return int(slug) if slug.isdigit() else 0


@dataclass(frozen=True)
class Entry:
    """One published post: only fields already on its public page."""

    source: str  # content-relative path of the Markdown file, e.g. posts/12.md
    slug: str
    kind: str  # the category slug: events, recruitment, notices
    url: str
    page: str  # where its own page is written (save_as)
    page_sig: str  # digest of the source file: the signature of its own page
    listed: bool  # False for a hidden article: it has a page but no listing entry
    title: str
    summary: str
    date: str  # approval time, ISO 8601 with offset
    starts: str = ""
    ends: str = ""
    place: str = ""
    place_address: str = ""
    topic: str = ""
    area: str = ""
    organizer: str = ""
    organizer_id: str = ""
    recurrence: str = ""  # the rule code (docs/content-format.md, Recurrence)
    occurrences: str = ""  # every date of a recurring item: start--end;start--end...
    attendance: str = ""  # offline, online, hybrid
    audience: str = ""  # comma-separated keys of 対象
    operator: str = ""  # "yes" for a notice the operator wrote (運営からのお知らせ)
    sig: str = field(default="", compare=False)
    start_key: tuple[str, int, str] = field(init=False, repr=False, compare=False)
    newest_key: tuple[str, int, str] = field(init=False, repr=False, compare=False)
    # What the renderers worked out from this entry alone (its VEVENT, its search row...),
    # kept with it in the saved state: a publication renders only the entries that changed.
    # Valid for one configuration fingerprint, as the saved state is.
    memo: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.sig:
            data = {
                f.name: getattr(self, f.name) for f in fields(self) if f.init and f.name != "sig"
            }
            digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
            object.__setattr__(self, "sig", digest[:40])
        # Sort keys, computed once: listings sort tens of thousands of entries.
        number = _number(self.slug)
        object.__setattr__(self, "start_key", (self.starts or self.date, number, self.slug))
        object.__setattr__(self, "newest_key", (self.date, number, self.slug))
        object.__setattr__(self, "memo", {})

    @cached_property
    def spans(self) -> list[tuple[dt.date, dt.date]]:
        """The first and last day of each occurrence (one unless it recurs), soonest first."""
        found = []
        for starts, ends in occurrence_pairs(self.occurrences) or [(self.starts, self.ends)]:
            start = day_of(starts)
            if start is not None:
                found.append((start, max(start, day_of(ends) or start)))
        return sorted(found)

    @cached_property
    def span(self) -> tuple[dt.date, dt.date] | None:
        """The first and last day of an item with a readable start, else None."""
        spans = self.spans
        if not spans:
            return None
        return spans[0][0], max(last for _, last in spans)

    @property
    def audiences(self) -> list[str]:
        """The keys of 対象 the item is for."""
        return [key for key in self.audience.split(",") if key]

    @cached_property
    def months(self) -> list[tuple[int, int]]:
        """The (year, month) pairs the entry is listed under (see months_of)."""
        return months_of(self)

    @cached_property
    def days(self) -> list[dt.date]:
        """The calendar days the entry runs on (see days_of)."""
        return days_of(self)

    def snapshot(self) -> dict[str, Any]:
        """Return the entry with what it has worked out so far (dates, memo): plain values
        only, no class, for the saved state (see restore)."""
        return dict(vars(self))

    @classmethod
    def restore(cls, data: dict[str, Any] | Entry) -> Entry:
        """Rebuild an entry from snapshot() without working anything out again (an entry
        already restored, as in the state the worker preloads, is returned as it is)."""
        if isinstance(data, cls):
            return data
        entry = object.__new__(cls)
        vars(entry).update(data if isinstance(data, dict) else vars(data))
        return entry


def source_digest(source: str, data: bytes) -> str:
    """Return the signature of a post's own page: its path and bytes."""
    return hashlib.sha256(source.encode() + b"\0" + data).hexdigest()


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def occurrence_pairs(value: str) -> list[tuple[str, str]]:
    """Split an Occurrences value into (start, end) stamps; end is "" when not given."""
    pairs = []
    for part in (value or "").split(";"):
        starts, _, ends = part.strip().partition("--")
        if starts:
            pairs.append((starts, ends))
    return pairs


def entry_from_article(article: Any, source: str, page_sig: str) -> Entry:
    """Return the Entry of a Pelican article read from ``source``."""
    category = getattr(article, "category", None)
    return Entry(
        source=source,
        slug=_text(article.slug),
        kind=_text(getattr(category, "slug", "")),
        url=_text(article.url),
        page=_text(article.save_as),
        page_sig=page_sig,
        listed=getattr(article, "status", "published") == "published",
        title=_text(article.title),
        summary=_text(getattr(article, "summary", "")),
        date=article.date.isoformat(),
        starts=_text(getattr(article, "starts", "")),
        ends=_text(getattr(article, "ends", "")),
        place=_text(getattr(article, "place", "")),
        place_address=_text(getattr(article, "place_address", "")),
        topic=_text(getattr(article, "topic", "")),
        area=_text(getattr(article, "area", "")),
        organizer=_text(getattr(article, "organizer", "")),
        organizer_id=_text(getattr(article, "organizer_id", "")),
        recurrence=_text(getattr(article, "recurrence", "")),
        occurrences=_text(getattr(article, "occurrences", "")),
        attendance=_text(getattr(article, "attendance", "")),
        audience=_text(getattr(article, "audience", "")),
        operator=_text(getattr(article, "operator", "")),
    )


def months_of(entry: Entry) -> list[tuple[int, int]]:
    """Return the (year, month) pairs an entry is listed under.

    Dated items are listed in every month they run through (up to MAX_MONTHS from each
    occurrence's start; a recurring item in the month of each occurrence); others in the
    month they were published.
    """
    spans = entry.spans
    if not spans:
        published = day_of(entry.date[:10]) or dt.date(1970, 1, 1)
        return [(published.year, published.month)]
    found: set[tuple[int, int]] = set()
    for first, last in spans:  # a recurring item: the months its occurrences fall in
        year, month, count = first.year, first.month, 0
        while (year, month) <= (last.year, last.month) and count < MAX_MONTHS:
            found.add((year, month))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
            count += 1
    return sorted(found)


def days_of(entry: Entry) -> list[dt.date]:
    """Return the calendar days an item runs on (up to MAX_DAYS); none without a start."""
    found: set[dt.date] = set()
    for first, last in entry.spans:
        count = min((last - first).days + 1, MAX_DAYS)
        found.update(first + dt.timedelta(days=n) for n in range(count))
    return sorted(found)


def is_past(entry: Entry, today: dt.date) -> bool:
    """Tell whether a dated item ended before ``today``."""
    days = entry.span
    return days is not None and days[1] < today


def is_upcoming(entry: Entry, today: dt.date) -> bool:
    """Tell whether a dated item has not ended by ``today``."""
    days = entry.span
    return days is not None and days[1] >= today


# Sort keys: soonest start first, then by id; newest approval first (use reverse=True).
# Attribute getters in C: the listings sort tens of thousands of entries.
start_key = attrgetter("start_key")
newest_key = attrgetter("newest_key")


def next_start_key(entry: Entry, today: dt.date) -> tuple[str, int, str]:
    """Sort key: the start of the first occurrence not over by ``today``, then by id."""
    if not entry.occurrences:
        return entry.start_key
    for starts, ends in occurrence_pairs(entry.occurrences):
        last = day_of(ends) or day_of(starts)
        if last is not None and last >= today:
            return (starts, *entry.start_key[1:])
    return entry.start_key
