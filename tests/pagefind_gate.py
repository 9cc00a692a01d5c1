"""A Pagefind that waits at a gate before a re-index: HIROBA_PAGEFIND_BINARY set to a small
script that, when the folder to index is a re-index snapshot (site/.search-…), writes its
pid and waits until the test opens the gate, then becomes the real Pagefind (exec, same
pid). Builds of the site itself pass straight through. The tests use it to hold a
re-index mid-Pagefind for as long as they need, without timing anything."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

SCRIPT = """#!{python}
import os, sys, time
from pathlib import Path

folder = Path({folder!r})
site = sys.argv[sys.argv.index("--site") + 1]
if "/.search-" in site:
    # Written whole, then renamed: the test never reads a file created but still empty.
    (folder / "started.tmp").write_text(str(os.getpid()))
    os.rename(folder / "started.tmp", folder / "started")
    deadline = time.monotonic() + 600  # a hang guard: never wait for ever
    while not (folder / "open").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
os.execv({real!r}, [{real!r}, *sys.argv[1:]])
"""


@dataclass
class PagefindGate:
    folder: Path

    @classmethod
    def make(cls, folder: Path) -> PagefindGate:
        """Write the script into folder; return the gate (closed)."""
        from pagefind_bin_extended import get_executable  # type: ignore[import-untyped]

        folder.mkdir(parents=True, exist_ok=True)
        script = folder / "pagefind"
        script.write_text(
            SCRIPT.format(python=sys.executable, folder=str(folder), real=str(get_executable()))
        )
        script.chmod(0o755)
        return cls(folder)

    @property
    def binary(self) -> str:
        return str(self.folder / "pagefind")

    def waiting_pid(self) -> int | None:
        """Return the pid of a re-index's Pagefind at (or past) the gate, or None yet."""
        started = self.folder / "started"
        return int(started.read_text()) if started.exists() else None

    def open(self) -> None:
        (self.folder / "open").touch()


def alive(pid: int) -> bool:
    """Tell whether pid runs (a zombie counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def running_under(folder: Path) -> list[int]:
    """Return the pids of processes whose command line names a path under folder."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if any(str(folder).encode() in arg for arg in args) and alive(int(cmdline.parent.name)):
            found.append(int(cmdline.parent.name))
    return [pid for pid in found if pid != os.getpid()]
