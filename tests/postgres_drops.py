"""Drop finished tests' PostgreSQL databases in the background (issue 19).

`DROP DATABASE … WITH (FORCE)` removes the database's files and waits for every backend
to let go of them: a fraction of a second on a quiet machine, seconds on a loaded one,
paid in the teardown of each of several hundred tests. A test never reads its database
after its teardown and every name is random, so one thread per pytest process drops them
one at a time while the next test runs; the session's end waits for the last one and
fails the run if any drop failed.
"""

from __future__ import annotations

import queue
import threading


class BackgroundDrops:
    """A queue of database names and the one thread that drops them, oldest first."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.failures: list[str] = []
        self._names: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="postgres-drops", daemon=True)
        self._thread.start()

    def drop(self, name: str) -> None:
        """Owe the drop of database name (made by this session, nobody uses it any more)."""
        self._names.put(name)

    def close(self) -> None:
        """Wait until every owed database is dropped; raise when any drop failed."""
        self._names.put(None)
        self._thread.join()
        if self.failures:
            raise RuntimeError("test databases left behind: " + "; ".join(self.failures))

    def _run(self) -> None:
        import psycopg

        while (name := self._names.get()) is not None:
            try:
                with psycopg.connect(self.admin_url, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except psycopg.Error as exc:  # reported at the session's end, not lost
                self.failures.append(f"{name}: {exc}")
