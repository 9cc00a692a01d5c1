"""Make ``_()`` and ``{% trans %}`` available in the theme's templates.

Templates mark every string of the site's chrome for translation; the Japanese text is
the message id. Japanese pages render the ids as written (null translations); the
plugin's writer (writer.py) renders every page a second time under ``en/`` with the
theme's English catalog (theme/translations/en/LC_MESSAGES/messages.po).
"""

from __future__ import annotations

from typing import Any

from pelican import signals


def install_translations(generator: Any) -> None:
    """Add Jinja's i18n extension to a generator's environment (null translations)."""
    env = generator.env
    if "jinja2.ext.InternationalizationExtension" not in env.extensions:
        env.add_extension("jinja2.ext.i18n")
    env.install_null_translations(newstyle=True)


def bilingual_writer(pelican: Any) -> type:
    """Give Pelican the writer that writes each page in every language of the site."""
    from .writer import BilingualWriter

    return BilingualWriter


def register() -> None:
    signals.generator_init.connect(install_translations)
    signals.get_writer.connect(bilingual_writer)
