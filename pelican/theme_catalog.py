"""Keep the theme's English catalog in step with its templates (``make messages``).

Extracts every string the templates mark (``{{ _('…') }}``, Babel's Jinja extractor with
the theme's ``babel.cfg`` options), merges them into
``theme/translations/en/LC_MESSAGES/messages.po`` keeping what is translated, drops ids
no template uses any more, and lists the ids still without English (exit code 1 while
any is). The build compiles the ``.po`` itself (pelican/plugins/i18n/catalog.py), so no
``.mo`` is committed. No network.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

THEME = Path(__file__).resolve().parent.parent / "theme"
PATTERN = "templates/**.html"
OPTIONS = {PATTERN: {"trim_blocks": "True", "lstrip_blocks": "True"}}


def extracted(theme: Path = THEME) -> Catalog:
    """Return a catalog template of every string the theme's templates mark."""
    template = Catalog(project="Hiroba theme", fuzzy=False)
    for _file, line, message, comments, context in extract_from_dir(
        str(theme), method_map=[(PATTERN, "jinja2")], options_map=OPTIONS
    ):
        template.add(message, None, [(_file, line)], auto_comments=comments, context=context)
    return template


def update(lang: str = "en", theme: Path = THEME) -> list[str]:
    """Merge the templates' strings into lang's .po; return the ids still untranslated."""
    path = theme / "translations" / lang / "LC_MESSAGES" / "messages.po"
    if path.is_file():
        with open(path, "rb") as handle:
            catalog = read_po(handle, locale=lang)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        catalog = Catalog(locale=lang, project="Hiroba theme", fuzzy=False)
    catalog.update(extracted(theme), no_fuzzy_matching=True, update_creation_date=False)
    with open(path, "wb") as handle:
        write_po(handle, catalog, width=0, no_location=True, ignore_obsolete=True)
    return [str(m.id) for m in catalog if m.id and not m.string]


def main() -> int:
    """Update the English catalog; print what needs translating."""
    missing = update()
    for message in missing:
        print(f"theme: untranslated: {message}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
