"""Jinja filters of the intake's pages: dates in Japanese conventions."""

from __future__ import annotations

from datetime import datetime

WEEKDAYS = "月火水木金土日"


def jadatetime(value: datetime | None) -> str:
    """Format as 2026年12月5日(土) 14:00 (the time left out at midnight)."""
    if value is None:
        return ""
    text = f"{value.year}年{value.month}月{value.day}日({WEEKDAYS[value.weekday()]})"
    if value.hour or value.minute:
        text += f" {value:%H:%M}"
    return text
