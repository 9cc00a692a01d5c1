"""The intake's English catalog: extract the Japanese message ids, merge them, compile the .mo.

The Japanese text is the message id, so the Japanese pages need no catalog at all; the
English one lives in ``intake/translations/en/LC_MESSAGES/messages.po`` (committed). Its
compiled ``messages.mo`` is never committed and never written into the code: a wheel holds
it, compiled when the wheel is built (setup.py), and a checkout compiles it at app start
into the instance's cache folder when it is missing there or older than the .po, with
Babel's own writer and no network.

``python -m intake.web.catalog update`` (``make messages``) extracts the marked strings of
the intake's templates and Python (``_``, ``_l``, ``N_``, ``gettext``, ``lazy_gettext``)
plus the labels of the deployment's taxonomy and status maps, which are plain dicts,
and merges them into every catalog, keeping the translations already written.
"""

from __future__ import annotations

import io
import logging
import os
import sys
import tempfile
from collections.abc import Iterable
from functools import cache
from importlib import import_module
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir, extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from ..installation.resources import theme_dir

log = logging.getLogger(__name__)

PACKAGE = Path(__file__).resolve().parent.parent
TRANSLATIONS = PACKAGE / "translations"
DOMAIN = "messages"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
HEADER = (
    "# The Hiroba intake in English. The message ids are the Japanese text of the pages.\n"
    "# Update with `make messages`; translate every empty msgstr; keep %(name)s placeholders."
)
# Templates: the shared ones in web/templates, each domain's in <domain>/templates.
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
# The theme's partials the intake renders too (the header and footer): their words as well.
SHARED_THEME_TEMPLATES = ("templates/_chrome.html",)
# Label maps shown in intake pages through `_()` at render time: module, attribute.
LABEL_MAPS = (
    ("intake.taxonomy", "POST_KINDS"),
    ("intake.taxonomy", "TOPICS"),
    ("intake.taxonomy", "AREAS"),
    ("intake.taxonomy", "AUDIENCES"),
    ("intake.taxonomy", "ATTENDANCE"),
    ("intake.applications.services", "LABELS"),
    ("intake.applications.organizer", "STATUS_LABELS"),
    ("intake.accounts.changes", "FIELD_LABELS"),
    ("intake.applications.questions", "KINDS"),
    ("intake.applications.mail", "AUDIENCES"),
    ("intake.posts.fields", "LABELS"),
    ("intake.profiles.services", "REVIEWED"),
)


def _label_values(module: str, name: str) -> Iterable[str]:
    mapping = getattr(import_module(module), name, None)
    if not isinstance(mapping, dict):
        return ()
    labels = (value[0] if isinstance(value, tuple) else value for value in mapping.values())
    return (label for label in labels if isinstance(label, str))


def taxonomy_english() -> dict[str, str]:
    """Return {Japanese label: English label} from the taxonomy's *_EN maps.

    The public site's English pages use those maps; the intake's catalog takes its
    taxonomy translations from them too, so both say the same (update() copies them).
    """
    found: dict[str, str] = {}
    for module, name in LABEL_MAPS:
        if module != "intake.taxonomy":
            continue
        japanese = getattr(import_module(module), name, None)
        english = getattr(import_module(module), f"{name}_EN", None)
        if isinstance(japanese, dict) and isinstance(english, dict):
            found.update({label: english[key] for key, label in japanese.items() if key in english})
    return found


def extract() -> Catalog:
    """Return a catalog of every message id the intake shows (no translations)."""
    catalog = Catalog(locale=None, domain=DOMAIN, project="Hiroba intake", charset="utf-8")
    found = extract_from_dir(
        str(PACKAGE),
        METHODS,
        options_map={"**.html": {"extensions": ""}},
        keywords=KEYWORDS,
        strip_comment_tags=True,
    )
    for filename, lineno, message, comments, _context in found:
        if filename.startswith("translations"):
            continue
        catalog.add(message, None, [(f"intake/{filename}", lineno)], auto_comments=comments)
    for shared in SHARED_THEME_TEMPLATES:
        for lineno, message, comments, _context in extract_from_file(
            "jinja2", str(theme_dir() / shared), keywords=KEYWORDS, options={"extensions": ""}
        ):
            catalog.add(message, None, [(f"theme/{shared}", lineno)], auto_comments=comments)
    for module, name in LABEL_MAPS:
        for value in _label_values(module, name):
            catalog.add(value, None, [(f"{module}.{name}", 0)])
    return catalog


