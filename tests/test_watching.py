"""Watching: /healthz with the worker's heartbeat and the oldest owed task, /metrics for
loopback and trusted networks only, and `hiroba watch` mailing one alert per incident (real
Redis, real rq workers, a real failing build, a real aiosmtpd)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from accounts_support import client_for, reconfigure, register_and_approve
from actors import submit
from aiosmtpd.controller import Controller
from conftest import REPO_ROOT, Instance, free_port
from lifecycle_support import approved_event, poster_group, wait_until
from mailsink import MailSink, mailsink  # noqa: F401 - the fixture
from prometheus_client.parser import text_string_to_metric_families
from redis import Redis
from rq import Queue, Worker
from sqlalchemy import create_engine, select, text

from intake.deployment import load_deployment
from intake.errors import ConfigError
from intake.models import Task, utcnow
from intake.outbox import add_task
from intake.protection import audit
from intake.store import session_factory, transaction
from intake.watching.checks import watch
from intake.watching.incidents import Kind, open_incidents, report_incident, resolve_incident

ALERT_TO = "it-vendor@example.test"
OPERATOR_TOML = f'[operator]\nalert_email = "{ALERT_TO}"\n'


@pytest.fixture
def alerting(instance: Instance, mailsink: MailSink) -> tuple[Instance, MailSink]:  # noqa: F811
    reconfigure(
        instance,
        OPERATOR_TOML,
        HIROBA_SMTP_HOST=mailsink.host,
        HIROBA_SMTP_PORT=str(mailsink.port),
        HIROBA_PUBLIC_URL="https://hiroba.example.jp",
    )
    return instance, mailsink


def alerts(sink: MailSink, word: str) -> list[Any]:
    return [m for m in sink.messages if word in str(m["Subject"])]


def hiroba_watch(instance: Instance) -> subprocess.CompletedProcess[str]:
    """Run the real `hiroba watch` command, as the timer does."""
    result = subprocess.run(
        [sys.executable, "-m", "intake.cli", "watch"],
        env=instance.env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO_ROOT,
    )
    assert result.returncode == 0, result.stderr
    return result


def registered_heartbeat(instance: Instance):  # type: ignore[no-untyped-def]
    workers = Worker.all(connection=instance.rt.redis, queue=instance.rt.queue)
    beats = [w.last_heartbeat for w in workers if w.last_heartbeat is not None]
    return max(beats).replace(tzinfo=None) if beats else None


def test_healthz_tells_the_worker_heartbeat_and_the_oldest_owed_task(instance):
    client = client_for(instance)
    response = client.get("/healthz")
    body = response.get_json()
    # No worker at all: every web host would say the same, so the load balancer's check
    # stays 200 (a 503 would take every host out at once); monitoring's strict one is 503.
    assert response.status_code == 200 and body["status"] == "degraded"
    assert client.get("/healthz?strict=1").status_code == 503
    assert client.get("/healthz?strict=0").status_code == 200
    assert body["worker"] == {
        "status": "silent",
        "workers": 0,
        "last_heartbeat": None,
        "silent_seconds": None,
        "limit_seconds": 300,
    }
    assert body["tasks"]["status"] == "ok" and body["tasks"]["owed"] == 0

    worker = instance.start_worker()
    try:
        wait_until(lambda: registered_heartbeat(instance) is not None, what="a heartbeat")
        response = client.get("/healthz")
        body = response.get_json()
        assert response.status_code == 200, body
        assert body["status"] == "ok"
        assert client.get("/healthz?strict=1").status_code == 200
        assert body["worker"]["status"] == "ok" and body["worker"]["workers"] == 1
        assert body["worker"]["last_heartbeat"].endswith("Z")
    finally:
        instance.kill_group(worker)

    # The killed worker stays registered with its last heartbeat: once that is older than
    # the limit, it is silent.
    reconfigure(instance, HIROBA_WORKER_SILENCE_SECONDS="1")
    strict = client_for(instance)
    wait_until(lambda: strict.get("/healthz?strict=1").status_code == 503, what="silence")
    response = strict.get("/healthz")
    body = response.get_json()
    assert response.status_code == 200 and body["status"] == "degraded"
    assert body["worker"]["status"] == "silent" and body["worker"]["workers"] == 1
    assert body["worker"]["silent_seconds"] >= 1

    # A task owed for two hours is stale beyond HIROBA_OWED_TASK_SECONDS.
    with transaction(instance.rt.sessions) as db:
        task = add_task(db, "worker.ingest.ingest_post", 1)
        task.created_at = utcnow() - timedelta(hours=2)
    # The first client keeps the 300 s silence limit: its worker is not silent, only the
    # task is stale, and that alone is no host's fault either.
    response = client.get("/healthz")
    body = response.get_json()
    assert body["worker"]["status"] == "ok", body
    assert response.status_code == 200 and body["status"] == "degraded"
    assert client.get("/healthz?strict=1").status_code == 503
    assert body["tasks"]["status"] == "stale" and body["tasks"]["owed"] == 1
    assert body["tasks"]["oldest_age_seconds"] >= 7200


def test_healthz_fails_the_host_only_when_it_cannot_reach_the_database(instance):
    from intake.web import create_app

    def health(rt):  # type: ignore[no-untyped-def]
        client = create_app(instance.settings, runtime=rt).test_client()
        return client.get("/healthz"), client.get("/healthz?strict=1")

    # Redis down: one Redis serves every host, so no host is taken out for it.
    nowhere = Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=1)
    loose, strict = health(replace(instance.rt, redis=nowhere, queue=Queue(connection=nowhere)))
    assert loose.status_code == 200, loose.get_json()
    assert loose.get_json()["redis"] == "unavailable" and loose.get_json()["status"] == "degraded"
    assert loose.get_json()["database"] == "ok"
    assert strict.status_code == 503

    # The database out of this host's reach: it can serve no form, so the check fails.
    unreachable = create_engine(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none")
    try:
        rt = replace(instance.rt, engine=unreachable, sessions=session_factory(unreachable))
        loose, strict = health(rt)
    finally:
        unreachable.dispose()
    assert loose.status_code == 503 and strict.status_code == 503
    assert loose.get_json()["database"] == "unavailable"
    assert loose.get_json()["status"] == "failing"


def test_metrics_for_loopback_and_trusted_networks_only(instance):
    register_and_approve(instance, client_for(instance), 41, "metrics-41")
    client = client_for(instance)
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    body = response.get_data(as_text=True)
    families = {f.name: f for f in text_string_to_metric_families(body)}
    for name in (
        "hiroba_database_up",
        "hiroba_redis_up",
        "hiroba_tasks",
        "hiroba_oldest_owed_task_age_seconds",
        "hiroba_queue_jobs",
        "hiroba_failed_jobs",
        "hiroba_workers",
        "hiroba_incident_open",
        "hiroba_site_revisions_behind",
    ):
        assert name in families, name
    assert families["hiroba_database_up"].samples[0].value == 1
    assert families["hiroba_workers"].samples[0].value == 0
    labels = {k: v for f in families.values() for s in f.samples for k, v in s.labels.items()}
    assert set(labels) <= {"state", "queue", "kind"}
    for value in ("leak-probe-41@example.test", "漏洩検査", "metrics-41", "090-9041"):
        assert value not in body

    outsider = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", environ_base=outsider).status_code == 404
    reconfigure(instance, HIROBA_METRICS_ALLOW="10.0.0.5, 203.0.113.0/24")
    trusted = client_for(instance)
    assert trusted.get("/metrics", environ_base=outsider).status_code == 200
    other = {"REMOTE_ADDR": "198.51.100.7"}
    assert trusted.get("/metrics", environ_base=other).status_code == 404


def test_a_failed_build_is_one_alert_then_one_resolved_mail(alerting, tmp_path):
    instance, sink = alerting
    moderator, group = poster_group(instance)
    approved_event(instance, moderator, group, "警報検査の催し")
    instance.worker_burst()

    broken = tmp_path / "broken-theme"
    shutil.copytree(REPO_ROOT / "theme", broken)
    article = broken / "templates" / "article.html"
    article.write_text(article.read_text(encoding="utf-8") + "\n{% if %}\n", encoding="utf-8")
    instance.env["HIROBA_THEME_DIR"] = str(broken)
    approved_event(instance, moderator, group, "壊れた構築の催し")
    instance.worker_burst()

    result = hiroba_watch(instance)
    assert "発生 build（通知済み）" in result.stdout
    sink.wait_for(1)
    [alert] = alerts(sink, "構築に失敗")
    assert alert["To"] == ALERT_TO and "警報" in alert["Subject"]
    assert "リビジョン" in alert.get_content() and "hiroba.example.jp/app/moderation/status" in (
        alert.get_content()
    )
    mails_after_first = len(sink.messages)
    hiroba_watch(instance)
    hiroba_watch(instance)
    assert len(sink.messages) == mails_after_first  # quiet while it stays open
    assert len(alerts(sink, "構築に失敗")) == 1

    instance.env["HIROBA_THEME_DIR"] = str(REPO_ROOT / "theme")
    approved_event(instance, moderator, group, "直った構築の催し")
    instance.worker_burst()
    assert "解決 build" in hiroba_watch(instance).stdout
    resolved = [m for m in alerts(sink, "構築に失敗") if "解消" in str(m["Subject"])]
    assert len(resolved) == 1 and len(alerts(sink, "構築に失敗")) == 2
    hiroba_watch(instance)
    assert len(alerts(sink, "構築に失敗")) == 2


def test_a_worker_that_stops_heartbeating_is_one_alert(alerting):
    instance, sink = alerting
    worker = instance.start_worker()
    try:
        wait_until(lambda: registered_heartbeat(instance) is not None, what="a heartbeat")
        beat = registered_heartbeat(instance)
        report = watch(instance.rt, now=beat + timedelta(seconds=5))
        assert report.problems[Kind.WORKER] is None
    finally:
        instance.kill_group(worker)  # it stops heartbeating, but stays registered a while
    beat = registered_heartbeat(instance)
    report = watch(instance.rt, now=beat + timedelta(seconds=301))
    assert [i.kind for i in report.opened if i.kind == Kind.WORKER] == [Kind.WORKER]
    sink.wait_for(1)
    [alert] = alerts(sink, "ワーカー")
    assert "301 秒" in alert.get_content() and "上限 300 秒" in alert.get_content()
    for later in (400, 900, 3000):
        watch(instance.rt, now=beat + timedelta(seconds=later))
    assert len(alerts(sink, "ワーカー")) == 1

    fresh = instance.start_worker()
    try:
        wait_until(lambda: registered_heartbeat(instance) > beat, what="a new heartbeat")
        report = watch(instance.rt, now=registered_heartbeat(instance) + timedelta(seconds=5))
    finally:
        instance.kill_group(fresh)
    assert [i.kind for i in report.resolved if i.kind == Kind.WORKER] == [Kind.WORKER]
    assert [str(m["Subject"]) for m in alerts(sink, "ワーカー")][1].startswith(
        "【しんじゅく広場 解消】"
    )


class RefuseResidents(MailSink):
    """Takes the operator's alerts but refuses every resident's address (a broken relay)."""

    async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]  # noqa: N802
        if address.startswith("leak-probe"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_failed_jobs_and_a_broken_audit_chain_alert_once_each(instance):
    sink = RefuseResidents(host="127.0.0.1", port=free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    try:
        reconfigure(
            instance, OPERATOR_TOML, HIROBA_SMTP_HOST=sink.host, HIROBA_SMTP_PORT=str(sink.port)
        )
        client = client_for(instance)
        register_and_approve(instance, client, 42, "jobs-42")
        submit(client, "/app/password/forgot", {"identifier": "jobs-42"})
        instance.rt.queue.enqueue("worker.no_such_module.job", job_id="watch-failing-job")
        instance.worker_burst()  # the approval and reset mails fail until given up
        with instance.rt.sessions() as db:
            assert db.scalars(select(Task.state).where(Task.state == "failed")).all()
        with transaction(instance.rt.sessions) as db:
            entry = audit.record(db, None, "export", "post", 1, count=3, detail="for the ward")
        with transaction(instance.rt.sessions) as db:  # someone edits the audit trail
            db.execute(text("UPDATE audit_log SET count = 1 WHERE seq = :seq"), {"seq": entry.seq})

        report = watch(instance.rt)
        opened = {incident.kind for incident in report.opened}
        assert {Kind.JOBS, Kind.AUDIT} <= opened
        sink.wait_for(len(opened))
        [jobs_alert] = alerts(sink, "失敗したジョブ")
        assert (
            "試行を打ち切ったタスク 2 件、失敗したその他のジョブ 1 件" in jobs_alert.get_content()
        )
        assert len(alerts(sink, "監査ログ")) == 1
        assert f"entry {entry.seq} was edited" in alerts(sink, "監査ログ")[0].get_content()
        for message in sink.messages:  # the alerts name no resident
            assert "leak-probe" not in message.as_string() and "漏洩検査" not in (
                message.get_content()
            )
        before = len(sink.messages)
        watch(instance.rt)
        watch(instance.rt)
        assert len(sink.messages) == before
        assert {i.kind for i in open_incidents(instance.settings, instance.rt.redis)} >= {
            Kind.JOBS,
            Kind.AUDIT,
        }
    finally:
        controller.stop()


def test_the_backup_hook_opens_once_retries_an_unsent_alert_and_resolves(alerting):
    instance, sink = alerting
    down = reconfigure(instance, HIROBA_SMTP_PORT="1").settings  # nothing listens on port 1
    assert report_incident(down, "backup", "scheduled backup failed: disk full") is True
    assert report_incident(down, "backup", "scheduled backup failed again") is False
    [incident] = [i for i in open_incidents(down, instance.rt.redis) if i.kind == Kind.BACKUP]
    assert not incident.mailed and sink.messages == []

    up = reconfigure(instance, HIROBA_SMTP_PORT=str(sink.port))
    report = watch(up.rt)
    assert [i.kind for i in report.still_open if i.kind == Kind.BACKUP] == [Kind.BACKUP]
    sink.wait_for(1)
    [alert] = alerts(sink, "バックアップ")
    assert "disk full" in alert.get_content()
    watch(up.rt)
    assert report_incident(up.settings, "backup", "and again") is False
    assert len(alerts(sink, "バックアップ")) == 1
    assert resolve_incident(up.settings, "backup") is True
    assert resolve_incident(up.settings, "backup") is False
    assert len(alerts(sink, "バックアップ")) == 2 and "解消" in str(
        alerts(sink, "バックアップ")[1]["Subject"]
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"it@example.jp"', ("it@example.jp",)),
        ('["it@example.jp", "ward@city.example"]', ("it@example.jp", "ward@city.example")),
        ('"not an address"', None),
        ('"it@example.jp\\nBcc: x@example.jp"', None),
        ("3", None),
    ],
)
def test_operator_alert_email_is_read_and_checked(tmp_path, value, expected):
    (tmp_path / "hiroba.toml").write_text(f"[operator]\nalert_email = {value}\n", encoding="utf-8")
    if expected is None:
        with pytest.raises(ConfigError, match="operator.alert_email"):
            load_deployment(tmp_path)
    else:
        assert load_deployment(tmp_path).alert_email == expected


def run_hiroba(instance: Instance, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "intake.cli", *argv],
        env=instance.env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO_ROOT,
    )


def test_a_failed_scheduled_backup_is_one_alert_and_the_next_good_one_resolves_it(alerting):
    """The real `hiroba backup --scheduled` records its outcome; `hiroba watch` reads it."""
    instance, sink = alerting
    assert run_hiroba(instance, "backup", "--scheduled").returncode == 0
    hiroba_watch(instance)
    assert alerts(sink, "バックアップ") == []

    key = instance.settings.keys_dir / "backup.key"
    kept = key.read_bytes()
    key.unlink()
    assert run_hiroba(instance, "backup", "--scheduled").returncode != 0
    assert "発生 backup（通知済み）" in hiroba_watch(instance).stdout
    sink.wait_for(1)
    [alert] = alerts(sink, "バックアップ")
    assert "が失敗しました（ConfigError）" in alert.get_content()
    hiroba_watch(instance)
    assert len(alerts(sink, "バックアップ")) == 1

    key.write_bytes(kept)
    key.chmod(0o600)
    assert run_hiroba(instance, "backup", "--scheduled").returncode == 0
    assert "解決 backup" in hiroba_watch(instance).stdout
    assert [("解消" in str(m["Subject"])) for m in alerts(sink, "バックアップ")] == [False, True]
