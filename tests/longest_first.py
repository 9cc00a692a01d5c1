"""Order the test files longest first, so that `--dist loadfile` (with
`--no-loadscope-reorder`: pytest-xdist would otherwise order files by their number of
tests) hands out the short files last and both workers stay busy until the end.

The seconds are measured: `file_seconds.json` holds each file's summed test durations from
a full run. A file it does not know yet (a new one) goes first, since it may be long.
Refresh it after a full run with a JUnit report:

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


def file_seconds() -> dict[str, float]:
    """Return the measured seconds per test file (path relative to the checkout)."""
    if not SECONDS_FILE.exists():
        return {}
    return {name: float(s) for name, s in json.loads(SECONDS_FILE.read_text()).items()}


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
