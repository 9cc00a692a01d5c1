"""Search that is fresh at once without re-running Pagefind on the approval path.

Pagefind indexes the whole site (about 20 s at 10,000 pages), so the incremental
publisher does not run it. Instead each build folder carries:

- ``pagefind/``: the index of some earlier state of the site, the *base*, minus the
  fragment file of every indexed page that changed or disappeared since (a fragment holds
  a page's URL, title and text: deleting it takes a withdrawn item's text out of reach);
- ``search/delta.json``: the pages added or changed since the base (URL, language, title,
  text and Pagefind filters, read from the rendered page the way Pagefind reads it), the
  Pagefind ids whose fragments were deleted, and how many of those pages are gone.
  ``theme/js/search.js`` searches the delta by substring on NFKC-normalised text and
  merges it with Pagefind's results;
- ``<build>.search.json`` beside the folder: which index it holds (a random id), each
  indexed page's fragment files, the pages that differ from the index ("pending") and
  the fragments deleted since.

A fresh Pagefind run (every full build, and the worker's debounced re-index job) resets
the base, so the delta is empty again: ``EMPTY_DELTA``, the same bytes in both paths.

Deleting fragments is not all: Pagefind's word index (``index/*.pf_index``) keeps each
term with the numbers of the pages it occurs on, and the title as one term. Those stay
until the re-index, which a removal asks for without delay; ``search.js`` drops hits on
deleted pages before loading anything.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import uuid
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from .pagefind import OUTPUT_SUBDIR

DELTA_PATH = "search/delta.json"
SEARCH_SUFFIX = ".search.json"
EMPTY_DELTA = b'{"items":[],"removed_ids":[],"removed_urls":[]}\n'
MAX_DELTA_PAGES = 400  # beyond this the publisher runs Pagefind itself (the default)
_FRAGMENT_MAGIC = b"pagefind_dcd"
_VOID = frozenset(("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                   "source", "track", "wbr"))  # fmt: skip
_SKIP = frozenset(("script", "style", "noscript", "template", "svg"))
_BLOCK = frozenset(("p", "div", "li", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "br", "tr",
                    "td", "th", "section", "article"))  # fmt: skip


def url_of(rel: str) -> str:
    """Return the root-relative URL Pagefind gives the page written at rel."""
    return "/" + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)


def rel_of(url: str) -> str:
    """Return the output path of the page a Pagefind URL points to."""
    path = url.split("#", 1)[0].lstrip("/")
    return path + "index.html" if not path or path.endswith("/") else path


def fragment_map(output_path: str | Path) -> dict[str, list[str]]:
    """Return {page path: [fragment ids]} of the Pagefind index in output_path."""
    found: dict[str, list[str]] = {}
    folder = Path(output_path) / OUTPUT_SUBDIR / "fragment"
    if not folder.is_dir():
        return found
    for path in sorted(folder.glob("*.pf_fragment")):
        data = gzip.decompress(path.read_bytes())
        data = data[len(_FRAGMENT_MAGIC) :] if data.startswith(_FRAGMENT_MAGIC) else data
        url = json.loads(data)["url"]
        found.setdefault(rel_of(url), []).append(path.name[: -len(".pf_fragment")])
    return found


def new_state(output_path: str | Path) -> dict[str, Any]:
    """Return the search state of a folder whose pagefind/ was just written from its pages."""
    return {"index": uuid.uuid4().hex, "fragments": fragment_map(output_path), "pending": [],
            "deleted": {}}  # fmt: skip


def write_state(prefix: str, state: dict[str, Any]) -> None:
    """Write <prefix>.search.json atomically."""
    path = prefix + SEARCH_SUFFIX
    with open(path + ".tmp", "wb") as handle:
        handle.write(json.dumps(state, ensure_ascii=False, separators=(",", ":")).encode())
    os.replace(path + ".tmp", path)


def load_state(build_dir: str | Path) -> dict[str, Any] | None:
    """Return the search state saved beside a build folder, or None."""
    try:
        with open(str(build_dir) + SEARCH_SUFFIX, "rb") as handle:
            state = json.loads(handle.read())
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) and "index" in state else None


def write_delta(output_path: str | Path, data: bytes) -> None:
    """Write search/delta.json as a new file (never through a shared inode)."""
    path = Path(output_path) / DELTA_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    path.write_bytes(data)


def is_fresh(build_dir: str | Path) -> bool:
    """Return whether a build folder's pagefind/ is Pagefind's index of exactly its pages: no
    page pending, no fragment deleted, an empty delta."""
    state = load_state(build_dir)
    if not state or state.get("pending") != [] or state.get("deleted") != {}:
        return False
    try:
        return (Path(build_dir) / DELTA_PATH).read_bytes() == EMPTY_DELTA
    except OSError:
        return False


def after_full_index(output_path: str, prefix: str) -> None:
    """After Pagefind ran over a whole build: an empty delta, and the state when asked."""
    write_delta(output_path, EMPTY_DELTA)
    if prefix:
        write_state(prefix, new_state(output_path))


FILTER, META = "data-pagefind-filter", "data-pagefind-meta"


class _PageText(HTMLParser):
    """Reads a page the way Pagefind does: the data-pagefind-body elements' text, the
    first h1 as title, data-pagefind-filter and data-pagefind-meta values, the html lang."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lang = ""
        self.title = ""
        self.parts: list[str] = []
        self.filters: dict[str, list[str]] = {}
        self.meta: dict[str, str] = {}
        self.found_body = False
        # tag, in the body, ignored, and the (attribute, name) pairs its text is the value of
        self._stack: list[tuple[str, bool, bool, list[tuple[str, str]]]] = []
        self._h1: list[str] | None = None
        self._filter_text: dict[int, list[str]] = {}

    def _state(self) -> tuple[bool, bool]:
        return (self._stack[-1][1], self._stack[-1][2]) if self._stack else (False, False)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "html" and named.get("lang"):
            self.lang = str(named["lang"])
        in_body, skip = self._state()
        in_body = in_body or "data-pagefind-body" in named
        self.found_body = self.found_body or in_body
        skip = skip or tag in _SKIP or "data-pagefind-ignore" in named
        if in_body and not skip and tag in _BLOCK:
            self.parts.append(" ")
        wanted_text: list[tuple[str, str]] = []
        for attribute in (FILTER, META):
            spec = named.get(attribute)
            if not spec or not in_body:
                continue
            name, colon, value = spec.partition(":")
            if colon:
                self._add(attribute, name, value)
            else:
                wanted_text.append((attribute, name.strip()))
        if tag in _VOID:
            return
        if tag == "h1" and self._h1 is None and not self.title:
            self._h1 = []
        self._stack.append((tag, in_body, skip, wanted_text))
        if wanted_text:
            self._filter_text[len(self._stack)] = []

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID or not any(item[0] == tag for item in self._stack):
            return
        while self._stack:
            depth = len(self._stack)
            name, _, _, wanted_text = self._stack.pop()
            collected = "".join(self._filter_text.pop(depth, []))
            for attribute, wanted in wanted_text:
                self._add(attribute, wanted, collected)
            if name == "h1" and self._h1 is not None:
                self.title = " ".join("".join(self._h1).split())
                self._h1 = None
            if name == tag:
                break

    def handle_data(self, data: str) -> None:
        in_body, skip = self._state()
        if skip:
            return
        if self._h1 is not None:
            self._h1.append(data)
        if in_body:
            self.parts.append(data)
            for collected in self._filter_text.values():
                collected.append(data)

    def _add(self, attribute: str, name: str, value: str) -> None:
        name, value = name.strip(), " ".join(value.split())
        if not name or not value:
            return
        if attribute == META:
            self.meta.setdefault(name, value)  # Pagefind keeps one value per meta key
        elif value not in self.filters.setdefault(name, []):
            self.filters[name].append(value)


