"""What an edit changes, field by field, for the moderator's review of a live post's edit."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from . import fields as post_fields
from .fields import Fields

# One piece of a long text's diff: ("same" | "del" | "ins", text).
Segment = tuple[str, str]


@dataclass
class FieldChange:
    """One changed field: its name and label, both values as read, and a text diff if long."""

    name: str
    label: str
    before: str
    after: str
    segments: list[Segment] = field(default_factory=list)


def _lines(text: str) -> list[str]:
    """Split into lines, each ending in a newline (so a last line gains none by an append)."""
    text = text.replace("\r\n", "\n")
    return [line + "\n" for line in text.split("\n")] if text else []


def _chars(before: str, after: str) -> list[Segment]:
    """Diff two short runs character by character (Japanese has no spaces between words)."""
    out: list[Segment] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            out.append(("same", before[a1:a2]))
            continue
        if a2 > a1:
            out.append(("del", before[a1:a2]))
        if b2 > b1:
            out.append(("ins", after[b1:b2]))
    return out


def _alike(before: str, after: str) -> bool:
    """Tell whether a line was touched up (diffed by character) rather than rewritten."""
    if len(before) + len(after) > 2000:
        return False
    return difflib.SequenceMatcher(a=before, b=after, autojunk=False).ratio() >= 0.6


def text_segments(before: str, after: str) -> list[Segment]:
    """Diff long text line by line; a one-line replacement is refined character by character."""
    a, b = _lines(before), _lines(after)
    out: list[Segment] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            out.append(("same", "".join(a[a1:a2])))
        elif op == "replace" and a2 - a1 == 1 and b2 - b1 == 1 and _alike(a[a1], b[b1]):
            out.extend(_chars(a[a1], b[b1]))
        else:
            if a2 > a1:
                out.append(("del", "".join(a[a1:a2])))
            if b2 > b1:
                out.append(("ins", "".join(b[b1:b2])))
    return _merge(out)


def _merge(segments: list[Segment]) -> list[Segment]:
    """Join neighbouring segments of the same kind, so each change reads as one piece."""
    merged: list[Segment] = []
    for op, text in segments:
        if merged and merged[-1][0] == op:
            merged[-1] = (op, merged[-1][1] + text)
        elif text:
            merged.append((op, text))
    return merged


def changes(before: Fields, after: Fields, lang: str = "ja") -> list[FieldChange]:
    """Return the changed fields between two versions, in the form's order, their values
    as read in lang."""
    found = []
    for name, (old, new) in post_fields.changed(before, after).items():
        change = FieldChange(
            name=name,
            label=post_fields.label(name),
            before=post_fields.show(name, old, lang),
            after=post_fields.show(name, new, lang),
        )
        if name in post_fields.LONG_TEXT:
            change.segments = text_segments(str(old or ""), str(new or ""))
        found.append(change)
    return found
