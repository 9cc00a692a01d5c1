"""Languages done properly (issue 17): what a page or link says is the language.

Every English page of a demo build (and its English feeds and calendars) and every GET
page of the intake opened with ``?lang=en`` by every role hold Japanese only inside
people's text marked ``lang="ja"`` (language_scan.py). ``?lang=`` chooses the language of
one response and never sets the cookie; only the language switch does, so a reader of an
English event page (whose availability line asks ``?lang=en``) still gets the Japanese
form from a Japanese page's 申し込む.
"""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET

import pytest
from accounts_support import client_for, reconfigure
from actors import open_group, sign_in
from conftest import Instance, submit
from icalendar import Calendar
from language_scan import JAPANESE, japanese_outside_user_text
from language_support import said
from mailsink import MailSink, mailsink  # noqa: F401 - the fixture
from site_support import demo_fixture, event_pages
from test_applying import form, live_event
from test_user_text_escaping import ROLES, _urls, world  # noqa: F401 - a fixture

from intake.config import Settings
from intake.deployment import load_deployment
from intake.errors import ConfigError
from intake.installation.checkup import check_configuration
from intake.models import Account
from intake.moderation import decisions as post_decisions
from intake.posts.services import PostData, submit_post
from intake.runtime import Runtime
from intake.store import transaction
from intake.web import create_app

demo = demo_fixture()
ATOM = "{http://www.w3.org/2005/Atom}"


def test_no_english_page_of_the_site_has_japanese_of_its_own(demo) -> None:  # type: ignore[no-untyped-def]
    site = demo.settings.live_dir.resolve()
    pages = sorted((site / "en").rglob("*.html"))
    assert len(pages) > 40
    leaks = {}
    for page in pages:
        found = japanese_outside_user_text(page.read_text("utf-8"), (demo.settings.site_name,))
        if found:
            leaks[str(page.relative_to(site))] = found[:5]
    assert leaks == {}


def test_english_event_pages_say_the_kind_and_the_rule_in_english(demo) -> None:  # type: ignore[no-untyped-def]
    site = demo.settings.live_dir.resolve()
    english = [(site / "en" / p.relative_to(site)).read_text("utf-8") for p in event_pages(site)]
    assert any(
        '<dd data-pagefind-filter="種類" data-pagefind-meta="kind">Event</dd>' in page
        for page in english
    )
    assert not any(">Events</dd>" in page for page in english)
    rules = re.compile(r"(Every (other )?|The (last|\d+(st|nd|rd|th)) )\w+")
    assert any(rules.search(page) and "毎週" not in page for page in english)
    for page in english:  # links into the intake ask for English; the .ics is the English one
        for href in re.findall(r'href="(/app/[^"]+)"', page):
            assert href.endswith("?lang=en"), href
        for href in re.findall(r'href="([^"]+\.ics)"', page):
            assert href.startswith("/en/"), href
    japanese = event_pages(site)[0].read_text("utf-8")
    for href in re.findall(r'href="(/app/[^"]+)"', japanese):
        assert href.endswith("?lang=ja"), href  # the page says Japanese, whatever the cookie


