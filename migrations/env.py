"""Alembic environment: the URL comes from the caller (intake.store.migrate), never a file."""

from alembic import context

from intake.models import Base
from intake.office import records  # noqa: F401 - its tables join Base.metadata
from intake.store import make_engine

config = context.config


def _url() -> str:
    """Return the database URL the caller gave; refuse to guess one."""
    url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: run migrations through intake.store.migrate")
    return str(url)


url = _url()


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=url.startswith("sqlite"),
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
