"""Key rotation: a new key, every stored value re-encrypted under it, old keys retired."""

from __future__ import annotations

import json
import stat

from conftest import Instance
from personal_data import (
    INDIVIDUAL,
    database_bytes,
    failed,
    hiroba,
    ok,
    opened,
    plaintext_in,
    sealed_values,
    seed,
)

from intake.crypto import load_vault
from intake.models import SEALED_COLUMNS
from intake.moderation import services as moderation
from intake.protection import keys
from intake.protection.keys import context_of


def key_file(instance: Instance) -> dict:
    path = instance.settings.keys_dir / "data-keys.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    return json.loads(path.read_text())


def test_rotation_reencrypts_every_value_and_the_live_app_keeps_reading(
    instance: Instance,
) -> None:
    seeded = seed(instance)
    before = sealed_values(instance)
    plain = opened(instance, before)
    assert before and all(token.startswith("k1:") for token in before.values())

    result = ok(hiroba(instance.env, "rotate-keys", "--batch-size", "2"))
    assert "有効なデータ鍵: k2" in result.stdout
    spec = key_file(instance)
    assert spec["active"] == "k2" and set(spec["keys"]) == {"k1", "k2"}

    after = sealed_values(instance)
    assert after.keys() == before.keys()
    assert not [k for k, token in after.items() if token.startswith("k1:")]
    assert all(token.startswith("k2:") for token in after.values())
    # The app's vault was loaded before the rotation: it follows the key file by itself.
    assert opened(instance, after) == plain
    assert instance.rt.vault.active == "k2"
    assert instance.rt.vault.seal("x", "persons.name").startswith("k2:")  # type: ignore[union-attr]
    fresh = load_vault(instance.settings.keys_dir)
    for (table, column, _), token in after.items():
        model = next(m for m, _ in SEALED_COLUMNS if m.__tablename__ == table)
        assert fresh.open(token, context_of(model, column)) is not None
    _, persons = moderation.account_for_review(instance.rt, seeded.moderator, seeded.individual)
    assert persons[0][1].name == INDIVIDUAL.name
    if instance.settings.is_sqlite:
        assert not plaintext_in(database_bytes(instance))

    ok(hiroba(instance.env, "rotate-keys", "--retire", "k1"))
    assert set(key_file(instance)["keys"]) == {"k2"}
    assert opened(instance, sealed_values(instance)) == plain
    message = failed(hiroba(instance.env, "rotate-keys", "--retire", "k2"))
    assert "使用中の鍵" in message
    assert "k9" in failed(hiroba(instance.env, "rotate-keys", "--retire", "k9"))


def test_a_key_still_in_use_is_not_retired(instance: Instance) -> None:
    seed(instance)
    count = len(sealed_values(instance))
    assert keys.add_key(instance.settings.keys_dir) == "k2"  # new key, nothing re-encrypted yet
    message = failed(hiroba(instance.env, "rotate-keys", "--retire", "k1"))
    assert f"保存された値のうち {count} 件がまだ k1 を使っています" in message
    assert set(key_file(instance)["keys"]) == {"k1", "k2"}

    ok(hiroba(instance.env, "rotate-keys", "--resume"))
    assert all(t.startswith("k2:") for t in sealed_values(instance).values())
    ok(hiroba(instance.env, "rotate-keys", "--retire", "k1"))
    assert set(key_file(instance)["keys"]) == {"k2"}


def test_reencryption_in_small_batches_is_complete_and_idempotent(instance: Instance) -> None:
    seed(instance)
    keys.add_key(instance.settings.keys_dir)
    vault = instance.rt.vault
    vault.refresh()
    result = keys.reencrypt_all(instance.rt.sessions, vault, batch_size=1)
    assert result.active == "k2" and not result.remaining
    assert result.reencrypted == len(sealed_values(instance))
    again = keys.reencrypt_all(instance.rt.sessions, vault)
    assert again.reencrypted == 0