def po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(locale: str) -> Catalog:
    """Return the stored catalog of locale."""
    with po_path(locale).open("rb") as handle:
        return read_po(handle, locale=locale, domain=DOMAIN)


def missing(locale: str) -> list[str]:
    """Return the extracted message ids that the locale's catalog leaves untranslated."""
    stored = read_catalog(locale)
    gaps = []
    for message in extract():
        if not message.id:
            continue
        entry = stored.get(message.id)
        if entry is None or not entry.string or entry.fuzzy:
            gaps.append(str(message.id))
    return gaps


def update(locales: Iterable[str] = ("en",)) -> None:
    """Merge freshly extracted ids into each catalog, keeping what is already translated."""
    template = extract()
    for locale in locales:
        path = po_path(locale)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            catalog = read_catalog(locale)
            created = catalog.creation_date
            catalog.update(template, no_fuzzy_matching=True)
            catalog.creation_date = created  # no churn in the header on every update
        else:
            catalog = Catalog(locale=locale, domain=DOMAIN, project="Hiroba intake")
            catalog.update(template)
        catalog.obsolete.clear()  # ids no longer in the code: git keeps the history
        for japanese, english in taxonomy_english().items():
            entry = catalog.get(japanese)
            if entry is not None:
                entry.string, entry.flags = english, set()
        catalog.fuzzy = False
        catalog.header_comment = HEADER
        catalog.last_translator = "Hiroba contributors"
        catalog.language_team = "Hiroba contributors"
        catalog.version = "1"
        _atomic_write(path, lambda h, c=catalog: write_po(h, c, width=100, sort_output=False))


def _atomic_write(path: Path, write: object) -> None:
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)  # type: ignore[operator]
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


@cache
def _compiled(po: Path, mtime_ns: int) -> bytes:
    """Return the .mo bytes of po as it was at mtime_ns (each app of a process, and each
    test's instance, reuses them instead of parsing the .po again)."""
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=po.parent.parent.name, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def compile_stale(root: Path = TRANSLATIONS, target: Path | None = None) -> list[Path]:
    """Compile every .po of root whose .mo in target (default root) is missing or older;
    return the .mo files written.

    The file is replaced atomically because several workers may start at once.
    """
    written = []
    for po in sorted(root.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo = (target or root) / po.relative_to(root).with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        data = _compiled(po, po.stat().st_mtime_ns)
        try:
            mo.parent.mkdir(parents=True, exist_ok=True)
            _atomic_write(mo, lambda h, d=data: h.write(d))
        except OSError as exc:  # an unwritable cache: English falls back to Japanese
            log.error("cannot write %s: %s", mo, exc)
            continue
        written.append(mo)
    return written


def compiled_directory(cache: Path, source: Path = TRANSLATIONS) -> Path:
    """Return the folder of compiled catalogs for Flask-Babel.

    An installed wheel holds only the .mo files compiled when it was built: source is
    returned as it is. A checkout holds only the .po files: they are compiled into cache.
    """
    if not any(source.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        return source
    compile_stale(source, cache)
    return cache


def main(argv: list[str]) -> int:
    """`update` merges new ids into the catalogs; `check` lists untranslated ids."""
    command = argv[1] if len(argv) > 1 else "check"
    if command == "update":
        update()
        command = "check"
    if command == "check":
        gaps = missing("en")
        for gap in gaps:
            print(f"untranslated: {gap}")
        print(f"{len(gaps)} untranslated message(s) in en")
        return 1 if gaps else 0
    print("usage: python -m intake.web.catalog [update|check]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
