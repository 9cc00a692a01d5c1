"""A post's flyers and images: the ``Media`` metadata key, checked and made usable.

Stateless Pelican plugin. The worker writes ``Media`` as one line of JSON
(docs/content-format.md); at ``content_object_init`` this plugin parses it into
``article.media_items`` (images, then PDFs, in the poster's order) with each item's
values checked: a path must be one of the post's own files under ``media/<slug>/``, a
number a number. Anything else is logged as an error, which fails the build. The files
themselves are static content (``STATIC_PATHS``), copied by Pelican as they are.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from pelican import signals
from pelican.contents import Article

logger = logging.getLogger(__name__)

_NAME = r"[0-9a-f]{32}"


def size_label(size: int) -> str:
    """Return a file size the way the site writes it: 123 KB, 1.5 MB."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{max(1, round(size / 1024))} KB"


def _path(value: Any, slug: str, suffix: str) -> str:
    pattern = rf"media/{re.escape(slug)}/{_NAME}{suffix}"
    if not isinstance(value, str) or not re.fullmatch(pattern, value):
        raise ValueError(f"not a media path of this post: {value!r}")
    return value


def _number(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 10**9:
        raise ValueError(f"not a positive whole number: {value!r}")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"not text: {value!r}")
    return " ".join(value.split())


def _image(item: dict[str, Any], slug: str) -> dict[str, Any]:
    srcset = [(_path(src, slug, r"-\d+\.webp"), _number(w)) for src, w in item["srcset"]]
    return {
        "type": "image",
        "src": _path(item["src"], slug, r"-\d+\.webp"),
        "srcset": srcset,
        "width": _number(item["width"]),
        "height": _number(item["height"]),
        "alt": _text(item["alt"]),
    }


def _pdf(item: dict[str, Any], slug: str) -> dict[str, Any]:
    size = _number(item["bytes"])
    return {
        "type": "pdf",
        "src": _path(item["src"], slug, r"\.pdf"),
        "bytes": size,
        "size_label": size_label(size),
        "title": _text(item.get("title", "")),
    }


def parse_media(value: str, slug: str) -> list[dict[str, Any]]:
    """Return the checked items of a Media value; raise ValueError on anything unexpected."""
    items = json.loads(value)
    if not isinstance(items, list):
        raise ValueError("Media must be a JSON list")
    parsed = []
    for item in items:
        if not isinstance(item, dict) or item.get("type") not in ("image", "pdf"):
            raise ValueError(f"unknown media item: {item!r}")
        parsed.append(_image(item, slug) if item["type"] == "image" else _pdf(item, slug))
    return parsed


def attach_media(instance: Any) -> None:
    """Give an article its checked media items (empty without a Media key)."""
    if not isinstance(instance, Article):
        return
    value = instance.metadata.get("media")
    instance.media_items = []
    if value is None:
        return
    try:
        instance.media_items = parse_media(str(value), str(instance.metadata.get("slug", "")))
    except (ValueError, KeyError, TypeError) as exc:
        logger.error("%s: bad Media value (%s)", instance.source_path, exc)


def register() -> None:
    """Connect the plugin to Pelican's content_object_init signal."""
    signals.content_object_init.connect(attach_media)
