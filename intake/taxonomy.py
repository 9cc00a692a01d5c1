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

# Who a post is for (対象); a deployment replaces the list with [audiences] in hiroba.toml.
AUDIENCES: dict[str, str] = {
    "children": "子ども",
    "families": "親子",
    "students": "学生",
    "youth": "若者",
    "parents": "子育て世代",
    "seniors": "高齢者",
    "disabilities": "障害のある方",
    "foreigners": "外国人",
    "everyone": "どなたでも",
}

# What a post's attendance (参加方法) can be, as the form and the site name it.
ATTENDANCE: dict[str, str] = {
    "offline": "会場",
    "online": "オンライン",
    "hybrid": "会場とオンライン",
}

# English labels (the site's /en/ pages; the intake's English forms may use them too).
# Keys are those above; a key missing here falls back to its Japanese label.
POST_KINDS_EN: dict[str, str] = {
    "event": "Event",
    "recruitment": "Call for participants",
    "notice": "Notice",
}

TOPICS_EN: dict[str, str] = {
    "welfare": "Welfare",
    "childcare": "Childcare",
    "environment": "Environment",
    "community": "Community development",
    "international": "International exchange",
    "culture": "Culture",
    "sports": "Sports",
    "disaster": "Disaster preparedness",
    "health": "Health",
    "learning": "Lifelong learning",
}

AREAS_EN: dict[str, str] = {
    "yotsuya": "Yotsuya",
    "ushigome": "Ushigome",
    "wakamatsu": "Wakamatsu",
    "okubo": "Okubo",
    "totsuka": "Totsuka",
    "ochiai-1": "Ochiai 1",
    "ochiai-2": "Ochiai 2",
    "kashiwagi": "Kashiwagi",
    "tsunohazu": "Tsunohazu",
    "wardwide": "Whole ward",
}

# English labels of the default 対象 (a deployment's own [audiences] keys without one
# show their Japanese label on the English pages).
AUDIENCES_EN: dict[str, str] = {
    "children": "Children",
    "families": "Parents and children",
    "students": "Students",
    "youth": "Young people",
    "parents": "Parents raising children",
    "seniors": "Older people",
    "disabilities": "People with disabilities",
    "foreigners": "Foreign residents",
    "everyone": "Everyone",
}
