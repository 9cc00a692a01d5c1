"""Reuse a previous build's files whose signature has not changed, instead of rendering them.

A nightly full build renders some 40,000 pages of which few changed since the live build.
When the build code sets ``HIROBA_REUSE`` (the live build's folder and the signature of
each of its tracked files, read only when its configuration fingerprint is this build's),
a page whose wanted signature (the listings plugin's, the same ones the incremental
publisher trusts) equals the previous build's is hard-linked from that folder, in every
language, instead of being rendered. The result is the same bytes as a rendering
(tests/test_build_reuse.py compares a reusing build with a cold one); any file that
cannot be linked is rendered as usual.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from typing import Any

from pelican.utils import sanitised_join


class Unchanged:
    """Links the files of one page from the previous build when their signatures match."""

    def __init__(self, output_path: str, reuse: dict[str, Any]) -> None:
        self.output_path = output_path
        self.folder = str(reuse["folder"])
        self.previous: dict[str, str] = dict(reuse["signatures"])
        self.wanted: dict[str, str] = {}  # set by the listings plugin before pages render
        self.linked = 0  # files linked (a page in two languages counts twice)
        # A linked file keeps its mode: only one with the mode a rendering would give it
        # now (a build of an older version wrote 0600) is reused.
        self.mode = 0o666 & ~_umask()

    def link(self, name: str, prefixes: Iterable[str]) -> bool:
        """Link name and its copies under prefixes ("en/") from the previous build; False
        (nothing linked) when any of them changed, is untracked or cannot be linked."""
        paths = [name, *(prefix + name for prefix in prefixes)]
        for rel in paths:
            sig = self.wanted.get(rel)
            if sig is None or self.previous.get(rel) != sig:
                return False
        made: list[str] = []
        try:
            for rel in paths:
                source = sanitised_join(self.folder, rel)
                mode = os.lstat(source).st_mode
                if not stat.S_ISREG(mode) or stat.S_IMODE(mode) != self.mode:
                    raise OSError(f"{rel} is not a regular file of the build's mode")
                target = sanitised_join(self.output_path, rel)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                if os.path.lexists(target):
                    os.unlink(target)
                os.link(source, target, follow_symlinks=False)
                made.append(target)
        except (OSError, RuntimeError):  # gone, or outside the folder: render it instead
            for target in made:
                os.unlink(target)
            return False
        self.linked += len(paths)
        return True


def _umask() -> int:
    """Return the process's umask without changing it (Linux), else by setting it back."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
