"""Retention: applicants' personal data goes a set number of days after the event."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import datetime, timedelta

from accounts_support import sqlite_bytes
from actors import new_post
from organizer_support import applicant_data, group_event
from sqlalchemy import select

from intake.applications.organizer import counts_of
from intake.applications.services import apply, cancel_application
from intake.config import REPO_ROOT, Settings
from intake.models import SEALED_COLUMNS, Application, AuditEntry, Post
from intake.moderation import decisions as post_decisions
from worker.schedule import schedule_retention

SEALED_NAMES = [column for model, column in SEALED_COLUMNS if model is Application]
INDEXES = ["email_index", "phone_index"]


def hiroba(instance, *argv: str) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    result = subprocess.run(
        [sys.executable, "-m", "intake.cli", *argv],
        env=instance.env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO_ROOT,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def recent_event(instance, setup) -> int:  # type: ignore[no-untyped-def]
    """Group A's second event, held ten days ago, with two applicants."""
    post_id = new_post(instance, setup.group_a, 2, capacity=10)
    post_decisions.approve(instance.rt, setup.moderator, post_decisions.Subject("post", post_id))
    for n in (51, 52):
        apply(instance.rt, post_id, applicant_data(n))
    held = datetime.now() - timedelta(days=10)
    with instance.rt.sessions() as db, db.begin():
        post = db.get(Post, post_id)
        assert post is not None
        post.starts_at, post.ends_at = held, held + timedelta(hours=2)
    return post_id


def stored(instance, post_id: int) -> list[Application]:  # type: ignore[no-untyped-def]
    with instance.rt.sessions() as db:
        return list(
            db.scalars(
                select(Application).where(Application.post_id == post_id).order_by(Application.id)
            )
        )


def test_dry_run_lists_and_purge_removes_the_data_but_keeps_the_counts(instance):
    old = group_event(instance, capacity=2, applicants=4, starts_at=datetime(2025, 1, 11, 14))
    cancel_application(instance.rt, old.applications[0])
    recent = recent_event(instance, old)
    before = stored(instance, old.post_id)
    ciphertexts = [getattr(a, c) for a in before for c in SEALED_NAMES if getattr(a, c)]
    assert len(ciphertexts) >= 4 * 4  # name, address, phone, email (and answers) of each
    with instance.rt.sessions() as db:
        counts_before = counts_of(db, old.post_id)

    dry = hiroba(instance, "purge", "--dry-run").stdout
    assert f"消去します（試行）: 投稿 {old.post_id} 2025-01-11 耐久テスト行事1: 申込 4 件" in dry
    assert f"投稿 {recent} " not in dry
    assert stored(instance, old.post_id)[0].name_enc == before[0].name_enc  # nothing changed
    with instance.rt.sessions() as db:
        assert (
            db.scalar(select(AuditEntry.id).where(AuditEntry.action == "purge_personal_data"))
            is None
        )

    done = hiroba(instance, "purge").stdout
    assert f"消去しました: 投稿 {old.post_id}" in done
    assert "消去しました: 終了から" in done and "イベント 1 件の申込 4 件" in done
    after = stored(instance, old.post_id)
    assert [(a.id, a.status, a.party_size) for a in after] == [
        (a.id, a.status, a.party_size) for a in before
    ]
    for application in after:
        for column in SEALED_NAMES + INDEXES:
            assert getattr(application, column) is None, column
    with instance.rt.sessions() as db:
        assert counts_of(db, old.post_id) == counts_before
        [entry] = db.scalars(
            select(AuditEntry).where(AuditEntry.action == "purge_personal_data")
        ).all()
    assert (entry.target_id, entry.count) == (old.post_id, 4)
    assert all(a.name_enc is not None for a in stored(instance, recent))  # not due yet
    if instance.settings.is_sqlite:
        data = sqlite_bytes(instance)
        for ciphertext in ciphertexts:
            assert ciphertext.encode() not in data
    again = hiroba(instance, "purge", "--dry-run").stdout
    assert "消去します（試行）: 終了から" in again and "イベント 0 件の申込 0 件" in again


def test_the_scheduled_job_purges_through_a_real_worker_once_an_hour(instance):
    old = group_event(instance, applicants=2, starts_at=datetime.now() - timedelta(days=5))
    instance.env["HIROBA_RETENTION_DAYS"] = "3"
    instance.settings = Settings.from_env(instance.env)
    rt = replace(instance.rt, settings=instance.settings)
    assert schedule_retention(rt) is True
    assert schedule_retention(rt) is False  # at most once an hour
    instance.worker_burst()
    assert all(a.name_enc is None and a.email_enc is None for a in stored(instance, old.post_id))
    with instance.rt.sessions() as db:
        [entry] = db.scalars(
            select(AuditEntry).where(AuditEntry.action == "purge_personal_data")
        ).all()
    assert (entry.actor_id, entry.target_id, entry.count) == (None, old.post_id, 2)
