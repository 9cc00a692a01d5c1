"""Sealed personal data, key files, Argon2id passwords, Japanese input checks, stored bytes."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import select

from intake import validation
from intake.accounts.passwords import hash_password, verify_password
from intake.accounts.services import PERSON_FIELDS, PersonData, Registration, register
from intake.crypto import Vault, create_keys, load_vault
from intake.errors import ConfigError, DecryptionError
from intake.models import SEALED_COLUMNS, Account

CONTEXT = "persons.name"


@pytest.fixture
def vault(tmp_path: Path) -> Vault:
    create_keys(tmp_path / "keys")
    return load_vault(tmp_path / "keys")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_seal_and_open_round_trip(vault: Vault) -> None:
    for text in ["新宿 花子", "東京都新宿区歌舞伎町1-4-1 ﾊｲﾂ101", "", "🙂 emoji"]:
        assert vault.open(vault.seal(text, CONTEXT), CONTEXT) == text
    assert vault.seal(None, CONTEXT) is None
    assert vault.open(None, CONTEXT) is None


def test_each_seal_differs_and_names_its_key(vault: Vault) -> None:
    tokens = {vault.seal("新宿 花子", CONTEXT) for _ in range(20)}
    assert len(tokens) == 20  # a fresh random nonce every time
    assert all(token.startswith("k1:") for token in tokens if token)
    assert all("新宿" not in token for token in tokens if token)


def test_opening_under_another_context_fails(vault: Vault) -> None:
    token = vault.seal("03-1234-5678", "persons.phone")
    with pytest.raises(DecryptionError):
        vault.open(token, "persons.fax")


@pytest.mark.parametrize("position", [0, 11, 12, 20, -1])
def test_a_flipped_byte_fails(vault: Vault, position: int) -> None:
    token = vault.seal("新宿 花子", CONTEXT)
    assert token is not None
    key_id, _, payload = token.partition(":")
    raw = bytearray(base64.b64decode(payload))
    raw[position] ^= 0x01
    tampered = f"{key_id}:{base64.b64encode(bytes(raw)).decode()}"
    with pytest.raises(DecryptionError):
        vault.open(tampered, CONTEXT)


@pytest.mark.parametrize("token", ["k1:!!!", "k1:abc", "k1", "k1:", "k1:AAAA"])
def test_a_malformed_token_fails_as_a_decryption_error(vault: Vault, token: str) -> None:
    with pytest.raises(DecryptionError):
        vault.open(token, CONTEXT)


def test_an_unknown_key_id_fails(vault: Vault) -> None:
    token = vault.seal("新宿 花子", CONTEXT)
    assert token is not None
    with pytest.raises(DecryptionError, match="k9"):
        vault.open("k9:" + token.partition(":")[2], CONTEXT)


def test_rotation_keeps_old_tokens_readable(vault: Vault) -> None:
    old_token = vault.seal("新宿 花子", CONTEXT)
    rotated = Vault(
        keys={**vault.keys, "k2": os.urandom(32)}, active="k2", index_key=vault.index_key
    )
    assert rotated.open(old_token, CONTEXT) == "新宿 花子"
    new_token = rotated.seal("新宿 花子", CONTEXT)
    assert new_token is not None and new_token.startswith("k2:")
    assert rotated.open(new_token, CONTEXT) == "新宿 花子"
    with pytest.raises(DecryptionError):
        vault.open(new_token, CONTEXT)  # the old vault never saw k2


def test_blind_index_is_stable_keyed_and_normalised(vault: Vault, tmp_path: Path) -> None:
    index = vault.blind_index("test@example.jp", "email")
    assert index == vault.blind_index("test@example.jp", "email")
    assert index == load_vault(tmp_path / "keys").blind_index("test@example.jp", "email")
    assert index != vault.blind_index("test@example.jp", "login")
    assert vault.blind_index("ＴＥＳＴ@Example.JP", "email") == index
    assert vault.blind_index("  test@example.jp ", "email") == index
    assert vault.blind_index("other@example.jp", "email") != index
    other = Vault(keys=vault.keys, active="k1", index_key=os.urandom(32))
    assert other.blind_index("test@example.jp", "email") != index
    assert len(index) == 64 and "test" not in index


def test_create_keys_is_private_and_never_overwrites(tmp_path: Path) -> None:
    keys_dir = tmp_path / "keys"
    created = create_keys(keys_dir)
    assert len(created) == 4
    assert {p.name for p in created} == {"secret.key", "index.key", "data-keys.json", "backup.key"}
    assert mode(keys_dir) == 0o700
    assert all(mode(path) == 0o600 for path in created)
    before = {path.name: path.read_bytes() for path in created}
    assert create_keys(keys_dir) == []
    assert {path.name: path.read_bytes() for path in keys_dir.iterdir()} == before


MALFORMED = {
    "not json": "this is not json",
    "no active key": json.dumps({"keys": {"k1": base64.b64encode(os.urandom(32)).decode()}}),
    "active key absent": json.dumps(
        {"active": "k2", "keys": {"k1": base64.b64encode(os.urandom(32)).decode()}}
    ),
    "short key": json.dumps({"active": "k1", "keys": {"k1": base64.b64encode(b"short").decode()}}),
    "bad base64": json.dumps({"active": "k1", "keys": {"k1": "@@@"}}),
    "a list": json.dumps(["k1"]),
}


@pytest.mark.parametrize("content", MALFORMED.values(), ids=MALFORMED.keys())
def test_load_vault_rejects_a_malformed_key_file(tmp_path: Path, content: str) -> None:
    keys_dir = tmp_path / "keys"
    create_keys(keys_dir)
    (keys_dir / "data-keys.json").write_text(content)
    with pytest.raises(ConfigError) as caught:
        load_vault(keys_dir)
    assert "data-keys.json" in str(caught.value) and "\n" not in str(caught.value)


def test_load_vault_rejects_a_malformed_index_key(tmp_path: Path) -> None:
    keys_dir = tmp_path / "keys"
    create_keys(keys_dir)
    (keys_dir / "index.key").write_text("not hex at all")
    with pytest.raises(ConfigError, match="index.key"):
        load_vault(keys_dir)


def test_passwords_are_argon2id(production_password_hashing: None) -> None:
    stored = hash_password("正しい馬のバッテリー留め金")
    assert stored.startswith("$argon2id$")
    # RFC 9106's second recommendation (argon2-cffi's default): 64 MiB, 3 passes, 4 lanes.
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert stored != hash_password("正しい馬のバッテリー留め金")  # salted
    assert verify_password(stored, "正しい馬のバッテリー留め金") is True
    assert verify_password(stored, "まちがい") is False
    assert verify_password(None, "正しい馬のバッテリー留め金") is False
    assert verify_password("not a hash", "x") is False


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("03-1234-5678", "0312345678"),
        ("０９０ー１２３４ー５６７８", "09012345678"),
        ("09012345678", "09012345678"),
        (" (03) 1234 5678 ", "0312345678"),
    ],
)
def test_phone_accepts(raw: str, clean: str) -> None:
    assert validation.phone(raw) == clean


@pytest.mark.parametrize("raw", ["12345", "03-1234-567", "", "090-1234-56789", "abc"])
def test_phone_rejects(raw: str) -> None:
    with pytest.raises(validation.InvalidInput, match="電話番号"):
        validation.phone(raw)


@pytest.mark.parametrize("raw", ["〒160-0022", "1600022", "１６０－００２２", "160ー0022"])
def test_postal_code_accepts(raw: str) -> None:
    assert validation.postal_code(raw) == "160-0022"


@pytest.mark.parametrize("raw", ["160-002", "16000222", "", "abc-defg"])
def test_postal_code_rejects(raw: str) -> None:
    with pytest.raises(validation.InvalidInput):
        validation.postal_code(raw)


def test_email_lowercases_the_domain_only() -> None:
    assert validation.email("Taro.Yamada@Example.JP") == "Taro.Yamada@example.jp"
    assert validation.email("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ") == "taro@example.jp"
    for bad in ["taro", "taro@", "@example.jp", "taro@example", "ta ro@example.jp"]:
        with pytest.raises(validation.InvalidInput):
            validation.email(bad)


def test_kana() -> None:
    assert validation.kana("やまだ たろう") == "やまだ たろう"
    assert validation.kana("ヤマダ・タロウ") == "ヤマダ・タロウ"
    assert validation.kana("ﾔﾏﾀﾞ ﾀﾛｳ") == "ヤマダ タロウ"  # half-width becomes full-width
    for bad in ["山田 太郎", "yamada", "やまだ1", ""]:
        with pytest.raises(validation.InvalidInput):
            validation.kana(bad)


def test_login_id() -> None:
    for good in ["mod-one", "a.b_c-1", "User2024", "x" * 32]:
        assert validation.login_id(good) == good
    assert validation.login_id("ａｂｃｄ") == "abcd"
    for bad in ["abc", "-abc", ".abcd", "x" * 33, "has space", "ユーザー名", "a@b.jp", ""]:
        with pytest.raises(validation.InvalidInput):
            validation.login_id(bad)


def test_password_length() -> None:
    assert validation.password("kq7-zx9-mw") == "kq7-zx9-mw"  # exactly 10 characters
    assert validation.password("ひらがなで十文字です。") == "ひらがなで十文字です。"
    assert validation.password("y" * 256) == "y" * 256
    for bad in ["kq7-zx9-m", "", "y" * 257]:
        with pytest.raises(validation.InvalidInput):
            validation.password(bad)


SECRET_PERSON = PersonData(
    name="漏洩検査 秘密太郎",
    kana="ろうえいけんさ ひみつたろう",
    postal_code="169-8799",
    address="東京都新宿区秘密町9-8-7 検査荘203",
    phone="0398761234",
    email="leak-check-8812@example.jp",
    occupation="秘密の職業検査員",
    birth_date="1970-07-07",
)
SECRET_LOGIN = "leakcheck-login-8812"


def test_personal_data_is_never_stored_in_plain_text(instance) -> None:  # type: ignore[no-untyped-def]
    account_id = register(
        instance.rt,
        Registration(
            kind="individual",
            login=SECRET_LOGIN,
            password="leak-check-password",
            public_name="ひろば検査ネーム",
            persons={"self": SECRET_PERSON},
        ),
    )
    instance.worker_burst()  # the ingest job must not write plain text either

    expected = {f"persons.{name}": getattr(SECRET_PERSON, name) or None for name in PERSON_FIELDS}
    expected["accounts.login"] = SECRET_LOGIN
    seen: dict[str, str | None] = {}
    with instance.rt.sessions() as db:
        assert db.get(Account, account_id) is not None
        for model, column in SEALED_COLUMNS:
            context = f"{model.__tablename__}.{column.removesuffix('_enc')}"
            for value in db.scalars(select(getattr(model, column))):
                if value is None:
                    continue
                assert value.startswith("k1:"), f"{context} is stored unsealed"
                seen[context] = instance.rt.vault.open(value, context)
    assert {k: v for k, v in expected.items() if v is not None} == seen

    if not instance.settings.is_sqlite:
        return
    db_file = Path(instance.settings.database_url.split(":///", 1)[1])
    stored = b"".join(
        path.read_bytes()
        for path in [db_file, Path(f"{db_file}-wal"), Path(f"{db_file}-journal")]
        if path.exists()
    )
    assert len(stored) > 0
    assert "ひろば検査ネーム".encode() in stored  # the public name is public: the scan works
    secrets_in_plain = [
        value
        for value in [*seen.values(), SECRET_PERSON.name.split()[1]]
        if value and value.encode("utf-8") in stored
    ]
    assert not secrets_in_plain
