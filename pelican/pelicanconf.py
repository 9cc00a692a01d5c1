"""Pelican settings for Hiroba's public site (development defaults).

The build code passes PATH, OUTPUT_PATH, THEME, SITEURL and the HIROBA_* settings
through ``pelican.settings.read_settings(..., override=...)``; everything else is
fixed here. ``publishconf.py`` imports this module and changes only production values.
"""

import os

_HERE = os.path.dirname(os.path.abspath(__file__))
_REPO = os.path.dirname(_HERE)

SITENAME = "しんじゅく広場"
SITESUBTITLE = "区民の活動・イベント情報"
SITESUBTITLE_EN = "Community activities and events in the ward"  # on the /en/ pages
# Root-relative links ("/events/12/") rather than RELATIVE_URLS: the 404 page is
# served at any depth and Apply_url values are site-absolute paths.
SITEURL = ""
RELATIVE_URLS = False

DEFAULT_LANG = "ja"
TIMEZONE = "Asia/Tokyo"
DEFAULT_DATE_FORMAT = "%Y年%m月%d日"

PATH = os.path.join(_REPO, "content")
OUTPUT_PATH = os.path.join(_REPO, "output")
THEME = os.path.join(_REPO, "theme")
THEME_STATIC_DIR = "theme"
THEME_STATIC_PATHS = ["static"]
# Published posts' flyers and images (content/media/<post id>/, written by the worker).
# Nothing else is copied: no excludes, no extra path metadata, no links to sources.
STATIC_PATHS = ["media"]
STATIC_EXCLUDES: list[str] = []
STATIC_EXCLUDE_SOURCES = True
STATIC_CREATE_LINKS = False
EXTRA_PATH_METADATA: dict[str, dict[str, str]] = {}
# User text is data, never a path (docs/security-model.md). Pelican's intrasite links
# ({attach}, {static}, {filename}, |filename|, {index}, ...) make a build read and copy
# any file a post names, `..` allowed; the hand-written pages do not use them, so they
# are off everywhere: this pattern never matches (Pelican needs the "what" group).
INTRASITE_LINK_REGEX = "(?!)(?P<what>)"
# Markdown only: no reStructuredText (its include directive reads files) and no raw HTML
# files read as content.
READERS: dict[str, None] = {"rst": None, "html": None, "htm": None}
# Files the worker is still writing (.tmp-*, renamed into place when complete).
IGNORE_FILES = [".#*", ".tmp-*"]

ARTICLE_PATHS = ["posts"]
PAGE_PATHS = ["pages"]
USE_FOLDER_AS_CATEGORY = False
DEFAULT_CATEGORY = "notices"
FILENAME_METADATA = ""
SLUGIFY_SOURCE = "basename"

ARTICLE_URL = "{category}/{slug}/"
ARTICLE_SAVE_AS = "{category}/{slug}/index.html"
ARTICLE_LANG_URL = "{category}/{slug}/{lang}/"
ARTICLE_LANG_SAVE_AS = "{category}/{slug}/{lang}/index.html"
PAGE_URL = "pages/{slug}/"
PAGE_SAVE_AS = "pages/{slug}/index.html"
# A page's translation (about.en.md, Lang: en) is not written on its own: the i18n
# plugin's writer renders it at en/<the page's path> (see HIROBA_LANGUAGES).
PAGE_LANG_URL = "pages/{slug}/"
PAGE_LANG_SAVE_AS = ""
CATEGORY_URL = "{slug}/"
# Kind, month, 分野, 地域 and calendar pages are written by the listings plugin.
CATEGORY_SAVE_AS = ""
CATEGORIES_URL = "categories/"
CATEGORIES_SAVE_AS = "categories/index.html"

# Drafts are never published: the moderation queue is where unpublished posts live.
DRAFT_URL = ""
DRAFT_SAVE_AS = ""
DRAFT_LANG_URL = ""
DRAFT_LANG_SAVE_AS = ""
DRAFT_PAGE_URL = ""
DRAFT_PAGE_SAVE_AS = ""
DRAFT_PAGE_LANG_URL = ""
DRAFT_PAGE_LANG_SAVE_AS = ""

AUTHOR_URL = ""
AUTHOR_SAVE_AS = ""
AUTHORS_URL = ""
AUTHORS_SAVE_AS = ""
TAG_URL = ""
TAG_SAVE_AS = ""
TAGS_URL = ""
TAGS_SAVE_AS = ""
ARCHIVES_URL = ""
ARCHIVES_SAVE_AS = ""
YEAR_ARCHIVE_SAVE_AS = ""
MONTH_ARCHIVE_SAVE_AS = ""
DAY_ARCHIVE_SAVE_AS = ""
DIRECT_TEMPLATES: list[str] = []
DEFAULT_PAGINATION = False
DELETE_OUTPUT_DIRECTORY = False

