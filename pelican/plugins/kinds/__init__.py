"""Give every post kind (HIROBA_KINDS) a category page and a labelled feed.

Stateless Pelican plugin. Without it a kind with no published posts has no
``/<kind>/`` page and the site's navigation links to a 404. A post whose Category is
not a configured kind is logged at ERROR level, which fails the build.
"""

from __future__ import annotations

import logging
from typing import Any

from pelican import signals
from pelican.urlwrappers import Category

logger = logging.getLogger(__name__)


def complete_kinds(generator: Any) -> None:
    """Add an empty category for each missing kind and order categories as configured."""
    kinds = list(generator.settings.get("HIROBA_KINDS") or {})
    if not kinds:
        return
    present = {category.slug for category, _ in generator.categories}
    for category, articles in generator.categories:
        if category.slug not in kinds:
            logger.error(
                "category %r is not a post kind (%s); used by %s",
                category.slug,
                ", ".join(kinds),
                ", ".join(sorted(str(a.source_path) for a in articles)),
            )
    for kind in kinds:
        if kind not in present:
            generator.categories.append((Category(kind, generator.settings), []))
    # Sort in place: the generator's context holds this same list object.
    generator.categories.sort(
        key=lambda pair: (
            kinds.index(pair[0].slug) if pair[0].slug in kinds else len(kinds),
            pair[0].slug,
        )
    )


def label_feed(context: Any, feed: Any) -> None:
    """Title a kind's feed with its Japanese label instead of its URL segment."""
    kinds = context.get("HIROBA_KINDS") or {}
    prefix = f"{context.get('SITENAME', '')} - "
    title = feed.feed.get("title") or ""
    slug = title[len(prefix) :] if title.startswith(prefix) else None
    if slug in kinds:
        feed.feed["title"] = prefix + kinds[slug]


def register() -> None:
    """Connect the plugin's handlers to Pelican's signals."""
    signals.article_generator_finalized.connect(complete_kinds)
    signals.feed_generated.connect(label_feed)
