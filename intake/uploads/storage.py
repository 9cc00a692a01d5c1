"""Where kept uploads live: a private folder of this host, or a private bucket.

``HIROBA_UPLOADS_URL`` chooses (settings.uploads_location). Both keep one upload's files
under its random token, ``<token>/<name>``: in the folder (``$HIROBA_HOME/uploads`` by
default) as folders 0700 and files 0600 written through a temporary file, fsync and
rename; in the bucket as keys ``<prefix><token>/<name>``, each written with server-side
encryption (SSE-S3, AES256) and no ACL, so nothing is ever public there. A bucket lets
every host's web and worker processes see the same files (issue 14). The token is the
only name a file has: no personal data is in a path or key.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from ..config import Settings
from ..config.storage import Location
from ..objectstore import client, delete_keys, list_keys
from ..validation import N_
from .errors import UploadFileMissing

SSE = "AES256"
BLOCK = 1 << 20
# `hiroba check` writes and deletes one object named so; no upload is ever named so.
PROBE = ".hiroba-check-"
PRIVATE_MODE = N_(
    "%(path)s のモードが %(mode)s で、他の利用者が読めます。chmod %(wanted)s してください"
)


class FolderStore:
    """Kept uploads in a private folder of this host (one machine: the default)."""

    def __init__(self, location: Location) -> None:
        assert location.path is not None
        self.location = location
        self.root = location.path

    def local_path(self, token: str, name: str) -> Path | None:
        """Return the file's path (None: it is not there)."""
        path = self.root / token / name
        return path if path.is_file() else None

    def put(self, token: str, name: str, data: bytes) -> None:
        """Write one file so that a reader sees all of it or nothing."""
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder = self.root / token
        folder.mkdir(mode=0o700, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, folder / name)

    def size(self, token: str, name: str) -> int | None:
        """Return the file's size in bytes (None: it is not there)."""
        path = self.local_path(token, name)
        return path.stat().st_size if path is not None else None

    def read(self, token: str, name: str) -> bytes:
        """Return the file's bytes; raise UploadFileMissing when it is not there."""
        path = self.local_path(token, name)
        if path is None:
            raise UploadFileMissing(token, name, self.location.describe())
        return path.read_bytes()

    def copy_to(self, token: str, name: str, target: Path) -> None:
        """Copy the file's bytes into target (an existing file keeps its mode)."""
        path = self.local_path(token, name)
        if path is None:
            raise UploadFileMissing(token, name, self.location.describe())
        shutil.copyfile(path, target)

    def delete(self, token: str) -> bool:
        """Delete an upload's files; return whether there were any."""
        entry = self.root / token
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
            return True
        if entry.is_symlink() or entry.exists():
            entry.unlink(missing_ok=True)
            return True
        return False

    def tokens(self) -> Iterator[tuple[str, float]]:
        """Yield (token, when last changed, as a timestamp) of everything stored."""
        if not self.root.is_dir():
            return
        for entry in self.root.iterdir():
            yield entry.name, entry.lstat().st_mtime

    def files(self) -> Iterator[tuple[str, str]]:
        """Yield (token, name) of every kept file, in a stable order (a dot: a write in
        progress, skipped)."""
        if not self.root.is_dir():
            return
        for folder in sorted(self.root.iterdir()):
            if folder.name.startswith(".") or not folder.is_dir() or folder.is_symlink():
                continue
            for path in sorted(folder.iterdir()):
                if not path.name.startswith(".") and path.is_file() and not path.is_symlink():
                    yield folder.name, path.name

    @contextmanager
    def opened(self, token: str, name: str) -> Iterator[tuple[int, IO[bytes]]]:
        """Open a kept file for streaming: yield its size and a binary reader."""
        with (self.root / token / name).open("rb") as handle:
            yield os.fstat(handle.fileno()).st_size, handle

    def staging_folder(self, settings: Settings) -> Path:
        """Return a fresh name for a restore's staging folder (beside the uploads folder, so
        that the swap is a rename on one file system)."""
        return self.root.with_name(f".restore-uploads-{os.urandom(6).hex()}")

    def replace_all(self, staged: Path) -> None:
        """Make the staged folder (token/name files) the uploads; the previous ones go."""
        old = self.root.with_name(f".uploads-replaced-{os.urandom(6).hex()}")
        if self.root.exists():
            os.replace(self.root, old)
        os.replace(staged, self.root)
        shutil.rmtree(old, ignore_errors=True)

    def check(self) -> tuple[bool, str, dict[str, object]]:
        """Tell whether the folder is private (it is made at the first upload), in a
        message id and its values (`hiroba check` says it in the operator's language)."""
        values: dict[str, object] = {"path": self.root}
        if not self.root.exists():
            return True, N_("フォルダー %(path)s（最初の添付のときに作ります）"), values
        mode = self.root.stat().st_mode & 0o777
        values |= {"mode": f"{mode:04o}", "wanted": "700"}
        if mode & 0o077:
            return False, PRIVATE_MODE, values
        if not os.access(self.root, os.W_OK | os.X_OK):
            return False, N_("%(path)s にこの利用者は書き込めません"), values
        return True, N_("フォルダー %(path)s、モード %(mode)s"), values


