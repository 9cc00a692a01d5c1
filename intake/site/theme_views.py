"""The site's theme on the intake's pages: its header and footer partial and its stylesheets.

The theme's ``_chrome.html`` is the one markup of the header and footer; the intake loads it
as ``theme/_chrome.html`` and serves the theme's stylesheets (tokens.css, site.css) under
``/app/theme/``, so a form looks like the page it was opened from. The main menu is the
site's: its kinds, 団体, 検索 and the hand-written pages, in the titles those pages give.
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Blueprint, Flask, current_app, render_template_string
from flask_babel import get_locale
from jinja2 import BaseLoader, Environment, FileSystemLoader, PrefixLoader
from markupsafe import Markup
from pelican.settings import read_settings

from ..installation.resources import pages_dir, theme_dir
from ..posts.appearance import kind_names
from ..taxonomy import AREAS, AREAS_EN, KIND_SEGMENTS, TOPICS, TOPICS_EN

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
    catalog = theme_catalog(lang)
    return {**kinds, **{key: catalog.gettext(word) for key, word in SITE_ITEMS.items()}}


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


def _in(lang: str, labels: dict[str, str], english: dict[str, str]) -> dict[str, str]:
    """Return labels with their English names on an English page (the i18n plugin's way)."""
    return labels if lang == "ja" else {k: english.get(k, v) for k, v in labels.items()}


@cache
def theme_words(lang: str) -> dict[str, Any]:
    """Return the theme's own gettext and pgettext for lang (its catalog, compiled from
    theme/translations as the site build does): a fact reads as the site page reads it,
    whatever the intake's catalog says for the same word elsewhere."""
    words = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    words.install_gettext_translations(  # type: ignore[attr-defined]
        theme_catalog(lang), newstyle=True
    )
    return {"gettext": words.globals["gettext"], "pgettext": words.globals["pgettext"]}


@cache
def theme_catalog(lang: str) -> gettext.NullTranslations:
    """Return the theme's catalog for lang, compiled from theme/translations as the site
    build does (none for Japanese, the message ids' own language)."""
    po = theme_dir() / "translations" / lang / "LC_MESSAGES" / "messages.po"
    if lang == "ja" or not po.is_file():
        return gettext.NullTranslations()
    compiled = io.BytesIO()
    write_mo(compiled, read_po(io.BytesIO(po.read_bytes()), locale=lang), use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


# The parts of a post's page by the theme's macros (_post.html, _facts.html); `_` follows
# the context's gettext. The preview's button is no link, its 掲載日 the day of approval.
PARTS = {
    "heading": "{{ post.heading(article, untitled) }}",
    "lead": "{{ post.lead(article) }}",
    "facts": "{{ facts.details(article, kind_label, "
    "article.occurrences|occurrence_list if article.recurrence else [], date_note) }}",
    "apply": "{{ post.apply(article, '', apply_note) }}",
}
IMPORTS = (
    '{% import "theme/_post.html" as post with context %}'
    '{% import "theme/_facts.html" as facts with context %}'
)


def post_parts(article: Any, untitled: str, date_note: str, apply_note: str) -> dict[str, str]:
    """Render the parts of a post's page (theme/_post.html: heading, lead, apply; and
    theme/_facts.html: facts) for this intake page's language, with what the site build gives
    Pelican (worker/build/session.py) and the i18n plugin's per-language values
    (pelican/plugins/i18n/writer.py). ``article`` has the metadata of the post's Markdown
    file (intake.posts.appearance.PageFacts); the notes are the desk's, in its language."""
    lang = _lang()
    hiroba = current_app.config["HIROBA"]
    deployment = hiroba.deployment
    kinds = kind_names(hiroba.pelicanconf, lang)
    values = {
        "article": article,
        "untitled": untitled,
        "date_note": date_note,
        "apply_note": apply_note,
        "kind_label": kinds.get(article.category.slug, article.category.slug),
        "SITEURL": _site(lang),
        "LANG": lang,
        "USER_LANG_ATTR": Markup("") if lang == "ja" else Markup(' lang="ja"'),
        "HIROBA_KIND_NAMES": kinds,
        "HIROBA_TOPICS": _in(lang, TOPICS, TOPICS_EN),
        "HIROBA_AREAS": _in(lang, AREAS, AREAS_EN),
        "HIROBA_AUDIENCES": _in(lang, deployment.audiences, deployment.audiences_en),
        "HIROBA_OPERATOR": deployment.operator.public(),
        **theme_words(lang),
    }
    # autoescaped (the theme's own files): safe to show as they are
    return {name: render_template_string(IMPORTS + part, **values) for name, part in PARTS.items()}
