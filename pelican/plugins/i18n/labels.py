"""English names for what the listings plugin hands to templates as Japanese labels.

The listings plan (pelican/plugins/listings/plan.py) is shared by both publishing paths
and its page data carry Japanese labels (a kind, 分野：子育て, 2026年12月). The English
page is rendered from the same data: these functions swap those labels for the English
ones of the configuration (HIROBA_*_EN), so the plan and its signatures stay one.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from typing import Any

FACET_NAMES = {"分野": "Topic", "地域": "Area", "対象": "Audience"}
# The titles the listings plan gives its site-wide feeds and calendars.
FIXED_TITLES = {
    "新着情報": "What's new",
    "運営からのお知らせ": "Notices from the operator",
    "すべての予定": "All events",
}
LABEL_KEYS = ("heading", "parent_label", "kind_label", "facet_label", "label")
MONTH_KEYS = ("previous_label", "next_label")
_YEAR_MONTH = re.compile(r"(\d{4})年(\d{1,2})月")


def label_map(settings: Mapping[str, Any]) -> dict[str, str]:
    """Return {Japanese label: English label} for kinds, 分野, 地域 and the facet names."""
    found = FACET_NAMES | FIXED_TITLES
    for name in label_settings(settings):
        japanese: Mapping[str, str] = settings.get(name) or {}
        english: Mapping[str, str] = settings.get(name + "_EN") or {}
        for key, label in japanese.items():
            if key in english:
                found[label] = english[key]
    return found


def label_settings(settings: Mapping[str, Any]) -> list[str]:
    """Return the label settings that have English names: HIROBA_X beside HIROBA_X_EN."""
    return [
        name[: -len("_EN")]
        for name in settings
        if name.startswith("HIROBA_") and name.endswith("_EN") and name[: -len("_EN")] in settings
    ]


def english_labels(settings: Mapping[str, Any], name: str) -> dict[str, str]:
    """Return a label setting (HIROBA_TOPICS ...) with its English names where known."""
    english: Mapping[str, str] = settings.get(name + "_EN") or {}
    return {key: english.get(key, label) for key, label in (settings.get(name) or {}).items()}


def month_label(text: str) -> str:
    """Return "December 2026" for "2026年12月" (other text unchanged)."""
    found = _YEAR_MONTH.fullmatch(text)
    if not found:
        return text
    return f"{calendar.month_name[int(found.group(2))]} {found.group(1)}"


def relabel(text: str, names: Mapping[str, str]) -> str:
    """Return the English form of a label: a name, or "分野：子育て" as "Topic: Childcare"."""
    if text in names:
        return names[text]
    head, sep, tail = text.partition("：")
    if sep and head in names:
        return f"{names[head]}: {names.get(tail, tail)}"
    return text


def english_data(data: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """Return a page's template data with its Japanese labels in English."""
    out = dict(data)
    for key in LABEL_KEYS:
        if isinstance(out.get(key), str):
            out[key] = relabel(out[key], names)
    for key in MONTH_KEYS:
        if isinstance(out.get(key), str):
            out[key] = month_label(out[key])
    for key, value in out.items():  # rows of links, and a group profile's links
        if isinstance(value, list):
            out[key] = _relabel_rows(value, names)
        elif isinstance(value, dict) and key == "profile":
            out[key] = {k: _relabel_rows(v, names) for k, v in value.items()}
    return out


def _relabel_rows(rows: Any, names: Mapping[str, str]) -> Any:
    """Return a list of link dicts with their "label" in English (other values unchanged)."""
    if not isinstance(rows, list) or not rows or not isinstance(rows[0], dict):
        return rows
    return [dict(row, label=relabel(str(row["label"]), names)) if "label" in row else row
            for row in rows]  # fmt: skip
