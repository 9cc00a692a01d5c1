"""Group public profiles (content/groups.json, written by the worker) and the group directory.

The file is read as untrusted data: only the documented fields of the expected types are
kept, ids must be numbers, 分野/地域 keys must be the deployment's, and a website that
is not an http(s) URL is dropped. Templates escape every value; nothing here is markup.

``directory_pages`` plans the directory beyond the A-Z list: one page per 分野 and per
地域 listing the groups that chose it (static HTML, every key always has its page).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

PROFILES_FILE = "groups.json"
TEXT_FIELDS = ("name", "text", "website", "contact")
LEAD_CHARS = 80  # the start of the 活動内容 shown in directory lists
DIRECTORY_FACETS = (("topics", "HIROBA_TOPICS", "分野"), ("areas", "HIROBA_AREAS", "地域"))


def _clean(raw: Any, settings: Mapping[str, Any]) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        return None
    profile: dict[str, Any] = {
        name: raw[name] if isinstance(raw.get(name), str) else "" for name in TEXT_FIELDS
    }
    if not profile["name"].strip():
        return None
    website = profile["website"].strip()
    if not website.lower().startswith(("https://", "http://")) or any(c.isspace() for c in website):
        profile["website"] = ""
    for facet, setting, _label in DIRECTORY_FACETS:
        known = settings.get(setting) or {}
        chosen = raw.get(facet)
        values: list[Any] = chosen if isinstance(chosen, list) else []
        profile[facet] = [key for key in known if key in values]
    return profile


def load_profiles(settings: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Return {group id: public profile} from <PATH>/groups.json (empty when there is none)."""
    path = os.path.join(str(settings.get("PATH") or ""), PROFILES_FILE)
    try:
        with open(path, "rb") as handle:
            data = json.loads(handle.read())
    except FileNotFoundError:
        return {}
    groups = data.get("groups") if isinstance(data, dict) else None
    found: dict[str, dict[str, Any]] = {}
    for key, raw in (groups or {}).items() if isinstance(groups, dict) else ():
        profile = _clean(raw, settings) if str(key).isdigit() else None
        if profile is not None:
            found[str(int(key))] = profile
    return found


def paragraphs(text: str) -> list[list[str]]:
    """Split plain text into paragraphs (blank lines) of lines, for escaped rendering."""
    blocks = [block.strip() for block in text.replace("\r\n", "\n").split("\n\n")]
    return [
        [line.strip() for line in block.split("\n") if line.strip()] for block in blocks if block
    ]


def _lead(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= LEAD_CHARS else flat[: LEAD_CHARS - 1] + "…"


def profile_view(profile: Mapping[str, Any], settings: Mapping[str, Any]) -> dict[str, Any]:
    """Return what a group page shows of a profile: text as paragraphs, facets as links."""
    view: dict[str, Any] = {
        "paragraphs": paragraphs(profile["text"]),
        "website": profile["website"],
        "contact": profile["contact"],
    }
    for facet, setting, _label in DIRECTORY_FACETS:
        labels = settings.get(setting) or {}
        view[facet] = [
            {"key": key, "label": labels[key], "url": f"groups/{facet}/{key}/"}
            for key in profile[facet]
        ]
    return view


def group_row(key: str, name: str, count: int, profile: Mapping[str, Any] | None) -> dict:
    """Return one group's line in a directory list."""
    lead = _lead(profile["text"]) if profile else ""
    return {"url": f"groups/{key}/", "name": name, "count": count, "lead": lead}


def directory_pages(
    rows: list[dict[str, Any]],
    profiles: Mapping[str, Mapping[str, Any]],
    settings: Mapping[str, Any],
) -> tuple[dict[str, list[dict]], list[tuple[str, dict[str, Any], str]]]:
    """Plan the 分野 and 地域 pages of the directory.

    Returns the link lists for the directory's front page ({"topics": [...], "areas":
    [...]}) and the pages as (path, data, template), rows in the order given (by name).
    """
    links: dict[str, list[dict]] = {}
    pages = []
    for facet, setting, facet_label in DIRECTORY_FACETS:
        labels: dict[str, str] = dict(settings.get(setting) or {})
        links[facet] = []
        for key, label in labels.items():
            members = [
                row
                for row in rows
                if (p := profiles.get(row["url"].split("/")[1])) and key in p[facet]
            ]
            base = f"groups/{facet}/{key}/"
            data = {"facet": facet, "facet_label": facet_label, "label": label, "rows": members}
            pages.append((base + "index.html", data, "groups_facet"))
            links[facet].append({"url": base, "label": label, "count": len(members)})
    return links, pages
