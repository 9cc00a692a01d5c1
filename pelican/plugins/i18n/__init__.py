"""Make ``_()`` and ``{% trans %}`` available in the theme's templates.

Templates mark every string of the site's chrome for translation; the Japanese text is
the message id. Until a language's catalog is installed the strings render as written.
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


def register() -> None:
    signals.generator_init.connect(install_translations)
