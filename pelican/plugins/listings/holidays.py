"""Japan's public holidays (国民の祝日) for the month calendar, named in both languages.

The dates come from jpholiday (the holiday law, with substitute and in-between holidays);
its names are Japanese, so the English ones are kept here, with a plain word for any name
a later law adds before this table knows it.
"""

from __future__ import annotations

import datetime as dt

import jpholiday

ENGLISH = {
    "元日": "New Year's Day",
    "成人の日": "Coming of Age Day",
    "建国記念の日": "National Foundation Day",
    "天皇誕生日": "The Emperor's Birthday",
    "春分の日": "Vernal Equinox Day",
    "昭和の日": "Showa Day",
    "憲法記念日": "Constitution Memorial Day",
    "みどりの日": "Greenery Day",
    "こどもの日": "Children's Day",
    "海の日": "Marine Day",
    "山の日": "Mountain Day",
    "敬老の日": "Respect for the Aged Day",
    "秋分の日": "Autumnal Equinox Day",
    "スポーツの日": "Sports Day",
    "体育の日": "Health and Sports Day",
    "文化の日": "Culture Day",
    "勤労感謝の日": "Labour Thanksgiving Day",
    "振替休日": "Substitute holiday",
    "国民の休日": "Citizens' holiday",
}
FALLBACK = "Public holiday"


def holiday(day: dt.date) -> dict[str, str] | None:
    """Return the day's holiday name as {"ja": ..., "en": ...}, or None on an ordinary day."""
    name = jpholiday.is_holiday_name(day)
    if not name:
        return None
    # A substitute holiday is named after the day it replaces: 憲法記念日 振替休日.
    substitute = ENGLISH["振替休日"] if name.endswith("振替休日") else None
    english = ENGLISH.get(name) or substitute or FALLBACK
    return {"ja": name, "en": english}
