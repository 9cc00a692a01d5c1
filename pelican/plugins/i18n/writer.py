"""A Pelican writer that writes every page twice: Japanese at its path, English under en/.

Both languages are rendered in the same pass, from the same context and the same
compiled templates, so the English tree costs a second render of each page and nothing
else: no second Pelican run, no second reading of the posts. The full build gets this
writer through Pelican's ``get_writer`` signal and the incremental publisher asks
Pelican for the same writer, so both paths write the same bytes in both languages.

What differs on a translated page: ``LANG``, ``SITEURL`` (``/en``: every link stays in
the language), the English gettext functions, the English labels of kinds, 分野 and
地域, English hand-written pages (``about.en.md``), ``USER_LANG_ATTR`` (users' text is
marked ``lang="ja"``) and ``INTAKE_QUERY`` (``?lang=en``, or ``?lang=ja`` on a Japanese
page, on links to the intake: the page says the language, whatever cookie the reader has).
"""

from __future__ import annotations

import os
from types import SimpleNamespace
from typing import Any

from markupsafe import Markup
from pelican.plugins import signals
from pelican.utils import sanitised_join
from pelican.writers import FileOverwriteFailedError, Writer

from .catalog import jinja_functions
from .labels import (
    english_data,
    english_labels,
    label_map,
    label_settings,
    month_label,
    relabel,
)
from .parallel import render_in_processes
from .reuse import Unchanged

# Writer.write_file's own parameters: they steer the write, they are not template data.
WRITE_OPTIONS = ("relative_urls", "paginated", "template_name", "override_output", "url")
OG_LOCALES = {"ja": "ja_JP", "en": "en_US"}


def languages(settings: dict[str, Any]) -> list[str]:
    """Return the site's languages, the default (unprefixed) one first."""
    default = settings.get("DEFAULT_LANG") or "ja"
    others = [lang for lang in settings.get("HIROBA_LANGUAGES") or {} if lang != default]
    return [default, *others]


def page_url(name: str) -> str:
    """Return the URL path (no leading slash) of an output file: events/12/ for its index."""
    return name[: -len("index.html")] if name.endswith("index.html") else name


def translation_of(content: Any, lang: str) -> Any | None:
    """Return the hand-written page's translation into lang, or None."""
    for other in getattr(content, "translations", None) or []:
        if getattr(other, "lang", None) == lang:
            return other
    return None


