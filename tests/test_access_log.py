"""The complete access log: sign-ins and sign-outs, account and setting changes, exports and
views, each with the client address sealed; the chain verifies; old addresses are cleared."""

from __future__ import annotations

from dataclasses import replace

from actors import MODERATOR, make_moderator, sign_in, sign_out
from conftest import submit
from personal_data import database_bytes, hiroba, ok
from sqlalchemy import select

from intake.models import SEALED_COLUMNS, AuditEntry
from intake.protection import audit
from intake.protection.access import ADDRESS_CONTEXT
from intake.store import transaction
from intake.web.app import create_app

ADDRESS = "198.51.100.77"


def _entries(instance, action: str) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    with instance.rt.sessions() as db:
        return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _address(instance, entry: AuditEntry) -> str | None:  # type: ignore[no-untyped-def]
    return instance.rt.vault.open(entry.address_enc, ADDRESS_CONTEXT)


def test_sign_in_out_and_setting_changes_carry_the_sealed_address(instance, app):
    make_moderator(instance)
    (created,) = _entries(instance, "staff_created")
    assert created.detail == "moderator" and created.address_enc is None  # from no request
    moderator = app.test_client()
    moderator.environ_base["REMOTE_ADDR"] = ADDRESS
    sign_in(moderator, *MODERATOR)
    (signin,) = _entries(instance, "signin")
    assert signin.actor_id == created.target_id == signin.target_id
    assert ADDRESS not in (signin.address_enc or "")  # sealed, never in clear
    assert _address(instance, signin) == ADDRESS

    added = submit(moderator, "/app/moderation/reasons", {"title": "重複", "body": "同じ内容"})
    assert added.status_code == 302
    (changed,) = _entries(instance, "setting_changed")
    assert changed.target_kind == "reason" and changed.actor_id == signin.actor_id
    assert _address(instance, changed) == ADDRESS

    sign_out(moderator)
    (signout,) = _entries(instance, "signout")
    assert signout.actor_id == signin.actor_id and _address(instance, signout) == ADDRESS
    if instance.settings.database_url.startswith("sqlite"):
        assert ADDRESS.encode() not in database_bytes(instance)
    assert "監査ログは改ざんされていません" in ok(hiroba(instance.env, "audit", "verify")).stdout


def test_behind_a_trusted_proxy_the_forwarded_address_is_kept(instance):
    make_moderator(instance)
    proxied = create_app(replace(instance.settings, trusted_proxies=1), runtime=instance.rt)
    proxied.config.update(TESTING=True)
    client = proxied.test_client()
    client.environ_base.update({"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"})
    sign_in(client, *MODERATOR)
    (signin,) = _entries(instance, "signin")
    assert _address(instance, signin) == "203.0.113.9"


def test_the_address_is_a_sealed_column_and_outside_the_hash(instance, app):
    assert (AuditEntry, "address_enc") in SEALED_COLUMNS  # key rotation and erasure walk it
    make_moderator(instance)
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ADDRESS
    sign_in(client, *MODERATOR)
    with transaction(instance.rt.sessions) as db:
        entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "signin")).one()
        before = entry.hash
        entry.address_enc = instance.rt.vault.seal(ADDRESS, ADDRESS_CONTEXT)  # re-sealed
        assert audit.entry_digest(entry) == before
    ok(hiroba(instance.env, "rotate-keys"))
    (signin,) = _entries(instance, "signin")
    assert _address(instance, signin) == ADDRESS  # re-sealed under the new key
    assert "監査ログは改ざんされていません" in ok(hiroba(instance.env, "audit", "verify")).stdout


def test_addresses_are_cleared_after_audit_days_and_the_chain_still_verifies(instance, app):
    make_moderator(instance)
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ADDRESS
    sign_in(client, *MODERATOR)
    dry = ok(hiroba(instance.env, "purge", "--dry-run")).stdout
    assert "消去します（試行）: 365 日より古い監査記録の接続元アドレス 0 件" in dry
    with transaction(instance.rt.sessions) as db:
        assert audit.clear_old_addresses(db, 1) == 0  # nothing is a day old yet
    with transaction(instance.rt.sessions) as db:
        assert audit.clear_old_addresses(db, 0) == 1  # everything before now
    (signin,) = _entries(instance, "signin")
    assert signin.address_enc is None  # the entry stays, without its address
    (cleared,) = _entries(instance, "audit_addresses_cleared")
    assert cleared.count == 1 and cleared.address_enc is None
    assert "監査ログは改ざんされていません" in ok(hiroba(instance.env, "audit", "verify")).stdout


def test_the_audit_days_setting_is_read_from_hiroba_toml(instance):
    toml = instance.settings.home / "hiroba.toml"
    toml.write_text("[retention]\naudit_days = 30\n", encoding="utf-8")
    out = ok(hiroba(instance.env, "purge", "--dry-run")).stdout
    assert "30 日より古い監査記録の接続元アドレス" in out
    toml.write_text("[retention]\naudit_days = 0\n", encoding="utf-8")
    bad = hiroba(instance.env, "purge", "--dry-run")
    assert bad.returncode != 0 and "retention.audit_days" in bad.stderr