def test_english_feeds_and_calendars(demo) -> None:  # type: ignore[no-untyped-def]
    site = demo.settings.live_dir.resolve()
    japanese_feeds = sorted((site / "feeds").rglob("*.atom.xml"))
    assert japanese_feeds
    for feed in japanese_feeds:
        twin = site / "en" / feed.relative_to(site)
        root = ET.fromstring(twin.read_bytes())  # noqa: S314 - our own build output
        assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en", twin
        title = root.findtext(f"{ATOM}title") or ""
        own = title.removeprefix(demo.settings.site_name)  # the deployment's name
        if "/groups/" not in str(feed):  # a group feed is titled with the group's name
            assert not JAPANESE.search(own), (twin, title)
        for entry in root.iter(f"{ATOM}entry"):
            link = entry.find(f"{ATOM}link")
            assert link is not None and "/en/" in (link.get("href") or ""), twin
            for category in entry.iter(f"{ATOM}category"):
                assert not JAPANESE.search(category.get("term") or ""), twin
    ics = sorted(site.glob("events/*/event.ics"))
    assert ics
    for path in [*ics, site / "calendar" / "all.ics"]:
        twin = Calendar.from_ical((site / "en" / path.relative_to(site)).read_bytes())
        for event in twin.walk("VEVENT"):
            assert "/en/" in str(event.get("URL", "/en/"))
            contact = str(event.get("CONTACT", ""))
            assert not contact or contact.startswith("Organizer: "), contact
    whole = Calendar.from_ical((site / "en" / "calendar" / "all.ics").read_bytes())
    assert not JAPANESE.search(str(whole.get("X-WR-CALNAME")).removeprefix(demo.settings.site_name))


