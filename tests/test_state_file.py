"""The incremental publisher's saved state: read back whole, and a planted pickle that
names any callable is refused instead of run (the worker holds the keys to personal data)."""

from __future__ import annotations

import datetime as dt
import pickle
from pathlib import Path

from worker.build import tree


class _Planted:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Path.touch, (self.marker,))


def test_state_round_trips_plain_values_and_dates(tmp_path):
    build = tmp_path / "20260101T000000-r1"
    build.mkdir()
    entry = {"slug": "12", "days": [dt.date(2026, 12, 5)], "memo": {"vevent": (b"X", ())}}
    state = {"version": 4, "posts": {"posts/12.md": {"stat": [1, 2, 3], "entry": entry}}}
    tree.state_path(build).write_bytes(pickle.dumps(state, protocol=5))
    assert tree.load_state(build) == state


def test_a_planted_state_file_is_refused_not_run(tmp_path):
    build = tmp_path / "20260101T000000-r1"
    build.mkdir()
    marker = tmp_path / "ran"
    state = {"posts": {"posts/1.md": {"entry": _Planted(marker)}}}
    tree.state_path(build).write_bytes(pickle.dumps(state))
    assert tree.load_state(build) is None  # so the next publication is a full build
    assert not marker.exists()
    tree.state_path(build).write_bytes(b"not a pickle")
    assert tree.load_state(build) is None
