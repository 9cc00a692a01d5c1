"""Set-ups shared by the registration, change-request, withdrawal and reset tests."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from actors import person, sign_in, submit
from conftest import Instance
from mailsink import MailSink
from sqlalchemy import select

from intake.accounts.services import create_staff
from intake.config import Settings
from intake.models import Account
from intake.moderation import services as moderation

PASSWORD = "individual-password-42"


def reconfigure(instance: Instance, toml: str | None = None, **env: str) -> Instance:
    """Write hiroba.toml and settings, and rebuild the instance's settings and runtime.

    Call it before the `app` fixture is built (request fixtures in that order).
    """
    if toml is not None:
        (instance.settings.home / "hiroba.toml").write_text(toml, encoding="utf-8")
    instance.env.update(env)
    settings = Settings.from_env(instance.env)
    # The fixture closes the runtime it made; this one shares its pools, so keep it.
    instance.rt = replace(instance.rt, settings=settings)
    instance.settings = settings
    return instance


def individual_form(n: int, login: str, **extra: str) -> dict[str, str]:
    return {
        **person("person", n, title=False),
        "public_name": f"個人会員{n}",
        "login": login,
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        "consent": "y",
        **extra,
    }


def register_and_approve(instance: Instance, client, n: int, login: str) -> int:  # type: ignore[no-untyped-def]
    """Register an individual through the form, approve it, and return its account id."""
    response = submit(client, "/app/register", individual_form(n, login))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    with instance.rt.sessions() as db:
        account_id = db.scalars(select(Account.id).order_by(Account.id.desc())).first()
    assert account_id is not None
    moderator = approver(instance)
    moderation.decide_account(instance.rt, moderator, account_id, approve=True)
    return account_id


def forget_outcome_mails(instance: Instance, sink: MailSink) -> None:
    """Let the worker mail the set-up's approvals (tests/test_registration_outcome.py is
    about those mails), and forget them: what a test checks comes after."""
    instance.worker_burst()
    assert all("登録を承認しました" in str(m["Subject"]) for m in sink.messages)
    sink.messages.clear()


def approver(instance: Instance) -> int:
    """Return the id of a moderator made through the services (no sign-in needed)."""
    with instance.rt.sessions() as db:
        found = db.scalar(select(Account.id).where(Account.kind == "moderator"))
    if found is not None:
        return found
    return create_staff(instance.rt, "moderator", "mod-approver", "approver-password-1", "運営")


def sign_in_member(client, login: str, password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, login, password)


def sqlite_bytes(instance: Instance) -> bytes:
    """Return the SQLite database file and its WAL, after a checkpoint."""
    from sqlalchemy import text

    with instance.rt.engine.connect() as connection:
        connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    db_file = Path(instance.settings.database_url.split(":///", 1)[1])
    return b"".join(
        path.read_bytes()
        for path in (db_file, Path(f"{db_file}-wal"), Path(f"{db_file}-journal"))
        if path.exists()
    )


def client_for(instance: Instance):  # type: ignore[no-untyped-def]
    """Return a test client of an app built on the instance's current settings."""
    from intake.web import create_app

    return create_app(instance.settings, runtime=instance.rt).test_client()


ALL_FIELDS_ON = """
[personal_fields]
individual_occupation = true
individual_gender = true
individual_birth_date = true
group_title = true
group_gender = true
group_birth_date = true
minimum_age = 18
"""
