"""Field-level encryption of personal data (AES-256-GCM) and keyed look-up hashes.

Keys live in files under $HIROBA_HOME/keys, never in the database. Every stored value
carries the id of the key that sealed it, so keys can be rotated: new values use the
active key, old ones stay readable until re-encrypted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .config import read_key_file
from .controls import stored
from .errors import ConfigError, DecryptionError
from .validation import N_

DATA_KEYS_FILE = "data-keys.json"
BACKUP_KEY_FILE = "backup.key"
INDEX_KEY_FILE = "index.key"
SECRET_KEY_FILE = "secret.key"  # noqa: S105 - a file name, not a secret

# A key file that cannot be read as one (a Japanese gettext id; the command translates it).
NOT_A_KEY_FILE = N_("鍵ファイル %(path)s は正しい鍵ファイルではありません。")


@dataclass
class Vault:
    """Seals and opens personal-data values; computes blind indexes for look-ups.

    A vault loaded from a key file re-reads it when it changes, so a running process
    follows `hiroba rotate-keys` without a restart: it seals with the new active key and
    opens values sealed with it.
    """

    keys: dict[str, bytes]
    active: str
    index_key: bytes
    keys_file: Path | None = None
    _stamp: tuple[int, int, int] | None = field(default=None, repr=False, compare=False)

    def refresh(self) -> None:
        """Reload the data keys when their file has changed since the last look."""
        if self.keys_file is None:
            return
        try:
            st = self.keys_file.stat()
        except OSError:  # mid-replacement or removed: keep the keys already held
            return
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        if stamp != self._stamp:
            keys, active = read_data_keys(self.keys_file)
            # The threads of a gunicorn worker share this vault: the keys are replaced before
            # the active id, and seal() reads the id before the keys, so it always finds
            # the key it names (rotation adds the new active key to the file).
            self.keys = keys
            self.active = active
            self._stamp = stamp

    def seal(self, value: str | None, context: str) -> str | None:
        """Encrypt value bound to context (table.column); None stays None."""
        if value is None:
            return None
        self.refresh()
        active = self.active  # once: the key and the id written beside the value agree
        nonce = os.urandom(12)
        sealed = AESGCM(self.keys[active]).encrypt(
            nonce, stored(value).encode("utf-8"), context.encode("utf-8")
        )
        return f"{active}:{base64.b64encode(nonce + sealed).decode('ascii')}"

    def open(self, token: str | None, context: str) -> str | None:
        """Decrypt a value sealed for context; None stays None."""
        if token is None:
            return None
        key_id, _, payload = token.partition(":")
        if key_id not in self.keys:
            self.refresh()
        key = self.keys.get(key_id)
        if key is None:
            raise DecryptionError(
                N_("値は鍵 ID「%(key_id)s」で暗号化されていますが、その鍵がありません。"),
                key_id=key_id,
            )
        try:
            raw = base64.b64decode(payload, validate=True)
            plain = AESGCM(key).decrypt(raw[:12], raw[12:], context.encode("utf-8"))
        except (InvalidTag, ValueError):  # ValueError: bad base64 (binascii.Error) or nonce
            raise DecryptionError(
                N_("%(context)s の値の認証に失敗しました。"), context=context
            ) from None
        return plain.decode("utf-8")

    def blind_index(self, value: str, purpose: str) -> str:
        """Return a keyed hash of the normalised value, for equality look-ups."""
        normal = unicodedata.normalize("NFKC", value).strip().casefold()
        return hmac.new(
            self.index_key, f"{purpose}\x00{normal}".encode(), hashlib.sha256
        ).hexdigest()


def create_keys(keys_dir: Path) -> list[Path]:
    """Create the secret, data and index keys with mode 0600; keep existing ones."""
    keys_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(keys_dir, 0o700)
    created = []
    wanted = {
        SECRET_KEY_FILE: lambda: secrets.token_hex(32),
        INDEX_KEY_FILE: lambda: secrets.token_hex(32),
        BACKUP_KEY_FILE: lambda: secrets.token_hex(32),
        DATA_KEYS_FILE: lambda: json.dumps(
            {"active": "k1", "keys": {"k1": base64.b64encode(os.urandom(32)).decode()}}
        ),
    }
    for name, make in wanted.items():
        path = keys_dir / name
        if path.exists():
            continue
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(make())
        created.append(path)
    return created


def read_data_keys(path: Path) -> tuple[dict[str, bytes], str]:
    """Return the data keys and the active key id of a data-keys.json file."""
    raw = read_key_file(path)
    try:
        spec = json.loads(raw)
        keys = {kid: base64.b64decode(b64) for kid, b64 in spec["keys"].items()}
        active = spec["active"]
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ConfigError(NOT_A_KEY_FILE, path=path) from None
    if active not in keys or any(len(k) != 32 for k in keys.values()):
        raise ConfigError(
            N_("鍵ファイル %(path)s には 32 バイトの鍵と、使う鍵の名前を書いてください。"),
            path=path,
        )
    return keys, active


def load_vault(keys_dir: Path) -> Vault:
    """Load the keys from keys_dir; raise ConfigError when they are missing or malformed."""
    keys, active = read_data_keys(keys_dir / DATA_KEYS_FILE)
    try:
        index_key = bytes.fromhex(read_key_file(keys_dir / INDEX_KEY_FILE).decode())
    except ValueError:
        raise ConfigError(NOT_A_KEY_FILE, path=keys_dir / INDEX_KEY_FILE) from None
    if len(index_key) < 32:
        raise ConfigError(
            N_("鍵ファイル %(path)s には 32 バイト以上の鍵を書いてください。"),
            path=keys_dir / INDEX_KEY_FILE,
        )
    vault = Vault(
        keys=keys, active=active, index_key=index_key, keys_file=keys_dir / DATA_KEYS_FILE
    )
    vault.refresh()
    return vault