class BucketStore:
    """Kept uploads in a private bucket of S3-compatible storage (several hosts)."""

    def __init__(self, location: Location, s3: Any) -> None:
        self.location = location
        self.bucket = location.bucket
        self._s3 = s3

    def _key(self, token: str, name: str) -> str:
        return self.location.key(f"{token}/{name}")

    def _missing(self, exc: Exception) -> bool:
        code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
        return code in ("404", "NoSuchKey", "NotFound")

    def local_path(self, token: str, name: str) -> Path | None:
        """A bucket's files have no path on this host."""
        return None

    def put(self, token: str, name: str, data: bytes) -> None:
        """Write one object, encrypted at rest, private (no ACL)."""
        self._s3.put_object(
            Bucket=self.bucket, Key=self._key(token, name), Body=data, ServerSideEncryption=SSE
        )

    def size(self, token: str, name: str) -> int | None:
        """Return the object's size in bytes (None: it is not there)."""
        from botocore.exceptions import ClientError

        try:
            head = self._s3.head_object(Bucket=self.bucket, Key=self._key(token, name))
        except ClientError as exc:
            if self._missing(exc):
                return None
            raise
        return int(head["ContentLength"])

    def _get(self, token: str, name: str) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        try:
            answer: dict[str, Any] = self._s3.get_object(
                Bucket=self.bucket, Key=self._key(token, name)
            )
        except ClientError as exc:
            if self._missing(exc):
                raise UploadFileMissing(token, name, self.location.describe()) from None
            raise
        return answer

    def read(self, token: str, name: str) -> bytes:
        """Return the object's bytes; raise UploadFileMissing when it is not there."""
        body = self._get(token, name)["Body"]
        try:
            return bytes(body.read())
        finally:
            body.close()

    def copy_to(self, token: str, name: str, target: Path) -> None:
        """Download the object into target (an existing file keeps its mode)."""
        body = self._get(token, name)["Body"]
        try:
            with target.open("wb") as handle:
                while block := body.read(BLOCK):
                    handle.write(block)
        finally:
            body.close()

    def delete(self, token: str) -> bool:
        """Delete an upload's objects; return whether there were any."""
        return (
            delete_keys(self._s3, self.bucket, list_keys(self._s3, self.location, f"{token}/")) > 0
        )

    def tokens(self) -> Iterator[tuple[str, float]]:
        """Yield (token, when its newest object was written, as a timestamp)."""
        newest: dict[str, datetime] = {}
        paginator = self._s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.location.prefix):
            for item in page.get("Contents", ()):
                token, slash, _ = item["Key"][len(self.location.prefix) :].partition("/")
                if slash and (token not in newest or item["LastModified"] > newest[token]):
                    newest[token] = item["LastModified"]
        for token, when in newest.items():
            yield token, when.timestamp()

    def files(self) -> Iterator[tuple[str, str]]:
        """Yield (token, name) of every kept object, in key order."""
        for key in list_keys(self._s3, self.location):
            token, slash, name = key[len(self.location.prefix) :].partition("/")
            if slash and name and "/" not in name and not name.startswith("."):
                yield token, name

    @contextmanager
    def opened(self, token: str, name: str) -> Iterator[tuple[int, IO[bytes]]]:
        """Open a kept object for streaming: yield its size and a binary reader."""
        answer = self._get(token, name)
        body = answer["Body"]
        try:
            yield int(answer["ContentLength"]), body
        finally:
            body.close()

    def staging_folder(self, settings: Settings) -> Path:
        """Return a fresh name for a restore's staging folder (in the instance folder)."""
        return settings.home / f".restore-uploads-{os.urandom(6).hex()}"

    def replace_all(self, staged: Path) -> None:
        """Upload the staged folder's files, then delete the objects it does not hold, then
        the staged folder: until the last step the bucket holds at least the backup's."""
        wanted = set()
        for folder in sorted(staged.iterdir()):
            for path in sorted(folder.iterdir()):
                self.put(folder.name, path.name, path.read_bytes())
                wanted.add(self._key(folder.name, path.name))
        others = [key for key in list_keys(self._s3, self.location) if key not in wanted]
        delete_keys(self._s3, self.bucket, others)
        shutil.rmtree(staged, ignore_errors=True)

    def check(self) -> tuple[bool, str, dict[str, object]]:
        """Tell whether the bucket takes and deletes an object (a probe, then gone)."""
        from botocore.exceptions import BotoCoreError, ClientError

        key = self.location.key(f"{PROBE}{secrets.token_hex(8)}")
        try:
            self._s3.put_object(Bucket=self.bucket, Key=key, Body=b"", ServerSideEncryption=SSE)
            self._s3.delete_object(Bucket=self.bucket, Key=key)
        except (BotoCoreError, ClientError) as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
            why = code or type(exc).__name__
            values = {"where": self.location.describe(), "why": why}
            return False, N_("%(where)s に書き込めません（%(why)s）"), values
        values = {"where": self.location.describe(), "sse": SSE}
        return True, N_("バケット %(where)s、書き込み可、暗号化（%(sse)s）"), values


UploadStore = FolderStore | BucketStore


def upload_store(settings: Settings) -> UploadStore:
    """Return the store of these settings' uploads location."""
    location = settings.uploads_location
    if location.is_s3:
        return BucketStore(location, client(settings))
    return FolderStore(location)