class BilingualWriter(Writer):
    """Pelican's writer, plus a rendering of each page in every other language."""

    def __init__(self, output_path: str, settings: dict[str, Any] | None = None) -> None:
        super().__init__(output_path, settings=settings)
        self.languages = languages(self.settings)
        self._labels = label_map(self.settings)
        self._fixed = {lang: self._fixed_context(lang) for lang in self.languages}
        # HIROBA_RENDER_PROCESSES > 1 (the worker's full builds): the article generator's
        # pages and the listings are queued, then rendered in that many forked processes
        # once the article writer has finished (parallel.py). Otherwise pages are written
        # as they come, as Pelican's writer does.
        self.processes = int(self.settings.get("HIROBA_RENDER_PROCESSES") or 1)
        self._queued: list[tuple[Any, ...]] | None = None
        self._pages_memo: dict[str, tuple[list[Any], list[SimpleNamespace]]] = {}
        # HIROBA_REUSE (a full build after an earlier one): queued pages whose signature
        # is the previous build's are linked from it, not rendered (reuse.py).
        reuse = self.settings.get("HIROBA_REUSE")
        self.unchanged = Unchanged(self.output_path, reuse) if reuse else None
        if self.processes > 1 or self.unchanged is not None:
            self._queued = []
            signals.article_writer_finalized.connect(self._render_queued, weak=False)

    def _fixed_context(self, lang: str) -> dict[str, Any]:
        settings, default = self.settings, self.languages[0]
        root = str(settings.get("SITEURL") or "")
        values: dict[str, Any] = {
            "LANG": lang,
            "SITE_ROOT": root,
            "OG_LOCALE": OG_LOCALES.get(lang, lang),
            "INTAKE_QUERY": f"?lang={lang}",  # the page's language, never the cookie's
            "USER_LANG_ATTR": "" if lang == default else Markup(' lang="{}"').format(default),
        }
        kinds = dict(settings.get("HIROBA_KINDS") or {})
        values["HIROBA_KIND_NAMES"] = kinds  # one item's kind (an event page's 種類)
        if lang != default:
            values["SITEURL"] = f"{root}/{lang}"
            feeds = str(settings.get("FEED_DOMAIN") or root)
            values["FEED_DOMAIN"] = f"{feeds}/{lang}"  # the English feeds (data_translations)
            own = settings.get(f"SITESUBTITLE_{lang.upper()}")
            if own:
                values["SITESUBTITLE"] = own
            theme = str(settings.get("THEME", ""))
            cache = str(settings.get("HIROBA_CATALOG_CACHE") or "")  # set by the worker
            values.update(jinja_functions(theme, lang, cache))
            for name in label_settings(settings):
                values[name] = english_labels(settings, name)
            own_names = dict(settings.get(f"HIROBA_KIND_NAMES_{lang.upper()}") or {})
            values["HIROBA_KIND_NAMES"] = kinds | values.get("HIROBA_KINDS", {}) | own_names
        return values

    def data_translations(
        self, data: dict[str, Any]
    ) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
        """Return (folder, settings, data) for each other language's twin of a data file.

        A feed or a calendar under en/ links to the English pages, names its kinds and
        labels in English and says so (``DEFAULT_LANG``); the listings plugin renders it.
        """
        twins = []
        for lang in self.languages[1:]:
            fixed = self._fixed[lang]
            settings = dict(self.settings)
            settings.update({k: v for k, v in fixed.items() if k.startswith(("HIROBA_", "SITE"))})
            settings["DEFAULT_LANG"] = lang
            settings["FEED_DOMAIN"] = fixed["FEED_DOMAIN"]
            local = english_data(data, self._labels)
            if isinstance(local.get("title"), str):
                local["title"] = month_label(relabel(local["title"], self._labels))
            twins.append((f"{lang}/", settings, local))
        return twins

    def _switch(self, name: str, lang: str) -> dict[str, Any]:
        """Return the links to this page in every language (hreflang and the switch)."""
        root = str(self.settings.get("SITEURL") or "")
        url, names = page_url(name), self.settings.get("HIROBA_LANGUAGES") or {}
        alternates = [
            {
                "lang": other,
                "label": names.get(other, other),
                "url": f"{root}/{url}" if n == 0 else f"{root}/{other}/{url}",
            }
            for n, other in enumerate(self.languages)
        ]
        return {
            "LANG_ALTERNATES": alternates,
            "LANG_SWITCH": [a for a in alternates if a["lang"] != lang],
        }

    def _claim(self, name: str, override: bool) -> bool:
        """Book an output file as Pelican's writer does when it opens it; False: skip it."""
        path = sanitised_join(self.output_path, name)
        if path in self._overridden_files:
            if override:
                raise FileOverwriteFailedError(f'Failed to overwrite "{path}" a second time')
            return False
        if path in self._written_files and not override:
            raise FileOverwriteFailedError(f'Failed to overwrite "{path}": written before')
        if override:
            self._overridden_files.add(path)
        self._written_files.add(path)
        return True

    def _render_queued(self, generator: Any, writer: Any = None) -> None:
        """Render the queued pages in forked processes; write the later ones directly."""
        if writer is not self or self._queued is None:
            return
        signals.article_writer_finalized.disconnect(self._render_queued)
        queued, self._queued = self._queued, None
        # A page that replaces another's file (override_output) is written here after
        # the rest, in its turn, never racing the page it replaces.
        shared = [job for job in queued if not job[4].get("override_output")]
        last = [job for job in queued if job[4].get("override_output")]
        if self.unchanged is not None:
            shared = [job for job in shared if not self.link_unchanged(job[0])]
        claimed = (set(self._written_files), set(self._overridden_files))
        self._written_files.clear()  # each process books only its own writes
        self._overridden_files.clear()
        if self.processes > 1:
            render_in_processes(shared, self._write_job, self.processes)
        else:
            for job in shared:
                self._write_job(job)
        self._written_files, self._overridden_files = claimed
        for job in last:
            self._write_job(job, claimed=True)

    def keep_unchanged(self, signatures: dict[str, str]) -> None:
        """Take the wanted signature of every tracked output file (the listings plugin's):
        with HIROBA_REUSE, files whose signature is unchanged are linked, not rendered."""
        if self.unchanged is not None:
            self.unchanged.wanted = signatures

    def link_unchanged(self, name: str, translated: bool = True) -> bool:
        """Link the output file name (and, when translated, its copy in every other
        language) from the previous build if none of them changed; True when done."""
        if self.unchanged is None:
            return False
        prefixes = [f"{lang}/" for lang in self.languages[1:]] if translated else []
        return self.unchanged.link(name, prefixes)

    def _write_job(self, job: tuple[Any, ...], claimed: bool = False) -> None:
        name, template, context, args, kwargs = job
        if claimed:  # booked when queued: let Pelican's _open_w book it again
            path = sanitised_join(self.output_path, name)
            self._written_files.discard(path)
            self._overridden_files.discard(path)
        self.write_file(name, template, context, *args, **kwargs)

    def write_file(  # type: ignore[override]
        self, name: Any, template: Any, context: dict[str, Any], *args: Any, **kwargs: Any
    ) -> None:
        """Write the page (default language), then its translations under <lang>/."""
        if not name:
            return
        if self._queued is not None and not args and not kwargs.get("paginated"):
            if self._claim(name, bool(kwargs.get("override_output"))):
                self._queued.append((name, template, context, args, kwargs))
            return
        default = self.languages[0]
        extra = self._fixed[default] | self._switch(name, default)
        super().write_file(name, template, context, *args, **{**kwargs, **extra})
        data = {key: value for key, value in kwargs.items() if key not in WRITE_OPTIONS}
        for lang in self.languages[1:]:
            self._write_translation(lang, name, template, context, data)

    def _pages_in(self, lang: str, pages: list[Any]) -> list[SimpleNamespace]:
        """Return the hand-written pages as the navigation of a lang page lists them (worked
        out once per list: every page of a build has the same)."""
        known = self._pages_memo.get(lang)
        if known is None or known[0] is not pages or len(known[1]) != len(pages):
            local = [
                SimpleNamespace(
                    url=p.url, save_as=p.save_as, title=(translation_of(p, lang) or p).title
                )
                for p in pages
            ]
            known = self._pages_memo[lang] = (pages, local)
        return known[1]

    def _write_translation(
        self, lang: str, name: str, template: Any, context: dict[str, Any], data: dict[str, Any]
    ) -> None:
        local = context.copy()
        local["localsiteurl"] = local.get("localsiteurl")
        local["output_file"] = name  # the page's own path: navigation marks it current
        local.update(english_data(data, self._labels))
        page = data.get("page")
        if page is not None:
            local["page"] = translation_of(page, lang) or page
        local["pages"] = self._pages_in(lang, context.get("pages") or [])
        local.update(self._fixed[lang])
        local.update(self._switch(name, lang))
        output = template.render(local)
        path = sanitised_join(self.output_path, f"{lang}/{name}")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if os.path.lexists(path):
            os.unlink(path)  # never write through a file shared with the live build
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(output)
