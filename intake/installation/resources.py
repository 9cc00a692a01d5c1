"""Where Hiroba's own files live: the site's pages, theme, Pelican config and migrations.

A checkout keeps them at its top (content/, theme/, pelican/, migrations/ beside intake/).
An installed wheel keeps the same folders inside the data package ``hiroba_site`` (setup.py
maps them there), so nothing installed is called ``pelican`` at the top of site-packages,
where it would shadow the Pelican library. Everything else finds these files through here.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

from ..errors import ConfigError
from ..validation import N_

SITE_PACKAGE = "hiroba_site"
CHECKOUT = Path(__file__).resolve().parents[2]


def _is_site_root(folder: Path) -> bool:
    return (folder / "pelican" / "pelicanconf.py").is_file() and (folder / "theme").is_dir()


@cache
def site_root() -> Path:
    """Return the folder holding content/, theme/, pelican/ and migrations/.

    A checkout's own folders win (an editable install reads what is being edited); an
    installed wheel's are found as the ``hiroba_site`` package, without importing it.
    """
    if _is_site_root(CHECKOUT):
        return CHECKOUT
    spec = importlib.util.find_spec(SITE_PACKAGE)
    for location in (spec.submodule_search_locations or []) if spec else []:
        if _is_site_root(Path(location)):
            return Path(location).resolve()
    raise ConfigError(
        N_(
            "Hiroba のサイトファイルがありません。%(checkout)s に pelican/pelicanconf.py がなく、"
            "%(package)s パッケージもインストールされていないので、Hiroba をインストールし直して"
            "ください。"
        ),
        checkout=CHECKOUT,
        package=SITE_PACKAGE,
    )


def pages_dir() -> Path:
    """Return the hand-written pages (about, privacy, ...) copied into every build."""
    return site_root() / "content" / "pages"


def pelicanconf() -> Path:
    """Return Pelican's configuration file (its plugins are in plugins/ beside it)."""
    return site_root() / "pelican" / "pelicanconf.py"


def theme_dir() -> Path:
    """Return the public site's default theme."""
    return site_root() / "theme"


def migrations_dir() -> Path:
    """Return the Alembic migrations (env.py, versions/)."""
    return site_root() / "migrations"
