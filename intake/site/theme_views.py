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

from flask import Blueprint, Flask, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from jinja2 import BaseLoader, FileSystemLoader, PrefixLoader

from ..installation.resources import pages_dir, theme_dir
from ..taxonomy import KIND_SEGMENTS

# The site's menu names the kinds by their listing (pelicanconf HIROBA_KINDS), in its order.
KIND_LABELS = {
    "events": _l("イベント"),
    "recruitment": _l("参加募集"),
    "notices": _l("お知らせ"),
}
SITE_MENU = (("groups", _l("団体")), ("search", _l("検索")))


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


def nav_items(lang: str) -> list[dict[str, Any]]:
    """Return the site's main menu for a page of the intake in lang (none is current)."""
    site = "" if lang == "ja" else f"/{lang}"
    items: list[dict[str, Any]] = [
        {"url": f"{site}/{segment}/", "label": KIND_LABELS[segment], "current": False}
        for segment in KIND_SEGMENTS.values()
    ]
    items += [
        {"url": f"{site}/{key}/", "label": label, "current": False} for key, label in SITE_MENU
    ]
    pages = site_pages(pages_dir())
    for slug, title in pages.get(lang) or pages.get("ja", []):
        items.append({"url": f"{site}/pages/{slug}/", "label": title, "current": False})
    return items


def _lang() -> str:
    locale = get_locale()
    return locale.language if locale else "ja"


def public_page(post: Any) -> str:
    """Return the address of a published post's page on the site, in the page's language."""
    site = "" if _lang() == "ja" else f"/{_lang()}"
    return f"{site}/{KIND_SEGMENTS[post.kind]}/{post.id}/"


def _chrome() -> dict[str, Any]:
    lang = _lang()
    return {
        "site_nav": nav_items(lang),
        "site_prefix": "" if lang == "ja" else f"/{lang}",
        "intake_query": "" if lang == "ja" else f"?lang={lang}",
        # The site's own origin: its .ics files, and the webcal: link beside them.
        "site_origin": request.host_url.rstrip("/"),
    }
