"""An event's custom questions (up to five), defined by the organizer and stored as JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from ..models import Post

MAX_QUESTIONS = 5
KINDS = {"text": "自由記述", "choice": "選択（ひとつ）", "checkbox": "チェック（複数可）"}
# Which contact fields a post may ask: its choice, intersected with the deployment's list.
ASK_CONTACT = {"both": ("phone", "email"), "phone": ("phone",), "email": ("email",)}


@dataclass(frozen=True)
class Question:
    """One question: its label, its kind, the options of a choice or checkbox, and if required."""

    label: str
    kind: str = "text"
    options: tuple[str, ...] = field(default_factory=tuple)
    required: bool = False


def encode_questions(questions: list[Question]) -> str:
    """Return the JSON stored in Post.questions."""
    return json.dumps(
        [asdict(q) | {"options": list(q.options)} for q in questions[:MAX_QUESTIONS]],
        ensure_ascii=False,
    )


def questions_of(post: Post) -> list[Question]:
    """Return a post's questions; anything malformed in the stored JSON is skipped."""
    try:
        raw = json.loads(post.questions or "[]")
    except ValueError:
        return []
    found = []
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict) or not str(item.get("label") or "").strip():
            continue
        kind = str(item.get("kind")) if item.get("kind") in KINDS else "text"
        options = tuple(str(o) for o in item.get("options") or [] if str(o).strip())
        found.append(Question(str(item["label"]), kind, options, bool(item.get("required"))))
    return found[:MAX_QUESTIONS]


def split_options(raw: str) -> tuple[str, ...]:
    """Split an organizer's option list written with 、 , or new lines."""
    for separator in ("、", "，", "\n"):
        raw = raw.replace(separator, ",")
    return tuple(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))


def contact_fields(post: Post, allowed: tuple[str, ...]) -> tuple[str, ...]:
    """Return the contact fields an event's form asks: the post's choice within the deployment's."""
    chosen = tuple(f for f in ASK_CONTACT.get(post.ask_contact, ()) if f in allowed)
    return chosen or allowed
