"""Order the test files longest first, so that `--dist loadfile` (with
`--no-loadscope-reorder`: pytest-xdist would otherwise order files by their number of
tests) hands out the short files last and both workers stay busy until the end.

The seconds are measured: each run records every file's summed test durations in pytest's
cache (`.pytest_cache`, key hiroba/file_seconds), and the next run orders by them; a clean
clone (CI) reads the committed `file_seconds.json` instead, when there is one. A file known
to neither (a new one) goes first, since it may be long. Refresh the committed seconds after
a full run with a JUnit report:

    .venv/bin/pytest -n 2 --dist loadfile --no-loadscope-reorder --junitxml=/tmp/run.xml
    .venv/bin/python tests/longest_first.py /tmp/run.xml
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

import pytest

SECONDS_FILE = Path(__file__).with_name("file_seconds.json")


CACHE_KEY = "hiroba/file_seconds"


def file_seconds(config: pytest.Config) -> dict[str, float]:
    """Return the measured seconds per test file (path relative to the checkout): the
    committed ones, overridden by what the last runs here recorded."""
    seconds: dict[str, float] = {}
    if SECONDS_FILE.exists():
        seconds.update(json.loads(SECONDS_FILE.read_text()))
    cache = getattr(config, "cache", None)
    if cache is not None:
        seconds.update(cache.get(CACHE_KEY, {}))
    return {name: float(value) for name, value in seconds.items()}


class Recorder:
    """Sums each file's test durations as the reports arrive (in the controller, when
    pytest-xdist runs the tests) and records them in the cache at the end of the run."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    def add(self, report: pytest.TestReport) -> None:
        self.seconds[report.nodeid.split("::", 1)[0]] += report.duration

    def save(self, config: pytest.Config) -> None:
        cache = getattr(config, "cache", None)
        if cache is None or hasattr(config, "workerinput") or not self.seconds:
            return
        known = cache.get(CACHE_KEY, {})
        known.update({name: round(total, 1) for name, total in self.seconds.items()})
        cache.set(CACHE_KEY, known)


def order(items: list[pytest.Item], seconds: dict[str, float]) -> None:
    """Sort items in place: unknown files, then known files longest first; a file's tests
    keep their order (a stable sort on the file's key)."""
    first_seen: dict[str, int] = {}
    for item in items:
        first_seen.setdefault(item.nodeid.split("::", 1)[0], len(first_seen))

    def key(item: pytest.Item) -> tuple[float, int]:
        name = item.nodeid.split("::", 1)[0]
        return (-seconds.get(name, float("inf")), first_seen[name])

    items.sort(key=key)


def seconds_from_junit(report: Path) -> dict[str, float]:
    """Sum each file's test durations from a JUnit XML report."""
    totals: dict[str, float] = defaultdict(float)
    for case in ET.parse(report).getroot().iter("testcase"):  # noqa: S314 - our own report
        module = case.get("classname", "").split(".")
        path = "/".join(part for part in module if not part[:1].isupper()) + ".py"
        totals[path] += float(case.get("time", 0))
    return {name: round(total, 1) for name, total in sorted(totals.items())}


if __name__ == "__main__":
    SECONDS_FILE.write_text(json.dumps(seconds_from_junit(Path(sys.argv[1])), indent=1) + "\n")
