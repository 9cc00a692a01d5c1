"""A post's public fields as a JSON-able dict: stored in revisions, compared, shown to people.

The field list is `PostData`'s, so a field added there (recurrence, attendance, audience
...) flows through revisions, diffs, decision edits and mails without changes here.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Any

from ..applications.questions import questions_of
from ..formatting import dates
from ..models import Post
from ..taxonomy import AREAS, AREAS_EN, POST_KINDS, POST_KINDS_EN, TOPICS, TOPICS_EN
from .services import PostData

# Japanese names of the fields, for diffs, decision edits and mails; unknown ones show as-is.
LABELS: dict[str, str] = {
    "kind": "種類",
    "title": "タイトル",
    "summary": "概要",
    "body": "本文",
    "starts_at": "開始日時",
    "ends_at": "終了日時",
    "place_name": "会場名",
    "place_address": "会場の住所",
    "topic": "分野",
    "area": "地域",
    "fee": "参加費",
    "capacity": "定員",
    "accepts_applications": "このサイトで参加申込を受け付ける",
    "contact_public": "公開する問い合わせ先",
    "ask_contact": "申込者に尋ねる連絡先",
    "waitlist": "キャンセル待ち",
    "apply_until": "申込締切",
    "questions": "申込フォームの追加質問",
    "recurrence": "繰り返し",
    "attendance": "開催形式",
    "online_details": "オンライン参加の案内",
    "audience": "対象",
}

# Fields whose changes are shown line by line (difflib) rather than as before/after.
LONG_TEXT = frozenset({"summary", "body", "online_details"})

Fields = dict[str, Any]


def field_names() -> list[str]:
    """Return the names of a post's public, editable fields, in PostData's order."""
    return [f.name for f in dataclasses.fields(PostData)]


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    return value


def from_data(data: PostData) -> Fields:
    """Return PostData as a JSON-able dict (date-times as ISO text)."""
    return {name: _jsonable(value) for name, value in dataclasses.asdict(data).items()}


def from_post(post: Post) -> Fields:
    """Return the public fields of a stored post, the same shape as from_data."""
    return {name: _jsonable(getattr(post, name, None)) for name in field_names()}


def encode(fields: Fields) -> str:
    """Return the JSON stored in PostRevision.data."""
    return json.dumps(fields, ensure_ascii=False, sort_keys=True)


def decode(text: str) -> Fields:
    """Return the fields of a revision's JSON (keys PostData no longer has are dropped)."""
    raw = json.loads(text or "{}")
    names = set(field_names())
    return {k: v for k, v in raw.items() if k in names} if isinstance(raw, dict) else {}


def to_data(fields: Fields) -> PostData:
    """Return PostData from stored fields, date-times parsed back (missing ones default)."""
    values: dict[str, Any] = {}
    for f in dataclasses.fields(PostData):
        if f.name not in fields:
            continue
        value = fields[f.name]
        if isinstance(value, str) and value and "datetime" in str(f.type):
            value = datetime.fromisoformat(value)
        values[f.name] = value
    return PostData(**values)


def apply(post: Post, fields: Fields) -> None:
    """Set a post's public fields from stored fields."""
    for name, value in dataclasses.asdict(to_data(fields)).items():
        if name in fields:
            setattr(post, name, value)


def _same(a: Any, b: Any) -> bool:
    """Compare two field values, ignoring how line breaks were sent."""
    if isinstance(a, str) and isinstance(b, str):
        return a.replace("\r\n", "\n").strip() == b.replace("\r\n", "\n").strip()
    return bool(a == b)


def changed(before: Fields, after: Fields) -> dict[str, list[Any]]:
    """Return {field: [before, after]} for every field that differs."""
    return {
        name: [before.get(name), after.get(name)]
        for name in field_names()
        if name in after and not _same(before.get(name), after.get(name))
    }


def ja_datetime(value: datetime) -> str:
    """Format as 2026年12月5日(土) 14:00."""
    return dates.format_datetime(value, "ja")


# The words show() answers with in each language (the desk shows a diff in the page's
# language; mails to posters stay Japanese). Keys and labels come from taxonomy's tables.
WORDS: dict[str, dict[str, str]] = {
    "ja": {"none": "（なし）", "yes": "はい", "no": "いいえ", "and": "、"},
    "en": {"none": "(none)", "yes": "Yes", "no": "No", "and": ", "},
}
LABEL_TABLES: dict[str, dict[str, dict[str, str]]] = {
    "kind": {"ja": POST_KINDS, "en": POST_KINDS | POST_KINDS_EN},
    "topic": {"ja": TOPICS, "en": TOPICS | TOPICS_EN},
    "area": {"ja": AREAS, "en": AREAS | AREAS_EN},
}


def show(name: str, value: Any, lang: str = "ja") -> str:
    """Return a field's value as a person reads it in lang (labels for keys, dates)."""
    words = WORDS.get(lang, WORDS["ja"])
    if value is None or value == "":
        return words["none"]
    if isinstance(value, bool):
        return words["yes"] if value else words["no"]
    if name in LABEL_TABLES:
        table = LABEL_TABLES[name]
        return table.get(lang, table["ja"]).get(value, value)
    if name == "questions":
        labels = [q.label for q in questions_of(Post(questions=str(value)))]
        return words["and"].join(labels) or words["none"]
    if isinstance(value, str) and "datetime" in _type_of(name):
        try:
            return dates.format_datetime(datetime.fromisoformat(value), lang)
        except ValueError:
            return value
    return str(value)


def _type_of(name: str) -> str:
    for f in dataclasses.fields(PostData):
        if f.name == name:
            return str(f.type)
    return ""


def label(name: str) -> str:
    """Return the Japanese name of a field."""
    return LABELS.get(name, name)


def edits_text(edits: dict[str, list[Any]]) -> list[str]:
    """Return one line per edited field: 「label」: before → after (long text summarised)."""
    lines = []
    for name, (before, after) in edits.items():
        if name in LONG_TEXT:
            lines.append(f"「{label(name)}」を修正しました。修正後:\n{show(name, after)}")
        else:
            lines.append(f"「{label(name)}」: {show(name, before)} → {show(name, after)}")
    return lines
