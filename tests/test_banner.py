"""The site-wide banner (maintenance, outage, emergency) through HTTP and a real worker.

A moderator sets it at /app/moderation/banner: the intake's pages show it on the next
request, in Japanese and in English; the worker writes /banner.css, which every page of
the static site links to (no JavaScript), and which the intake's live-site view and a
bucket serve with a short Cache-Control; once the end time passes, the reconciler's
periodic pass takes it off; clearing it takes it off at once. Its text stays text.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from accounts_support import client_for
from actors import MODERATOR, make_moderator, sign_in
from conftest import Instance, csrf_token, submit
from s3_support import S3Server
from sqlalchemy import select, update
from test_publish_s3 import bucketed  # noqa: F401 - the fixture: an instance publishing to a bucket

from intake.models import AuditEntry
from intake.notices import banner as banners
from intake.notices import services as notices
from intake.notices.models import BannerLevel
from intake.office.records import Banner
from worker.reconcile import reconcile

TEXT_JA = '大雨のため本日の催しはすべて中止です。<script>alert(1)</script>"}body{display:none}'
TEXT_EN = "All events today are cancelled because of heavy rain."
JST = timedelta(hours=9)


def _in_hours(hours: int) -> str:
    moment = datetime.now(UTC).replace(tzinfo=None) + JST + timedelta(hours=hours)
    return moment.strftime("%Y-%m-%dT%H:%M")


def _css(instance: Instance) -> str:
    return (instance.settings.site_dir / "banner" / "banner.css").read_text(encoding="utf-8")


def _expire(instance: Instance) -> None:
    """Let the end time pass (the clock is the database's: move the end into the past)."""
    past = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=1)
    with instance.rt.sessions() as db, db.begin():
        db.execute(update(Banner).values(ends_at=past))


def test_a_banner_shows_at_once_on_the_intake_and_on_the_site_until_it_ends(instance):  # type: ignore[no-untyped-def]
    make_moderator(instance)
    moderator = client_for(instance)
    sign_in(moderator, *MODERATOR)
    reader = client_for(instance)

    # A page of the static site to show it on (any publication makes the first build).
    with instance.rt.sessions() as db:
        me = db.scalar(select(AuditEntry.actor_id).where(AuditEntry.actor_id.is_not(None)))
    notices.write(instance.rt, me or 1, notices.NoticeText("バナー検査のお知らせ", "検査です。"))
    instance.worker_burst()
    site = instance.settings.live_dir.resolve()
    for page in ("index.html", "en/index.html", "notices/index.html"):
        html = (site / page).read_text(encoding="utf-8")
        assert '<link rel="stylesheet" href="/banner.css">' in html, page
        assert 'class="site-banner"' in html and "<script src" not in html.split("</head>")[0]

    # Bad input: the messages, tied to their fields, and what was typed kept.
    refused = submit(
        moderator, "/app/moderation/banner", {"text_ja": "途中まで", "ends_at": _in_hours(-1)}
    )
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "バナーの種類を選んでください" in page and "これから先の日時" in page
    assert "途中まで" in page and "banner-ends-error" in page

    response = submit(
        moderator,
        "/app/moderation/banner",
        {"level": "emergency", "text_ja": TEXT_JA, "text_en": TEXT_EN, "ends_at": _in_hours(2)},
    )
    assert response.status_code == 302
    # The intake shows it on the very next request, escaped, in both languages.
    japanese = reader.get("/app/contact?lang=ja").get_data(as_text=True)
    assert "緊急" in japanese and "大雨のため本日の催しはすべて中止です。" in japanese
    assert "&lt;script&gt;" in japanese and "<script>alert(1)" not in japanese
    english = reader.get("/app/contact?lang=en").get_data(as_text=True)
    assert "Emergency" in english and TEXT_EN in english and "(JST)" in english

    instance.worker_burst()
    css = _css(instance)
    assert "大雨のため本日の催しはすべて中止です" in css and TEXT_EN in css
    assert "緊急" in css and "Emergency" in css and "display:block" in css
    # Nothing the moderator typed can end the string or the rule.
    assert "<script>" not in css and "body{display:none}" not in css
    assert css.count("{") == css.count("}") == 4
    served = reader.get("/banner.css")
    assert served.status_code == 200 and served.mimetype == "text/css"
    assert served.get_data(as_text=True) == css
    assert served.headers["Cache-Control"] == "public, max-age=20"
    served.close()

    # The end time passes: the worker's periodic pass (the reconciler) takes it off.
    _expire(instance)
    assert "大雨" not in reader.get("/app/contact?lang=ja").get_data(as_text=True)
    assert TEXT_EN not in reader.get("/app/contact?lang=en").get_data(as_text=True)
    reconcile(instance.rt)
    assert "大雨" not in _css(instance) and "display:block" not in _css(instance)

    # Set again, then cleared by hand: off the intake at once, off the site after the job.
    submit(
        moderator,
        "/app/moderation/banner",
        {"level": "maintenance", "text_ja": "夜間メンテナンス中です。", "ends_at": _in_hours(1)},
    )
    assert "メンテナンス：夜間" in reader.get("/app/contact?lang=ja").get_data(as_text=True)
    instance.worker_burst()
    assert "夜間メンテナンス中です。" in _css(instance)
    english_css = _css(instance).split("html[lang=en]")[1]
    assert "夜間メンテナンス中です。" in english_css  # no English text: the Japanese one
    page = moderator.get("/app/moderation/banner")
    assert "夜間メンテナンス中です。" in page.get_data(as_text=True)
    cleared = moderator.post(
        "/app/moderation/banner/clear",
        data={"csrf_token": csrf_token(page.get_data(as_text=True))},
    )
    assert cleared.status_code == 302
    assert "夜間メンテナンス" not in reader.get("/app/contact?lang=ja").get_data(as_text=True)
    instance.worker_burst()
    assert "夜間メンテナンス" not in _css(instance)
    with instance.rt.sessions() as db:
        actions = list(
            db.scalars(select(AuditEntry.action).where(AuditEntry.target_kind == "banner"))
        )
    assert actions.count("set_banner") == 2 and actions.count("clear_banner") == 1


def test_a_bucket_gets_the_banner_and_loses_it_when_it_ends(
    bucketed: tuple[Instance, str],  # noqa: F811 - the fixture imported above
    s3_server: S3Server,
) -> None:
    instance, bucket = bucketed
    moderator = make_moderator(instance)
    with instance.rt.sessions() as db:
        moderator_id = db.scalar(
            select(AuditEntry.actor_id).where(AuditEntry.actor_id.is_not(None))
        )
    del moderator
    ends = datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=3)
    banners.set_banner(
        instance.rt,
        moderator_id or 1,
        BannerLevel.OUTAGE,
        "申込フォームに障害が起きています。",
        "",
        ends,
    )
    instance.worker_burst()
    s3 = s3_server.client()
    answer = s3.get_object(Bucket=bucket, Key="site/banner.css")
    assert answer["CacheControl"] == "public, max-age=20"
    assert answer["ContentType"].startswith("text/css")
    assert "申込フォームに障害が起きています。" in answer["Body"].read().decode()
    _expire(instance)
    reconcile(instance.rt)
    body = s3.get_object(Bucket=bucket, Key="site/banner.css")["Body"].read().decode()
    assert "障害" not in body and "display:block" not in body
