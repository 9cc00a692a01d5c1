"""A post's body as the public site will show it, for the moderator's desk.

The site build reads the worker's Markdown file with Pelican's Markdown reader and the
deployment's `pelicanconf.py`, and the sanitize plugin cleans the HTML. This module uses
the same two: the settings Pelican reads from that file and the plugin Pelican loads from
its `PLUGIN_PATHS`, so the desk cannot drift from the site.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from markdown import Markdown
from pelican.plugins._utils import load_plugins
from pelican.readers import MarkdownReader
from pelican.settings import read_settings

from ..controls import xml_safe

# The reader's own extension reads "Key: value" lines of the file's head; the worker writes
# that head, so the body is never read as metadata, and here there is no head at all.
_META = "markdown.extensions.meta"


@cache
def _site_rendering(pelicanconf: Path) -> tuple[dict[str, Any], Callable[[str], str]]:
    """Return the Markdown settings and the HTML cleaner the site build uses."""
    settings = read_settings(str(pelicanconf))
    MarkdownReader(settings)  # completes settings["MARKDOWN"] the way the build's reader does
    markdown = dict(settings["MARKDOWN"])
    markdown["extensions"] = [e for e in markdown.get("extensions", []) if e != _META]
    plugins = load_plugins(settings)
    sanitize = next(p for p in plugins if p.__name__.rpartition(".")[2] == "sanitize")
    clean: Callable[[str], str] = sanitize.clean_html
    return markdown, clean


def body_html(pelicanconf: Path, body: str) -> str:
    """Return a post's body rendered and cleaned as on its public page (safe to show)."""
    markdown, clean = _site_rendering(pelicanconf)
    text = xml_safe((body or "").replace("\r\n", "\n")).strip()  # as worker/content writes it
    return clean(Markdown(**markdown).convert(text))
