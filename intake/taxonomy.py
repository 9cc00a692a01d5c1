"""The deployment's categories (分野), areas (地域) and post kinds."""

from __future__ import annotations

POST_KINDS: dict[str, str] = {
    "event": "イベント告知",
    "recruitment": "参加募集",
    "notice": "お知らせ",
}

# URL segment of each kind on the public site (Pelican's category).
KIND_SEGMENTS: dict[str, str] = {
    "event": "events",
    "recruitment": "recruitment",
    "notice": "notices",
}

TOPICS: dict[str, str] = {
    "welfare": "福祉",
    "childcare": "子育て",
    "environment": "環境",
    "community": "まちづくり",
    "international": "国際交流",
    "culture": "文化",
    "sports": "スポーツ",
    "disaster": "防災",
    "health": "健康",
    "learning": "生涯学習",
}

AREAS: dict[str, str] = {
    "yotsuya": "四谷",
    "ushigome": "牛込",
    "wakamatsu": "若松",
    "okubo": "大久保",
    "totsuka": "戸塚",
    "ochiai-1": "落合第一",
    "ochiai-2": "落合第二",
    "kashiwagi": "柏木",
    "tsunohazu": "角筈",
    "wardwide": "区内全域",
}
