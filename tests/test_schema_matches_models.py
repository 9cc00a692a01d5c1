"""The migrations build exactly the tables the models declare, on SQLite and PostgreSQL.

Alembic's own comparison (`compare_metadata`, what autogenerate uses) runs against a
database brought to the head revision: a table, a column or an index in one and not the
other is a finding. Alembic's environment (migrations/env.py) must see the same tables:
it is asked in a fresh interpreter, so a model module it forgets to import is a finding.
"""

from __future__ import annotations

import subprocess
import sys

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from intake.config import REPO_ROOT
from intake.installation.resources import migrations_dir
from intake.models import Base
from intake.store import make_engine, migrate


def env_tables() -> set[str]:
    """Return the tables Alembic's environment sees: its own imports, in a fresh interpreter."""
    source = (migrations_dir() / "env.py").read_text(encoding="utf-8")
    imports = [line for line in source.splitlines() if line.startswith("from intake")]
    script = "\n".join([*imports, "print('\\n'.join(sorted(Base.metadata.tables)))"])
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO_ROOT, check=True
    )
    return set(result.stdout.split())


def test_the_migrated_schema_is_the_models(database_url: str) -> None:
    import intake.office.records  # noqa: F401, PLC0415 - every model module, as the app has them

    metadata = Base.metadata
    assert env_tables() == set(metadata.tables), "migrations/env.py misses a model module"
    migrate(database_url)
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": False, "render_as_batch": True}
            )
            diffs = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert not diffs, "\n".join(repr(d) for d in diffs)
