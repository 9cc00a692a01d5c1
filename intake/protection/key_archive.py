"""A password-protected archive of the key files, kept apart from the database backups.

The archive holds every file of $HIROBA_HOME/keys, encrypted with AES-256-GCM under a
key derived from the password with scrypt (n=2**17, r=8, p=1), so a stolen archive
resists guessing. `restore_keys` puts the files back with mode 0600.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from ..errors import HirobaError
from ..validation import N_

MAGIC = b"HIROBA-KEYS 1\n"
SCRYPT = {"n": 2**17, "r": 8, "p": 1}


class KeyArchiveError(HirobaError):
    """A key archive cannot be opened or its files cannot be put back."""


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(password.encode("utf-8"))


def write_key_archive(keys_dir: Path, output: Path, password: str) -> list[str]:
    """Write every key file into an encrypted archive at output; return the file names."""
    files = {
        path.name: base64.b64encode(path.read_bytes()).decode()
        for path in sorted(keys_dir.iterdir())
        if path.is_file() and not path.name.startswith(".")
    }
    if not files:
        raise KeyArchiveError(N_("%(folder)s に鍵ファイルがありません。"), folder=keys_dir)
    salt = os.urandom(16)
    header = {"kdf": "scrypt", **SCRYPT, "salt": base64.b64encode(salt).decode()}
    header_line = json.dumps(header, sort_keys=True).encode() + b"\n"
    nonce = os.urandom(12)
    sealed = AESGCM(_derive(password, salt, **SCRYPT)).encrypt(
        nonce, json.dumps({"files": files}).encode(), MAGIC + header_line
    )
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(MAGIC + header_line + nonce + sealed)
    return sorted(files)


def read_key_archive(path: Path, password: str) -> dict[str, bytes]:
    """Return the key files held in an archive; raise KeyArchiveError on a wrong password."""
    data = path.read_bytes()
    if not data.startswith(MAGIC):
        raise KeyArchiveError(N_("%(path)s は Hiroba の鍵アーカイブではありません。"), path=path)
    header_line, _, rest = data[len(MAGIC) :].partition(b"\n")
    try:
        header = json.loads(header_line)
        salt = base64.b64decode(header["salt"])
        key = _derive(password, salt, int(header["n"]), int(header["r"]), int(header["p"]))
        plain = AESGCM(key).decrypt(rest[:12], rest[12:], MAGIC + header_line + b"\n")
        files = json.loads(plain)["files"]
    except InvalidTag:
        raise KeyArchiveError(N_("%(path)s はこのパスワードでは開けません。"), path=path) from None
    except (ValueError, KeyError, TypeError):
        raise KeyArchiveError(N_("%(path)s は壊れています。"), path=path) from None
    return {name: base64.b64decode(b64) for name, b64 in files.items()}


def restore_keys(path: Path, password: str, keys_dir: Path, force: bool = False) -> list[str]:
    """Put the key files of an archive into keys_dir (mode 0600); refuse to overwrite."""
    files = read_key_archive(path, password)
    keys_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(keys_dir, 0o700)
    unsafe = [name for name in files if "/" in name or name.startswith(".")]
    if unsafe:
        raise KeyArchiveError(
            N_("%(path)s に安全でないファイル名「%(name)s」があります。"), path=path, name=unsafe[0]
        )
    clashes = [name for name in files if (keys_dir / name).exists()]
    if clashes and not force:
        raise KeyArchiveError(
            N_(
                "%(folder)s にはすでに %(names)s があります。"
                "上書きするには --force を付けてください。"
            ),
            folder=keys_dir,
            names=", ".join(clashes),
        )
    for name, content in files.items():
        temp = keys_dir / f".{name}.restore"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.replace(temp, keys_dir / name)
    return sorted(files)
