"""The bottom of the site build: Pelican's settings for one build, and a Pelican session
that reads and renders single articles for the incremental publisher."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pelican import Pelican
from pelican.contents import Article
from pelican.generators import ArticlesGenerator, PagesGenerator
from pelican.plugins import signals
from pelican.readers import SkipStub
from pelican.settings import read_settings
from pelican.writers import Writer

from intake.config import Settings
from intake.taxonomy import AREAS, AREAS_EN, TOPICS, TOPICS_EN

if TYPE_CHECKING:  # mypy finds the plugin through mypy_path; the worker loads it via Pelican
    from listings.api import Listings


READ_CACHE_NAME = "markdown.sqlite3"  # pelican/plugins/readcache, in <site>/cache


class NeedsFullBuild(Exception):
    """The incremental path cannot produce a build equal to a full one."""


def pelican_settings(
    settings: Settings,
    output_dir: Path,
    incremental: bool = False,
    overrides: dict[str, object] | None = None,
) -> dict:
    """Return Pelican's settings for one build of this deployment."""
    override = {
        "PATH": str(settings.content_dir),
        "OUTPUT_PATH": str(output_dir),
        "THEME": str(settings.theme_dir),
        "SITEURL": settings.site_url,
        "SITENAME": settings.site_name,
        "HIROBA_TOPICS": TOPICS,
        "HIROBA_AREAS": AREAS,
        "HIROBA_AUDIENCES": settings.deployment.audiences,
        "HIROBA_TOPICS_EN": TOPICS_EN,
        "HIROBA_AREAS_EN": AREAS_EN,
        "HIROBA_AUDIENCES_EN": settings.deployment.audiences_en,
        "HIROBA_INTAKE_URL": "/app",
        "HIROBA_OPERATOR": settings.deployment.operator.public(),
        "CACHE_PATH": str(settings.site_dir / "cache"),
        "PAGEFIND_BINARY": settings.pagefind_binary,
        **(overrides or {}),
    }
    if incremental:
        # One post is read: loading the whole content cache would cost more than it saves.
        override.update(CACHE_CONTENT=False, LOAD_CONTENT_CACHE=False)
        # But the hand-written pages are read on every publication: their Markdown comes
        # from the full builds' read cache (pelican/plugins/readcache) when it holds them.
        read_cache = settings.site_dir / "cache" / READ_CACHE_NAME
        if read_cache.is_file() and "HIROBA_READ_CACHE" not in override:
            override["HIROBA_READ_CACHE"] = str(read_cache)
    values = read_settings(str(settings.pelicanconf), override=override)
    # Each rq work-horse and each build is a new process or a new Jinja environment: keep
    # compiled templates between them (keyed by the template's name and file, checked
    # against its source), for full builds as for publications.
    from jinja2 import FileSystemBytecodeCache

    folder = settings.site_dir / "cache" / "jinja"
    folder.mkdir(parents=True, exist_ok=True)
    values["JINJA_ENVIRONMENT"] = {
        **values["JINJA_ENVIRONMENT"],
        "bytecode_cache": FileSystemBytecodeCache(str(folder)),
    }
    # And the theme's compiled English catalog (pelican/plugins/i18n/catalog.py).
    values["HIROBA_CATALOG_CACHE"] = str(settings.site_dir / "cache")
    return values


def listings_api(pelican: Pelican) -> type[Listings]:
    """Return the listings plugin's interface, from the module Pelican loaded (Pelican may
    import it as "listings" or "pelican.plugins.listings")."""
    plugin = next(p for p in pelican.plugins if p.__name__.rpartition(".")[2] == "listings")
    api: type[Listings] = importlib.import_module(f"{plugin.__name__}.api").Listings
    return api


class SiteRenderer:
    """Pelican's reader, Jinja environment and writer for one output folder."""

    def __init__(self, pelican_settings: dict[str, Any]) -> None:
        self.pelican = Pelican(pelican_settings)  # registers the plugins' signal handlers
        self.settings = pelican_settings
        context = pelican_settings.copy()
        context["generated_content"] = {}
        context["static_links"] = set()
        context["static_content"] = {}
        context["localsiteurl"] = pelican_settings["SITEURL"]
        self.context = context
        common = {
            "context": context,
            "settings": pelican_settings,
            "path": pelican_settings["PATH"],
            "theme": pelican_settings["THEME"],
            "output_path": pelican_settings["OUTPUT_PATH"],
        }
        self.articles = ArticlesGenerator(**common)
        self.pages = PagesGenerator(**common)
        self.pages.generate_context()
        # The writer the plugins give Pelican (the i18n plugin's writes every language).
        self.writer: Writer = self.pelican._get_writer()
        self.listings = listings_api(self.pelican)

    def read_article(self, source: str) -> Any | None:
        """Read one post the way ArticlesGenerator does; None when it is a draft or skipped."""
        gen = self.articles
        article = gen.readers.read_file(
            base_path=gen.path,
            path=source,
            content_class=Article,
            context=self.context,
            preread_signal=signals.article_generator_preread,
            preread_sender=gen,
            context_signal=signals.article_generator_context,
            context_sender=gen,
        )
        if isinstance(article, SkipStub):
            return None
        if not article.is_valid():
            raise NeedsFullBuild(f"{source} is not a valid article")
        article.refresh_metadata_intersite_links()
        return article if article.status in ("published", "hidden") else None

    def write_article(self, article: Any) -> None:
        """Write an article's page exactly as ArticlesGenerator.generate_articles does."""
        self.writer.write_file(
            article.save_as,
            self.articles.get_template(article.template),
            self.context,
            article=article,
            category=getattr(article, "category", None),
            override_output=hasattr(article, "override_save_as"),
            url=article.url,
            blog=True,
        )
