"""Jinja filters of the intake's pages: dates in Japanese conventions, or English ones."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import has_request_context

from .locale import select_locale

WEEKDAYS = "月火水木金土日"
EN_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def jadatetime(value: datetime | None, lang: str | None = None) -> str:
    """Format as 2026年12月5日(土) 14:00, or Sat 5 Dec 2026 14:00 on an English page.

    The time is left out at midnight. The language is the request's unless given.
    """
    if value is None:
        return ""
    if lang is None:
        lang = _request_language()
    if lang == "en":
        text = (
            f"{EN_WEEKDAYS[value.weekday()]} {value.day} {EN_MONTHS[value.month - 1]} {value.year}"
        )
    else:
        text = f"{value.year}年{value.month}月{value.day}日({WEEKDAYS[value.weekday()]})"
    if value.hour or value.minute:
        text += f" {value:%H:%M}"
    return text


def jst(value: datetime | str | None) -> datetime | None:
    """Shift a stored UTC time (a datetime or an ISO string) to Japan's time for display."""
    if value is None or value == "":
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment + timedelta(hours=9)


def _request_language() -> str:
    return select_locale() if has_request_context() else "ja"
