"""A private ClamAV daemon for the scanning tests: Debian's /usr/sbin/clamd, run as a child.

Its only signatures are made here: one body signature (.ndb) matching MARKER, packed as an
unsigned database (.cud) whose header carries a version and a build time, so clamd's
VERSION answer has a database date to report. Nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import io
import socket
import subprocess
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

CLAMD = Path("/usr/sbin/clamd")
# What the signature matches: letters and digits only, so it stays literal in a PDF string.
MARKER = "HirobaScanTestMarker7c1e0b"
SIGNATURE = "Hiroba.Test.Marker"
DB_VERSION = 3
DB_AGE_SECONDS = 5 * 86400


def _cud(built_at: int) -> bytes:
    """Return an unsigned ClamAV database holding the marker's signature (sigtool's layout)."""
    ndb = f"{SIGNATURE}:0:*:{MARKER.encode().hex()}\n".encode()

    def header(md5: str) -> bytes:
        stamp = time.strftime("%d %b %Y %H-%M +0000", time.gmtime(built_at))
        line = f"ClamAV-VDB:{stamp}:{DB_VERSION}:1:1:{md5}:X:hiroba-test:{built_at}"
        return line.encode().ljust(512, b" ")

    info = (
        header("X").rstrip()
        + f"\ndaily.ndb:{len(ndb)}:{hashlib.sha256(ndb).hexdigest()}\n".encode()
    )
    body = io.BytesIO()
    with tarfile.open(fileobj=body, mode="w:gz") as tar:
        for name, data in (("daily.info", info), ("daily.ndb", ndb)):
            entry = tarfile.TarInfo(name)
            entry.size = len(data)
            tar.addfile(entry, io.BytesIO(data))
    packed = body.getvalue()
    return header(hashlib.md5(packed).hexdigest()) + packed  # noqa: S324 - the CVD format's own


@dataclass
class Clamd:
    """One clamd on a private unix socket, with its config, database and log in folder."""

    folder: Path
    built_at: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def socket(self) -> Path:
        return self.folder / "clamd.sock"

    @property
    def log(self) -> Path:
        return self.folder / "clamd.log"

    def start(self, wait_seconds: float = 60) -> None:
        """Start clamd and wait until its socket answers PING (loading takes a few seconds)."""
        database = self.folder / "db"
        database.mkdir(parents=True, exist_ok=True)
        (database / "daily.cud").write_bytes(_cud(self.built_at))
        config = self.folder / "clamd.conf"
        config.write_text(
            f"LocalSocket {self.socket}\nDatabaseDirectory {database}\nLogFile {self.log}\n"
            f"PidFile {self.folder / 'clamd.pid'}\nTemporaryDirectory {self.folder}\n"
            "Foreground yes\n",
            encoding="utf-8",
        )
        self.process = subprocess.Popen(  # noqa: S603 - a fixed binary and our own config
            [str(CLAMD), "--config-file", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"clamd exited: {self.log.read_text(errors='replace')[-2000:]}")
            if self._answers():
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"clamd did not answer within {wait_seconds} s")

    def _answers(self) -> bool:
        if not self.socket.exists():
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(2)
                sock.connect(str(self.socket))
                sock.sendall(b"nPING\n")
                return sock.recv(16).startswith(b"PONG")
        except OSError:
            return False

    def stop(self) -> None:
        """Stop clamd and wait for it to exit."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def start_clamd(folder: Path) -> Clamd:
    """Start a private clamd whose database was built DB_AGE_SECONDS ago."""
    daemon = Clamd(folder, built_at=int(time.time()) - DB_AGE_SECONDS)
    daemon.start()
    return daemon