def extract(output_path: str | Path, rel: str) -> dict[str, Any] | None:
    """Return the delta item of an output page, or None when Pagefind would not index it."""
    try:
        text = (Path(output_path) / rel).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if "data-pagefind-body" not in text:
        return None
    parser = _PageText()
    parser.feed(text)
    parser.close()
    if not parser.found_body:
        return None
    return {
        "url": url_of(rel),
        "lang": parser.lang,
        "title": parser.title,
        "text": " ".join("".join(parser.parts).split()),
        "filters": parser.filters,
        "meta": parser.meta,
    }


def delta_bytes(
    items: list[dict[str, Any]], removed: dict[str, list[str]], present: dict[str, str]
) -> bytes:
    """Return search/delta.json; <, > and & are \\u escapes, so no text looks like markup.

    removed_urls lists only pages still on the site (changed ones): a taken-down page's
    URL is written nowhere, only how many pages are gone.
    """
    data = {
        "items": items,
        "removed_ids": sorted({fid for ids in removed.values() for fid in ids}),
        "removed_urls": sorted(url_of(rel) for rel in removed if rel in present),
        "gone": sum(1 for rel in removed if rel not in present),
    }
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    for char, escaped in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e")):
        body = body.replace(char, escaped)
    return (body + "\n").encode()


def languages_of(target: Path) -> frozenset[str]:
    """Return the languages of target's Pagefind index (its entry file's), or none."""
    try:
        entry = json.loads((target / OUTPUT_SUBDIR / "pagefind-entry.json").read_bytes())
        return frozenset(entry["languages"])
    except (OSError, ValueError, KeyError, TypeError):
        return frozenset()


