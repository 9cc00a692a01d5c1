"""Find a page's own Japanese text where its reader asked for English.

A page for an English reader may hold Japanese only as people's text, which the page marks
``lang="ja"`` (the public site's posts and names, the language switch's 日本語). This
parser collects every text node and every shown attribute (alt, title, aria-label,
placeholder, value of a button) that has Hiragana, Katakana or CJK ideographs and is not
inside an element whose nearest ``lang`` is Japanese. Scripts and styles are not text.

People's text that a page also repeats where no ``lang`` can mark it (a post's title in
<title> or in a link's title attribute, a group's name inside an English sentence) is
recognised by its marked occurrence on the same page: every text marked ``lang="ja"`` is
taken out of the unmarked pieces before they are checked.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff60]")
SHOWN_ATTRIBUTES = ("alt", "title", "aria-label", "placeholder")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "source", "track", "wbr"}  # fmt: skip


class JapaneseOutsideUserText(HTMLParser):
    """Collects the Japanese text of a page that is not marked lang="ja"."""

    def __init__(self, names: tuple[str, ...] = ()) -> None:
        super().__init__(convert_charrefs=True)
        self.names = names
        self.marked: set[str] = set()  # people's text, as marked on this page
        self.stack: list[tuple[str, str | None]] = []  # (tag, its lang attribute)
        self.found: list[str] = []
        self.raw = False

    def _lang(self) -> str:
        for _tag, lang in reversed(self.stack):
            if lang is not None:
                return lang
        return ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        own = values.get("lang")
        if tag not in VOID:
            self.stack.append((tag, own))
        lang = own if own is not None else self._lang()
        if not lang.startswith("ja"):
            for name in SHOWN_ATTRIBUTES:
                text = values.get(name) or ""
                if JAPANESE.search(self._without_names(text)):
                    self.found.append(text)
        self.raw = tag in ("script", "style")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.stack and self.stack[-1][0] == tag:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        self.raw = False
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def _without_names(self, text: str) -> str:
        for name in self.names:
            text = text.replace(name, "")
        return text

    def handle_data(self, data: str) -> None:
        if self.raw or not JAPANESE.search(self._without_names(data)):
            return
        if self._lang().startswith("ja"):
            self.marked.add(data.strip())
        else:
            self.found.append(data.strip())

    def leaks(self) -> list[str]:
        """Return the unmarked pieces still Japanese once people's marked text is out."""
        known = sorted((m for m in self.marked if m), key=len, reverse=True)
        left = []
        for piece in self.found:
            rest = self._without_names(piece)
            for text in known:
                rest = rest.replace(text, "")
            if JAPANESE.search(rest):
                left.append(piece)
        return left


def japanese_outside_user_text(html: str, names: tuple[str, ...] = ()) -> list[str]:
    """Return the pieces of Japanese text of html that are not marked lang="ja".

    names are the deployment's own names (the site's name), which are shown as configured
    in every language and cannot always be marked (a <title>).
    """
    parser = JapaneseOutsideUserText(names)
    parser.feed(html)
    parser.close()
    return parser.leaks()
