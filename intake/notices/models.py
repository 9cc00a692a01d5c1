"""The words operator notices and the site-wide banner are stored with (office/records.py)."""

from __future__ import annotations

from enum import StrEnum

from ..validation import N_


class BannerLevel(StrEnum):
    """How serious a site-wide banner is: `banners.level`."""

    MAINTENANCE = "maintenance"  # メンテナンス: planned work
    OUTAGE = "outage"  # 障害: something does not work
    EMERGENCY = "emergency"  # 緊急: disaster, urgent safety information


# Each level's word (a msgid) and its sign: a level is told by words and a sign, not colour.
LEVEL_LABELS = {
    BannerLevel.MAINTENANCE: N_("メンテナンス"),
    BannerLevel.OUTAGE: N_("障害"),
    BannerLevel.EMERGENCY: N_("緊急"),
}
LEVEL_LABELS_EN = {
    BannerLevel.MAINTENANCE: "Maintenance",
    BannerLevel.OUTAGE: "Outage",
    BannerLevel.EMERGENCY: "Emergency",
}
LEVEL_SIGNS = {
    BannerLevel.MAINTENANCE: "\N{WRENCH}",
    BannerLevel.OUTAGE: "\N{WARNING SIGN}",
    BannerLevel.EMERGENCY: "\N{DOUBLE EXCLAMATION MARK}",
}
