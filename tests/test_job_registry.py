"""Job names live in one registry (intake/jobs.py): each names a real job function, every
job of worker/jobs/ is in it, and a database from before the jobs moved is migrated."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import pkgutil
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, text

import worker.jobs
from intake import jobs
from intake.config import REPO_ROOT
from intake.store import alembic_config


def _function(name: str):  # type: ignore[no-untyped-def]
    module, _, attr = name.rpartition(".")
    return getattr(importlib.import_module(module), attr)


@pytest.mark.parametrize("name", jobs.ALL)
def test_each_registered_name_is_a_job_function(name: str) -> None:
    assert name.startswith("worker.jobs.")
    function = _function(name)
    assert callable(function)
    assert f"{function.__module__}.{function.__name__}" == name


def test_every_job_of_worker_jobs_is_registered() -> None:
    found = set()
    for info in pkgutil.iter_modules(worker.jobs.__path__):
        module = importlib.import_module(f"worker.jobs.{info.name}")
        for attr, value in vars(module).items():
            if (
                inspect.isfunction(value)
                and value.__module__ == module.__name__
                and not attr.startswith("_")
            ):
                found.add(f"{module.__name__}.{attr}")
    assert found == set(jobs.ALL)
    assert len(jobs.ALL) == len(set(jobs.ALL))


# Jobs registered after migration 0004: no stored row can hold an old name of theirs.
ADDED_SINCE_0004 = {
    jobs.SEND_INQUIRY_REPLY,
    jobs.SEND_ACCOUNT_DECISION,
    jobs.SEND_ACCOUNT_REENABLED,
    jobs.SEND_POST_CORRECTED,
    jobs.SEND_POST_RESTORED,
    jobs.SEND_ON_BEHALF_NOTICE,
    jobs.SEND_MODERATOR_DIGEST,
    jobs.WRITE_BANNER,
    jobs.SEND_AUDIT_NOTICE,
}


def test_owed_tasks_under_the_old_job_names_are_migrated(database_url: str) -> None:
    """0004 rewrites the job names stored in Task rows; its downgrade writes them back."""
    path = REPO_ROOT / "migrations" / "versions" / "0004_job_names_in_worker_jobs.py"
    spec = importlib.util.spec_from_file_location("migration_0004", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    config = alembic_config(database_url)
    if database_url.startswith("sqlite"):
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True)
    command.upgrade(config, "0003")
    engine = create_engine(database_url)
    old_names = list(migration.RENAMED)
    try:
        with engine.begin() as db:
            for n, name in enumerate([*old_names, "worker.no_such_module.job"], start=1):
                db.execute(
                    text(
                        "INSERT INTO tasks (id, name, subject_id, state, attempts, last_error,"
                        " created_at) VALUES (:id, :name, 1, 'pending', 0, '', CURRENT_TIMESTAMP)"
                    ),
                    {"id": n, "name": name},
                )
        command.upgrade(config, "head")
        with engine.connect() as db:
            names = list(db.execute(text("SELECT name FROM tasks ORDER BY id")).scalars())
        assert names[:-1] == [migration.RENAMED[old] for old in old_names]
        assert names[-1] == "worker.no_such_module.job"  # an unknown name is left alone
        # Every job that existed then, by its new name.
        assert set(names[:-1]) == set(jobs.ALL) - ADDED_SINCE_0004
        command.downgrade(config, "0003")
        with engine.connect() as db:
            names = list(db.execute(text("SELECT name FROM tasks ORDER BY id")).scalars())
        assert names == [*old_names, "worker.no_such_module.job"]
    finally:
        engine.dispose()
