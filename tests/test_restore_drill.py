"""The restore drill: a live site with events, an image and personal data is backed up,
brought back on a new HIROBA_HOME from the backup and the key archive alone, and
`hiroba republish` serves the same site again; nothing taken down comes back."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from actors import new_post
from conftest import PG_ADMIN_URL, Instance, instance_env
from personal_data import PLAINTEXTS, hiroba, ok, opened, seed
from personal_data import sealed_values as sealed
from sqlalchemy import create_engine, select
from uploads_support import post_with_files

from intake.config import Settings
from intake.crypto import load_vault
from intake.models import SEALED_COLUMNS, Post
from intake.moderation import decisions as post_decisions
from intake.protection.keys import context_of
from intake.site.takedown import take_down

TITLE = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S)
CONFIG = "[content]\narchive_after_days = 200\n\n[backup]\nkeep_daily = 3\n"
PASSWORD = {"HIROBA_PASSWORD": "drill-key-archive-passphrase"}


@pytest.fixture
def new_machine(instance: Instance, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of a new machine: an empty HIROBA_HOME, a database of the same kind
    (a throw-away PostgreSQL database for PostgreSQL), its own Redis key prefix."""
    folder = tmp_path / "new-machine"
    if instance.settings.is_sqlite:
        url = f"sqlite:///{folder / 'instance' / 'hiroba.db'}"
        yield {**instance_env(folder, url, instance.env["HIROBA_REDIS_URL"]),
               "HIROBA_REDIS_PREFIX": "drill"}  # fmt: skip
        return
    import psycopg

    name = f"hiroba_drill_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    env = instance_env(folder, f"{base}/{name}", instance.env["HIROBA_REDIS_URL"])
    yield {**env, "HIROBA_REDIS_PREFIX": "drill"}
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def event_titles(site: Path) -> dict[str, str]:
    """Return {URL: title} of every event page of a built site."""
    found = {}
    for page in (site / "events").glob("*/index.html"):
        if page.parent.name.isdigit():
            match = TITLE.search(page.read_text(encoding="utf-8"))
            assert match, page
            found[f"/events/{page.parent.name}/"] = match.group(1).strip()
    return found


def media_files(site: Path) -> dict[str, str]:
    """Return {path: sha256} of every published media file of a built site."""
    return {
        str(path.relative_to(site)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in (site / "media").rglob("*")
        if path.is_file()
    }


def test_restore_drill(instance: Instance, client, new_machine: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    (instance.settings.home / "hiroba.toml").write_text(CONFIG, encoding="utf-8")
    seeded = seed(instance)  # personal data, an approved event with two applicants
    with_image = post_with_files(instance, client, "写真つきの催し（復元訓練）")
    gone = new_post(instance, seeded.group, 2)
    for post in (with_image, gone):
        post_decisions.approve(instance.rt, seeded.moderator, post_decisions.Subject("post", post))
    instance.worker_burst()
    take_down(instance.rt, seeded.moderator, gone, "復元訓練のための非公開")
    instance.worker_burst()
    site = instance.settings.live_dir.resolve()
    events = event_titles(site)
    assert len(events) == 2 and f"/events/{gone}/" not in events
    assert events[f"/events/{with_image}/"] == "写真つきの催し（復元訓練）"
    media = media_files(site)
    assert [name for name in media if name.startswith(f"media/{with_image}/")]
    groups = sorted(p.parent.name for p in (site / "groups").glob("*/index.html"))
    tokens = sealed(instance)
    plain = opened(instance, tokens)
    assert set(PLAINTEXTS) <= set(plain.values())

    made = ok(hiroba(instance.env, "backup"))
    backup = Path(made.stdout.strip().rsplit(": ", 1)[1])
    archive = instance.settings.home.parent / "keys.archive"
    ok(hiroba(instance.env, "backup-keys", "--output", str(archive), **PASSWORD))

    # The new machine: keys from the archive, `hiroba init`, the backup, republish.
    ok(hiroba(new_machine, "restore-keys", str(archive), **PASSWORD))
    ok(hiroba(new_machine, "init"))
    restored = ok(hiroba(new_machine, "restore", str(backup)))
    assert "config file 1" in restored.stdout and "upload files 2" in restored.stdout
    fresh = Settings.from_env(new_machine)
    assert (fresh.home / "hiroba.toml").read_text(encoding="utf-8") == CONFIG
    assert fresh.deployment.archive_after_days == 200
    assert fresh.deployment.backup.keep_daily == 3
    # A leftover file of the taken-down post (an old content folder) must not come back.
    stray = fresh.content_dir / "posts" / f"{gone}.md"
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_text(f"Title: 残ってはいけない\nSlug: {gone}\n\n本文\n", encoding="utf-8")
    assert not fresh.live_dir.exists() or not event_titles(fresh.live_dir.resolve())

    ok(hiroba(new_machine, "republish"))
    new_site = fresh.live_dir.resolve()
    assert event_titles(new_site) == events
    assert media_files(new_site) == media
    assert sorted(p.parent.name for p in (new_site / "groups").glob("*/index.html")) == groups
    assert not stray.exists()
    assert "残ってはいけない" not in "".join(
        p.read_text(encoding="utf-8", errors="replace") for p in new_site.rglob("*.html")
    )

    # Every personal value of the new machine's database opens with its keys to what it was.
    vault = load_vault(fresh.keys_dir)
    engine = create_engine(fresh.database_url)
    try:
        with engine.connect() as conn:
            reopened = {
                (model.__tablename__, column, row_id): vault.open(token, context_of(model, column))
                for model, column in SEALED_COLUMNS
                for row_id, token in conn.execute(
                    select(model.__table__.c["id"], model.__table__.c[column])
                )
                if token is not None
            }
            statuses = {row[0]: row[1] for row in conn.execute(select(Post.id, Post.status))}
    finally:
        engine.dispose()
    assert reopened == plain
    assert statuses[gone] == "taken_down" and statuses[with_image] == "approved"
