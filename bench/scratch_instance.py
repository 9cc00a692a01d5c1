"""A throw-away instance for a benchmark: a temporary folder with a redis-server of its own,
and the instance's keys and migrated database."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from intake.cli.instance import start_private_redis  # noqa: E402
from intake.config import Settings  # noqa: E402
from intake.crypto import create_keys  # noqa: E402
from intake.runtime import Runtime  # noqa: E402
from intake.store import migrate  # noqa: E402


@contextmanager
def scratch_folder(prefix: str, keep: bool = False) -> Iterator[tuple[Path, str]]:
    """Yield a new temporary folder and the URL of a redis-server of its own there; stop the
    server and remove the folder after (keep: say where it is instead)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    redis, redis_url = start_private_redis(folder)
    try:
        yield folder, redis_url
    finally:
        redis.terminate()
        try:
            redis.wait(timeout=10)
        except subprocess.TimeoutExpired:
            redis.kill()
            redis.wait()
        if keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def make_instance(env: Mapping[str, str]) -> Runtime:
    """Make the instance env describes (its keys, its migrated database); return its runtime."""
    settings = Settings.from_env(env)
    create_keys(settings.keys_dir)
    migrate(settings.database_url)
    return Runtime.from_settings(settings)
