"""Jinja filters that show a post's posting fields to its poster and to moderators."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from ..posts import recurrence
from .auth import rt
from .locale import select_locale


def recurrence_words(post: Any) -> str:
    """Return the rule and its dates in words: 毎月第2土曜日（2027年3月31日まで）、全7回."""
    words = recurrence.describe(post.recurrence or "", post.starts_at, select_locale())
    if not words:
        return ""
    count = len(recurrence.decode(post.occurrences or "[]"))
    return _("%(words)s、全%(count)s回", words=words, count=count)


def audience_labels(keys: str) -> str:
    """Return the labels of comma-separated 対象 keys, joined with 、."""
    deployment = rt().settings.deployment
    labels = deployment.audiences
    if select_locale() == "en":  # hiroba.toml's English labels, else the Japanese one
        labels = labels | deployment.audiences_en
    return _("、").join(labels.get(key, key) for key in (keys or "").split(",") if key)
