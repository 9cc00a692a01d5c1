"""PostgreSQL's own tools as a backup route: pg_dump's archive sealed like any backup.

`hiroba backup --pg-dump` (or `[backup] pg_dump = true`) runs ``pg_dump --format=custom``
and streams its output into the sealed payload's database section; `hiroba restore` sees
the header's format, writes the archive to a private temporary file and loads it with
``pg_restore --clean --if-exists --single-transaction``, so a failed load changes nothing.
The password never appears in a command line: it goes to the tools in PGPASSWORD.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine

from ..errors import HirobaError
from ..validation import N_
from .backup_sections import Sink

FORMAT = "pg_dump"
BLOCK = 1 << 20


class PgToolError(HirobaError):
    """pg_dump or pg_restore is missing or failed."""


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise PgToolError(
            N_(
                "%(name)s がインストールされていません"
                "（Debian: apt-get install postgresql-client）。"
            ),
            name=name,
        )
    return path


def _target(engine: Engine) -> tuple[str, dict[str, str]]:
    """Return the libpq URI of engine's database (no password) and the tools' environment."""
    url = engine.url
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _last_line(path: Path, tool: str, code: int) -> str:
    text = path.read_text(encoding="utf-8", errors="replace").strip()
    lines = [line for line in text.splitlines() if line.strip()]
    return f"{tool} failed (exit {code}): {lines[-1] if lines else 'no message'}"


def dump(engine: Engine, out: Sink, scratch: Path) -> int:
    """Stream pg_dump's custom-format archive of engine's database into out; return its
    size. scratch is a private folder for the tool's messages."""
    uri, env = _target(engine)
    errors = scratch / "pg_dump.err"
    size = 0
    with errors.open("wb") as err:
        process = subprocess.Popen(  # noqa: S603 - a fixed argument list, no shell
            [
                _tool("pg_dump"),
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--dbname={uri}",
            ],  # fmt: skip
            stdout=subprocess.PIPE,
            stderr=err,
            env=env,
        )
        stdout = process.stdout
        if stdout is None:  # not reached: stdout is a pipe
            raise PgToolError(N_("pg_dump が何も出力しませんでした。"))
        try:
            with stdout:
                while block := stdout.read(BLOCK):
                    out.write(block)
                    size += len(block)
        except BaseException:
            process.kill()  # our side failed: the dump is of no use
            process.wait()
            raise
        code = process.wait()
    if code:
        raise PgToolError(_last_line(errors, "pg_dump", code))
    return size


def load(engine: Engine, archive: Path, scratch: Path) -> None:
    """Replace engine's database objects with those of a pg_dump archive, in one transaction."""
    uri, env = _target(engine)
    errors = scratch / "pg_restore.err"
    with errors.open("wb") as err:
        code = subprocess.call(  # noqa: S603 - a fixed argument list, no shell
            [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
             "--single-transaction", "--exit-on-error", f"--dbname={uri}", str(archive)],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=env,
        )  # fmt: skip
    if code:
        raise PgToolError(_last_line(errors, "pg_restore", code))


def write_archive(blocks: Iterator[bytes], folder: Path) -> Path:
    """Write a backup's database section (the archive) to a private file in folder."""
    fd, name = tempfile.mkstemp(dir=folder, prefix="pg-", suffix=".dump")
    with os.fdopen(fd, "wb") as handle:
        for block in blocks:
            handle.write(block)
    return Path(name)
