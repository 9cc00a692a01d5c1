"""The rush invariant at test scale: 200 applications at once for 20 places, through
gunicorn with several workers, the private Redis and the database (SQLite and PostgreSQL).
`bench/bench_apply.py` runs the same check at 2,000 against 100 and reports throughput."""

from __future__ import annotations

import sys

from conftest import Instance

from intake.config import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "bench"))

import apply_rush  # noqa: E402


def test_a_rush_confirms_exactly_the_places_and_queues_the_rest_in_order(instance: Instance):
    post_id = apply_rush.make_event(instance.rt, places=20)
    env = {**instance.env, **apply_rush.RUSH_ENV}
    web, port = apply_rush.start_gunicorn(
        "intake.web:create_app()", env, workers=3, folder=instance.settings.home
    )
    try:
        applicants, _seconds = apply_rush.fire(port, post_id, 200)
    finally:
        apply_rush.stop(web)
    result = apply_rush.check(instance.rt, post_id, applicants, places=20)
    assert dict(result.statuses) == {302: 200}
    assert (result.confirmed, result.waiting) == (20, 180)
    assert (result.lost, result.duplicated, result.errors, result.out_of_order) == (0, 0, 0, 0)