def pages_by_language(rels: set[str], languages: frozenset[str]) -> dict[str, int]:
    """Count pages per language: a page under a language's folder (en/...) is that
    language's; any other page is the default language's (key "")."""
    counts: dict[str, int] = {}
    for rel in rels:
        folder = rel.split("/", 1)[0] if "/" in rel else ""
        key = folder if folder in languages else ""
        counts[key] = counts.get(key, 0) + 1
    return counts


def _same_index(live: Path, target: Path) -> bool:
    """Tell whether target/pagefind holds the live folder's index: one index's files are
    hard links to each other, from the folder Pagefind wrote them in on."""
    entry = Path(OUTPUT_SUBDIR) / "pagefind-entry.json"
    try:
        return (live / entry).stat().st_ino == (target / entry).stat().st_ino
    except OSError:
        return False


def _link_index(source: Path, target: Path) -> int:
    """Make target/pagefind a tree of hard links to source/pagefind's files; return how
    many (a whole index: about two per page)."""
    shutil.rmtree(target / OUTPUT_SUBDIR, ignore_errors=True)
    linked = 0
    for folder, _dirs, files in os.walk(source / OUTPUT_SUBDIR):
        out = target / os.path.relpath(folder, source)
        out.mkdir(parents=True, exist_ok=True)
        for name in files:
            os.link(os.path.join(folder, name), out / name)
        linked += len(files)
    return linked


def _live_items(live: Path) -> dict[str, dict[str, Any]]:
    """Return the live folder's delta items by URL (none when it has no readable delta)."""
    try:
        data = json.loads((live / DELTA_PATH).read_bytes())
        return {item["url"]: item for item in data["items"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    """Return the HTML pages added, changed or removed between two signature tables."""
    found = {rel for rel, sig in after.items() if before.get(rel) != sig and rel.endswith(".html")}
    return found | {rel for rel in before if rel not in after and rel.endswith(".html")}


def refresh(
    target: Path,
    live: tuple[Path, dict[str, str]],
    live_state: dict[str, Any] | None,
    signatures: dict[str, str],
    fresh: tuple[Path, dict[str, Any], dict[str, str]] | None = None,
    max_pages: int = MAX_DELTA_PAGES,
) -> tuple[dict[str, Any], dict[str, int]] | None:
    """Bring target's pagefind/ and search/delta.json up to date with its pages.

    live is the live folder and its signatures, live_state its search state. fresh, from
    the re-index job, is a folder with a new pagefind/ (target itself when the job
    prepared it as the next build), its state and the signatures of the pages it
    indexed. The state's "pending" lists the pages that differ from the index (in the
    delta or deleted from it): only those, and pages changed since, are read. Returns the
    target's new search state and counts, or None when Pagefind must run over the target
    instead (no usable state, or a delta of more than max_pages pages in one language).
    """
    live_dir, live_signatures = live
    linked = 0  # files of the live index linked into target (none when it had that index)
    if fresh is not None:
        if fresh[0] != target:
            shutil.rmtree(target / OUTPUT_SUBDIR, ignore_errors=True)
            os.rename(fresh[0] / OUTPUT_SUBDIR, target / OUTPUT_SUBDIR)
        state, since = dict(fresh[1], pending=[], deleted={}), fresh[2]
    elif live_state is None:
        return None
    else:
        state = dict(live_state, deleted=dict(live_state["deleted"]))
        since = live_signatures
        if not _same_index(live_dir, target):  # the spare holds an older index
            linked = _link_index(live_dir, target)
    fragments: dict[str, list[str]] = state["fragments"]
    pending = set(state["pending"])
    # A page that was there before, unindexed and not pending, has no searchable body.
    pending |= {rel for rel in _changed(since, signatures) if rel in fragments or rel not in since}
    # Each language's index decides on its own count: the delta serves while no language
    # has more than max_pages pages in it (a post's page and its English copy count once each).
    if max(pages_by_language(pending, languages_of(target)).values(), default=0) > max_pages:
        return None
    deleted: dict[str, list[str]] = state["deleted"]
    deleted.update({rel: fragments[rel] for rel in pending if rel in fragments})
    for ids in deleted.values():
        for fid in ids:
            (target / OUTPUT_SUBDIR / "fragment" / f"{fid}.pf_fragment").unlink(missing_ok=True)
    items, kept = [], set(deleted)
    known = _live_items(live_dir)
    for rel in sorted(pending & signatures.keys()):
        # A page the live folder has with the same signature holds the same bytes: its item
        # in the live delta is what reading it again would give (only changed pages are read).
        reused = known.get(url_of(rel)) if live_signatures.get(rel) == signatures[rel] else None
        item = reused if reused is not None else extract(target, rel)
        if item is not None:
            items.append(item)
            kept.add(rel)
    delta = delta_bytes(items, deleted, signatures) if items or deleted else EMPTY_DELTA
    write_delta(target, delta)
    state["pending"] = sorted(kept)
    gone = sum(1 for rel in deleted if rel not in signatures)
    return state, {"items": len(items), "deleted": len(deleted), "gone": gone, "linked": linked}
