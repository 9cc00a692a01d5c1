"""Fill a PostForm from stored fields: the poster's edit form and the moderator's review.

The stored shape is PostData's (intake/posts/fields.py); most fields map one to one.
The few whose form differs (questions, recurrence, audience) are converted here, in one
place, so a new posting field needs at most a line here.
"""

from __future__ import annotations

import json
from typing import Any

from ..applications.questions import ASK_CONTACT
from ..web.forms import ASK_CONTACT_CHOICES, PostForm, choices
from . import recurrence
from .fields import Fields, to_data


def _questions(raw: str) -> list[dict[str, Any]]:
    try:
        items = json.loads(raw or "[]")
    except ValueError:
        return []
    return [
        {
            "label": q.get("label", ""),
            "kind": q.get("kind", "text"),
            "options": "、".join(q.get("options") or []),
            "required": bool(q.get("required")),
        }
        for q in items
        if isinstance(q, dict)
    ]


def form_data(fields: Fields) -> dict[str, Any]:
    """Return the data= of a PostForm showing stored fields."""
    data: dict[str, Any] = dict(vars(to_data(fields)))
    data["questions"] = _questions(str(fields.get("questions") or "[]"))
    rule = recurrence.parse(str(fields.get("recurrence") or ""))
    data["recurrence"] = rule.frequency if rule else ""
    data["repeat_until"] = rule.until if rule else None
    data["audience"] = [a for a in str(fields.get("audience") or "").split(",") if a]
    return data


def prepare(form: PostForm, allowed_contact: tuple[str, ...], audiences: dict[str, str]) -> None:
    """Set the choices the deployment decides (as the new-post form does)."""
    form.ask_contact.choices = choices(
        {
            k: v
            for k, v in ASK_CONTACT_CHOICES.items()
            if set(ASK_CONTACT[k]) <= set(allowed_contact)
        }
    )
    if form.ask_contact.data not in {c.value for c in form.ask_contact.choices}:
        form.ask_contact.data = form.ask_contact.choices[0].value
    if hasattr(form, "audience"):
        form.audience.choices = choices(audiences)


def fix_kind(form: PostForm, kind: str) -> None:
    """Offer only the post's own kind: a live post's kind is its page's address."""
    form.kind.choices = [c for c in form.kind.choices if c.value == kind]
    form.kind.data = kind