# Feeds are written by the listings plugin (capped at FEED_MAX_ITEMS, newest first):
# feeds/all.atom.xml, feeds/<kind>.atom.xml, feeds/topics/<key>.atom.xml, feeds/areas/<key>.atom.xml
HIROBA_FEED_ALL = "feeds/all.atom.xml"
FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
FEED_ALL_RSS = None
FEED_RSS = None
FEED_ATOM = None
CATEGORY_FEED_RSS = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
TAG_FEED_ATOM = None
TAG_FEED_RSS = None
TRANSLATION_FEED_ATOM = None
TRANSLATION_FEED_RSS = None
FEED_MAX_ITEMS = 50

# Summary is plain text written by the worker; never run through Markdown.
FORMATTED_FIELDS: list[str] = []
MARKDOWN = {
    "extension_configs": {
        "markdown.extensions.tables": {},
        "markdown.extensions.fenced_code": {},
        "markdown.extensions.sane_lists": {},
    },
    "output_format": "html5",
}
JINJA_ENVIRONMENT = {
    "trim_blocks": True,
    "lstrip_blocks": True,
    "autoescape": True,
    "extensions": [],
}

LOAD_CONTENT_CACHE = False
CACHE_CONTENT = False

PLUGIN_PATHS = [os.path.join(_HERE, "plugins")]
PLUGINS = ["i18n", "sanitize", "media", "jadates", "kinds", "structured", "listings", "readcache"]

# Post kinds: the Category value of a post file and its Japanese label.
HIROBA_KINDS = {"events": "イベント", "recruitment": "参加募集", "notices": "お知らせ"}
HIROBA_KINDS_EN = {
    "events": "Events",
    "recruitment": "Calls for participants",
    "notices": "Notices",
}
# One item's kind in English (an event page's 種類 says "Event", not the section "Events");
# in Japanese the kind's label serves both.
HIROBA_KIND_NAMES_EN = {
    "events": "Event",
    "recruitment": "Call for participants",
    "notices": "Notice",
}
# The site's languages: DEFAULT_LANG at the root, every other one under /<lang>/ (the
# i18n plugin renders each page once per language; the theme's catalogs translate it).
HIROBA_LANGUAGES = {"ja": "日本語", "en": "English"}
# Deployment lists of 分野 and 地域; the build code overrides these.
HIROBA_TOPICS: dict[str, str] = {}
HIROBA_AREAS: dict[str, str] = {}
# 対象 (who a post is for): hiroba.toml [audiences], passed in by the build code.
HIROBA_AUDIENCES: dict[str, str] = {}
HIROBA_TOPICS_EN: dict[str, str] = {}
HIROBA_AREAS_EN: dict[str, str] = {}
HIROBA_AUDIENCES_EN: dict[str, str] = {}
HIROBA_INTAKE_URL = "/app"
# The operator's contact details (hiroba.toml [operator]: name, address, phone, hours,
# email), shown in every page's footer; passed in by the build code.
HIROBA_OPERATOR: dict[str, str] = {}
# Set by the worker for its builds: where the listings plugin saves its state (a path
# prefix: <prefix>.state.pickle and <prefix>.sigs.json) for the
# incremental publisher, the configuration's fingerprint, and the post files' stats.
HIROBA_STATE_PREFIX = ""
HIROBA_FINGERPRINT = ""
HIROBA_SOURCE_STATS: dict[str, list[int]] = {}
# Set by the worker for its full builds: Pagefind runs after Pelican's process has ended
# (worker/build/full.py), not at the end of the Pelican run.
HIROBA_SEARCH_LATER = False
# Set by the worker for its full builds (the cores it may use): the i18n plugin's writer
# renders the pages in that many forked processes (pelican/plugins/i18n/parallel.py).
HIROBA_RENDER_PROCESSES = 1
# Set by the worker for its full builds: the file where the readcache plugin keeps each
# post's Markdown rendering, keyed by its bytes (pelican/plugins/readcache).
HIROBA_READ_CACHE = ""
# Set by the worker for incremental publications: a folder where the i18n plugin keeps
# the theme's compiled catalogs (a fresh rq work-horse then loads a .mo, without Babel).
HIROBA_CATALOG_CACHE = ""