def test_availability_asked_in_english_sets_no_cookie_and_the_japanese_form_stays(
    instance: Instance, client
) -> None:  # type: ignore[no-untyped-def]
    post_id = live_event(instance, capacity=20)
    english = client.get(f"/app/events/{post_id}/availability?lang=en")
    assert english.get_json()["text"] == "Availability: Places available (20 places left)"
    assert "Set-Cookie" not in english.headers
    assert client.get_cookie("lang") is None
    form = client.get(f"/app/events/{post_id}/apply?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in form  # the English page's link opens English ...
    assert client.get_cookie("lang") is None  # ... and remembers nothing
    # The Japanese page's 申し込む (?lang=ja) and a plain link both open Japanese.
    for url in (f"/app/events/{post_id}/apply?lang=ja", f"/app/events/{post_id}/apply"):
        page = client.get(url).get_data(as_text=True)
        assert '<html lang="ja">' in page and "申し込む" in page, url
    # Even with an old English cookie, a Japanese page's link says Japanese.
    client.set_cookie("lang", "en")
    page = client.get(f"/app/events/{post_id}/apply?lang=ja").get_data(as_text=True)
    assert '<html lang="ja">' in page


def test_only_the_switch_sets_the_cookie(instance: Instance, client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/app/register?lang=en").get_data(as_text=True)
    switch = re.search(r'href="([^"]+)" lang="ja" hreflang="ja">日本語</a>', page)
    assert switch and switch.group(1) == "/app/register?set_lang=ja"
    response = client.get("/app/register?x=1&lang=ja")
    to_english = re.search(
        r'href="([^"]+)" lang="en" hreflang="en">English</a>', response.get_data(as_text=True)
    )
    assert to_english and to_english.group(1) == "/app/register?x=1&amp;set_lang=en"
    assert "Set-Cookie" not in response.headers
    switched = client.get("/app/register?x=1&set_lang=en")
    assert "lang=en" in switched.headers["Set-Cookie"]
    assert '<html lang="en">' in switched.get_data(as_text=True)
    assert '<html lang="en">' in client.get("/app/login").get_data(as_text=True)  # remembered
    assert '<html lang="ja">' in client.get("/app/login?lang=ja").get_data(as_text=True)
    assert '<html lang="en">' in client.get("/app/login").get_data(as_text=True)  # still
    client.get("/app/login?set_lang=ja")
    assert '<html lang="ja">' in client.get("/app/login").get_data(as_text=True)


def test_a_page_asked_in_english_keeps_english_on_its_links_and_redirects(
    instance: Instance, client
) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/app/register?lang=en").get_data(as_text=True)
    assert 'href="/app/register/individual?lang=en"' in page or "?lang=en" in page
    assert 'href="/static/' not in page or "/static/intake.css?lang" not in page


def test_no_intake_page_asked_in_english_has_japanese_of_its_own(
    app,
    world,  # noqa: F811
) -> None:  # type: ignore[no-untyped-def]
    me, _seeds = world
    names = (app.config["HIROBA"].site_name, *PEOPLE)
    leaks: dict[str, list[str]] = {}
    pages = 0
    for role, url in itertools.product(ROLES, _urls(app, me.arguments)):
        response = me.clients[role].get(url + ("&" if "?" in url else "?") + "lang=en")
        if response.mimetype != "text/html":
            continue
        pages += 1
        for text in japanese_outside_user_text(response.get_data(as_text=True), names):
            leaks.setdefault(text, []).append(f"{role} {url}")
    assert pages > 100
    assert not leaks, "\n".join(f"{text!r} on {where[:3]}" for text, where in leaks.items())


# People's Japanese in the world fixture (test_user_text_escaping.world): the names of the
# staff it enrols; everything else people typed there is a marked ASCII payload.
PEOPLE = ("エスケープ運営", "エスケープ区職員")


def test_an_application_in_english_is_mailed_in_english(instance: Instance, mailsink: MailSink):  # noqa: F811
    reconfigure(instance, HIROBA_SMTP_HOST=mailsink.host, HIROBA_SMTP_PORT=str(mailsink.port))
    post_id = live_event(instance, capacity=1, waitlist=True)
    english, japanese = client_for(instance), client_for(instance)
    sent = submit(english, f"/app/events/{post_id}/apply?lang=en", form(1))
    assert sent.status_code == 302 and sent.headers["Location"].endswith("?lang=en")
    assert '<html lang="en">' in english.get(sent.headers["Location"]).get_data(as_text=True)
    assert english.get_cookie("lang") is None
    assert submit(japanese, f"/app/events/{post_id}/apply?lang=ja", form(2)).status_code == 302
    instance.worker_burst()
    mails = {m["To"]: m for m in mailsink.wait_for(2) if m["To"].startswith("applicant-")}
    first, second = mails["applicant-1@example.test"], mails["applicant-2@example.test"]
    assert first["Subject"].endswith("Application received (Confirmed)")
    body = first.get_content()
    assert "Your place at" in body and "Status: Confirmed" in body
    for own_words in (instance.settings.site_name, "申込検査の行事", "検査会場"):
        body = body.replace(own_words, "")  # the deployment's name, the organizer's title, place
    assert not JAPANESE.search(body), body
    assert re.search(r"/app/applications/\S+\?lang=en", body)
    assert "キャンセル待ち（1番目）" in second.get_content()  # the Japanese form: Japanese


def test_audiences_take_an_english_label_and_old_configs_still_load(
    instance: Instance, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "hiroba.toml").write_text(
        '[audiences]\nkids = { ja = "小学生", en = "Primary school children" }\n'
        'silver = "シニア"\nseniors = "高齢の方"\n',
        encoding="utf-8",
    )
    deployment = load_deployment(tmp_path)
    assert deployment.audiences == {"kids": "小学生", "silver": "シニア", "seniors": "高齢の方"}
    # an old plain label keeps working; a key of the default list keeps its English
    assert deployment.audiences_en == {"kids": "Primary school children", "seniors": "Older people"}
    (tmp_path / "hiroba.toml").write_text('[audiences]\nkids = { en = "Kids" }\n', "utf-8")
    with pytest.raises(ConfigError, match="audiences.kids.ja は 1 から 40 文字") as caught:
        load_deployment(tmp_path)
    assert "audiences.kids.ja must be a label" in said(caught.value, "en")
    (tmp_path / "hiroba.toml").write_text('[audiences]\nkids = { ja = "子", fr = "x" }\n', "utf-8")
    with pytest.raises(ConfigError, match="audiences.kids の 'fr' は使えません") as caught:
        load_deployment(tmp_path)
    assert "audiences.kids has 'fr'; use ja and en." in said(caught.value, "en")
    # `hiroba check` notes the label missing, and is still fine with it
    (instance.settings.home / "hiroba.toml").write_text(
        '[audiences]\nkids = { ja = "小学生", en = "Children" }\nsilver = "シニア"\n', "utf-8"
    )
    findings = list(check_configuration(Settings.from_env(instance.env)))
    assert all(f.ok for f in findings)
    notes = [f.line() for f in findings if "英語の名前がありません" in f.text]
    assert len(notes) == 1 and "silver" in notes[0] and "kids" not in notes[0]


def test_english_pages_show_the_deployments_english_audience(instance: Instance, client) -> None:  # type: ignore[no-untyped-def]
    (instance.settings.home / "hiroba.toml").write_text(
        '[audiences]\nkids = { ja = "小学生", en = "Primary school children" }\n'
        'silver = "シニア"\n',
        "utf-8",
    )
    settings = Settings.from_env(instance.env)
    rt = Runtime.from_settings(settings)
    try:
        visitor = create_app(settings, runtime=rt).test_client()
        open_group(instance)
        sign_in(visitor, "durable-group", "durable-password-1")
        page = visitor.get("/app/posts/new?lang=en").get_data(as_text=True)
        assert "Primary school children" in page and "シニア" in page  # no English: as written
        assert "小学生" not in page
        assert "小学生" in visitor.get("/app/posts/new").get_data(as_text=True)
    finally:
        rt.close()


def test_a_poster_who_registered_in_english_is_mailed_in_english(
    instance: Instance,
    mailsink: MailSink,  # noqa: F811
) -> None:
    reconfigure(instance, HIROBA_SMTP_HOST=mailsink.host, HIROBA_SMTP_PORT=str(mailsink.port))
    moderator, group = open_group(instance)
    with transaction(instance.rt.sessions) as db:
        account = db.get(Account, group)
        assert account is not None
        account.language = "en"  # as the English registration form stores it
    rt = instance.rt
    sent_back = submit_post(
        rt, group, PostData(kind="notice", title="英語話者の投稿", summary="要約")
    )
    approved = submit_post(rt, group, PostData(kind="notice", title="二つ目の投稿", summary="b"))
    post_decisions.reject(rt, moderator, post_decisions.Subject("post", sent_back), "No date.")
    post_decisions.approve(rt, moderator, post_decisions.Subject("post", approved))
    instance.worker_burst()
    mails = [
        m
        for m in mailsink.wait_for(3)
        if m["To"] == "d2@example.test" and "post" in str(m["Subject"])  # not the registration's
    ]
    subjects = sorted(str(m["Subject"]) for m in mails)
    site = instance.settings.site_name
    assert f"[{site}] Your post was approved" in subjects
    assert f"[{site}] Your post was sent back" in subjects
    for mail in mails:
        body = mail.get_content()
        assert "/app/my?lang=en" in body
        for own_words in (site, "英語話者の投稿", "二つ目の投稿"):
            body = body.replace(own_words, "")
        assert not JAPANESE.search(body), body


def test_the_english_search_page_asks_the_english_index_in_english(demo) -> None:  # type: ignore[no-untyped-def]
    """/en/search/ searches Pagefind's English index: its filter values are the English
    pages' own (no Japanese value the English index would not hold), and its pages are
    indexed with English meta; group pages say "Group"."""
    site = demo.settings.live_dir.resolve()
    english = (site / "en" / "search" / "index.html").read_text("utf-8")
    assert '<html lang="en">' in english and 'data-lang="en"' in english
    values = re.findall(r'<option value="([^"]*)"', english)
    assert "Event" in values and "Group" in values
    assert not [value for value in values if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", value)]
    japanese = (site / "search" / "index.html").read_text("utf-8")
    assert "イベント" in re.findall(r'<option value="([^"]*)"', japanese)
    group = next((site / "en" / "groups").glob("*/index.html")).read_text("utf-8")
    assert 'data-pagefind-filter="種類:Group" data-pagefind-meta="kind:Group"' in group
