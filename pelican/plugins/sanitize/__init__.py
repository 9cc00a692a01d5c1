"""Sanitise rendered post and page HTML with nh3 and reject unknown metadata.

Stateless Pelican plugin: every article and page passes through ``content_object_init``,
where its rendered body is cleaned against an allow-list and its metadata keys are
checked against the publish boundary (docs/content-format.md). Problems are logged at
ERROR level, which the build treats as a failure. Feed summaries are plain text and
are HTML-escaped before the feed is written.
"""

from __future__ import annotations

import html
import logging
import re
from typing import Any

import nh3
from pelican import signals
from pelican.contents import Article, Page

logger = logging.getLogger(__name__)

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "strong", "em", "ul", "ol", "li", "a", "h2", "h3", "h4",
        "blockquote", "code", "pre", "hr",
        "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
    "ol": {"start"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"
# Tags removed together with everything inside them.
DROP_WITH_CONTENT = frozenset({"script", "style", "template", "iframe", "object", "noscript"})

KNOWN_METADATA = frozenset(
    {
        "title", "date", "slug", "category", "kind", "topic", "area", "starts", "ends",
        "place", "place_address", "fee", "capacity", "organizer", "organizer_id",
        "contact", "apply_url", "summary", "save_as", "status", "url", "template",
        "lang", "modified",
        "recurrence", "occurrences", "attendance", "online", "audience",  # posting fields
        "media",  # flyers and images: one line of JSON, checked by the media plugin
        "operator",  # "yes": a notice the operator wrote (運営からのお知らせ)
        "reader",  # set by Pelican itself (readers.py), overriding any value in the file
    }
)  # fmt: skip
SUMMARY_FALLBACK_CHARS = 120
# A word between braces or bars, the way Pelican's default INTRASITE_LINK_REGEX reads
# {attach}, {static}, {filename}, {index}, {tag}, {category}, {author}, |filename|...
INTRASITE_MARKER = re.compile(r"[{|]\s*\w*\s*[|}]")


def _no_intrasite_links(tag: str, attribute: str, value: str) -> str | None:
    """Drop Pelican's intrasite-link markers ({attach}, |filename|...) from every attribute.

    The syntax is off (pelicanconf.INTRASITE_LINK_REGEX), so this is defence in depth: a
    marker hidden anywhere in an attribute, even inside a title, never reaches the page,
    and a link that starts with one goes. It also keeps one post's page independent of
    other posts, which the incremental publisher (one page per changed post) relies on.
    """
    if attribute == "href" and value.lstrip()[:1] in ("{", "|"):
        return None
    while INTRASITE_MARKER.search(value):  # "{att{static}ach}" leaves "{attach}" once
        value = INTRASITE_MARKER.sub("", value)
    return value


def clean_html(fragment: str) -> str:
    """Return ``fragment`` reduced to the prose allow-list, without intrasite markers."""
    return nh3.clean(
        fragment,
        attribute_filter=_no_intrasite_links,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROP_WITH_CONTENT),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )


def _is_site_path(value: str) -> bool:
    """Tell whether ``value`` is a site-absolute path such as ``/app/events/12/apply``."""
    return (
        value.startswith("/")
        and not value.startswith("//")
        and "\\" not in value
        and not any(ch.isspace() or ord(ch) < 32 for ch in value)
    )


def check_metadata(instance: Any) -> None:
    """Log an error for each metadata key outside the publish boundary."""
    source = getattr(instance, "source_path", None) or "<unknown>"
    for key, value in instance.metadata.items():
        if key not in KNOWN_METADATA:
            logger.error(
                "%s: unknown metadata key %r (type %s); allowed keys are listed in "
                "docs/content-format.md",
                source,
                key,
                type(value).__name__,
            )
    apply_url = instance.metadata.get("apply_url")
    if isinstance(apply_url, str) and not _is_site_path(apply_url):
        logger.error("%s: apply_url must be a site-absolute path, got %r", source, apply_url)


def sanitize_content(instance: Any) -> None:
    """Clean the rendered body of an article or page and check its metadata."""
    if not isinstance(instance, (Article, Page)):
        return
    check_metadata(instance)
    content = getattr(instance, "_content", None)
    if isinstance(content, str):
        instance._content = clean_html(content)
        if "summary" not in instance.metadata:
            # Keep summaries plain text everywhere, as the worker's Summary is.
            text = " ".join(html.unescape(nh3.clean(instance._content, tags=set())).split())
            if len(text) > SUMMARY_FALLBACK_CHARS:
                text = text[:SUMMARY_FALLBACK_CHARS] + "…"
            instance.metadata["summary"] = text


def escape_feed_summaries(context: Any, feed: Any) -> None:
    """Escape plain-text summaries, which Atom carries as ``type="html"``."""
    for item in feed.items:
        description = item.get("description")
        if description:
            item["description"] = html.escape(str(description), quote=False)


def register() -> None:
    """Connect the plugin's handlers to Pelican's signals."""
    signals.content_object_init.connect(sanitize_content)
    signals.feed_generated.connect(escape_feed_summaries)
