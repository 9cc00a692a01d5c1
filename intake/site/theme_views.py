"""The site's theme on the intake's pages: its header and footer partial and its stylesheets.

The theme's ``_chrome.html`` is the one markup of the header and footer; the intake loads it
as ``theme/_chrome.html`` and serves the theme's stylesheets (tokens.css, site.css) under
``/app/theme/``, so a form looks like the page it was opened from. The main menu is the
site's: its kinds, 団体, 検索 and the hand-written pages, in the titles those pages give.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po
from flask import Blueprint, Flask, current_app
from flask_babel import get_locale
from jinja2 import BaseLoader, FileSystemLoader, PrefixLoader
from pelican.settings import read_settings

from ..installation.resources import pages_dir, theme_dir
from ..taxonomy import KIND_SEGMENTS

# The menu's own items after the kinds: the theme's message ids (base.html), translated by the
# theme's catalog, so the intake's menu says what the site's says.
SITE_ITEMS = {"groups": "団体", "search": "検索"}
# The site's Atom feed of everything new (pelicanconf HIROBA_FEED_ALL), linked from the footer.
FEED_ALL = "feeds/all.atom.xml"


class ThemeBlueprint(Blueprint):
    """A blueprint whose templates are the theme's, under the prefix ``theme/``."""

    @property
    def jinja_loader(self) -> BaseLoader | None:  # type: ignore[override]
        return PrefixLoader({"theme": FileSystemLoader(str(theme_dir() / "templates"))})


def install(app: Flask) -> None:
    """Serve the theme's static files at /app/theme/ and load its partials as theme/…."""
    bp = ThemeBlueprint(
        "theme", __name__, static_folder=str(theme_dir() / "static"), static_url_path="/theme"
    )
    app.register_blueprint(bp, url_prefix="/app")
    app.context_processor(_chrome)
    app.add_template_global(public_page)


def _header(text: str) -> dict[str, str]:
    """Return a page's Pelican metadata (the lines before the first blank one)."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            break
        key, _sep, value = line.partition(":")
        found[key.strip().lower()] = value.strip()
    return found


@cache
def site_pages(folder: Path) -> dict[str, list[tuple[str, str]]]:
    """Return {lang: [(slug, title)]} of the shown hand-written pages, in Pelican's order."""
    found: dict[str, list[tuple[str, str]]] = {}
    for path in sorted(folder.glob("*.md"), key=lambda p: p.name.split(".")[0]):
        meta = _header(path.read_text(encoding="utf-8"))
        if meta.get("status") == "hidden":
            continue
        slug = meta.get("slug") or path.name.split(".")[0]
        lang = meta.get("lang") or "ja"
        found.setdefault(lang, []).append((slug, meta.get("title", slug)))
    return found


@cache
def menu_words(pelicanconf: Path, lang: str) -> dict[str, str]:
    """Return the menu's words in lang from their one source: the deployment's pelicanconf
    (HIROBA_KINDS, HIROBA_KINDS_EN) for the kinds, the theme's catalog for the rest."""
    conf = read_settings(str(pelicanconf))
    kinds: dict[str, str] = dict(conf["HIROBA_KINDS_EN" if lang == "en" else "HIROBA_KINDS"])
    catalog = theme_dir() / "translations" / lang / "LC_MESSAGES" / "messages.po"
    translated: dict[str, str] = {}
    if lang != "ja" and catalog.is_file():
        with catalog.open("rb") as po:
            translated = {
                m.id: m.string
                for m in read_po(po)
                if isinstance(m.id, str) and isinstance(m.string, str) and m.string
            }
    return {**kinds, **{key: translated.get(word, word) for key, word in SITE_ITEMS.items()}}


def nav_items(site: str, lang: str) -> list[dict[str, Any]]:
    """Return the site's main menu for an intake page in lang (none of its items is current)."""
    words = menu_words(current_app.config["HIROBA"].pelicanconf, lang)
    keys = [*KIND_SEGMENTS.values(), *SITE_ITEMS]
    items = [{"url": f"{site}/{key}/", "label": words[key], "current": False} for key in keys]
    pages = site_pages(pages_dir())
    for slug, title in pages.get(lang) or pages.get("ja", []):
        items.append({"url": f"{site}/pages/{slug}/", "label": title, "current": False})
    return items


def _lang() -> str:
    locale = get_locale()
    return locale.language if locale else "ja"


def _site(lang: str) -> str:
    """Return the site's root in lang, as its own pages write it (absolute when configured)."""
    root: str = current_app.config["HIROBA"].site_url
    return root if lang == "ja" else f"{root}/{lang}"


def public_page(post: Any) -> str:
    """Return the address of a published post's page on the site, in the page's language."""
    return f"{_site(_lang())}/{KIND_SEGMENTS[post.kind]}/{post.id}/"


def _chrome() -> dict[str, Any]:
    lang = _lang()
    site = _site(lang)
    return {
        "site_nav": nav_items(site, lang),
        "site_prefix": site,
        "intake_query": f"?lang={lang}",  # as the site's pages link in: the page's language
        # The site's feed in this language (the English copy is under /en/).
        "site_feed": f"{site}/{FEED_ALL}",
    }
