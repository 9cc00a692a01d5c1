"""The publish boundary: hostile input is inert on the public site; personal data never leaves
(HTTP, a real rq worker and real Pelican builds; then every byte written is read back)."""

from __future__ import annotations

import contextlib
import html as htmllib
import json
import re
import subprocess
import sys
import zlib
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import icalendar
from actors import (
    applicant,
    decide,
    group_form,
    make_moderator,
    person,
    post_event,
    register_group,
    sign_in,
    sign_out,
)
from conftest import submit
from redis import Redis
from site_support import OWN_FORM, OWN_FORM_EN, OWN_SCRIPTS, json_ld_problems
from sqlalchemy import select

from intake.config import REPO_ROOT
from intake.models import Account, Post

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
SVG = "<svg onload=alert(1)>"
IFRAME = '<iframe src="https://evil.example/frame"></iframe>'
A_JS = '<a href="javascript:alert(1)">a</a>'
MD_JS = "[x](javascript:alert(1))"
JINJA = "J7{{ 7*7 }}{% raw %}R{% endraw %}"  # rendered as a template it would read "J749R"
EVENT_TITLE = f"{SCRIPT}J7{{{{ 7*7 }}}}\nStatus: draft\nSave_as: ../../evil.html"
BODY = "\n\n".join(
    [
        "## 見出し",
        SCRIPT,
        IMG,
        SVG,
        IFRAME,
        A_JS,
        MD_JS,
        "[y](JaVaScRiPt:alert(1))",
        "![i](javascript:alert(1))",
        '<a href="jav&#x09;ascript:alert(1)">tab</a>',
        '<object data="javascript:alert(1)"></object>',
        '<p onclick="alert(1)">p</p>',
        '<form action="javascript:alert(1)"><button>b</button></form>',
        JINJA,
        "Status: draft",
        "<style>body{display:none}</style>",
    ]
)
EVENT_XSS = {
    "title": EVENT_TITLE,
    "summary": f"{SCRIPT}{IMG}{SVG}{A_JS}{IFRAME}{MD_JS}{JINJA}\nStatus: draft",
    "body": BODY,
    "place_name": f"{IMG}{SVG}\nSave_as: ../../evil-place.html",
    "place_address": f"{A_JS}{IFRAME}\nTemplate: ../../../evil",
    "fee": f"{SCRIPT}{JINJA}",
    "contact_public": f"{MD_JS}{A_JS}javascript:alert(1){SVG}\nApply_url: javascript:alert(1)",
    "attendance": "hybrid",
    "online_details": f"{SCRIPT}{A_JS}{JINJA}\nOccurrences: 2000-01-01T00:00",
}
NOTICE_XSS = {
    "kind": "notice",
    "title": f"{IMG}{SVG}\nSlug: ../../evil-notice",
    "starts_at": "",
    "ends_at": "",
    "capacity": "",
    "accepts_applications": "",
    "summary": f"{IFRAME}{JINJA}",
    "body": BODY,
    "place_name": SVG,
    "place_address": IMG,
    "fee": A_JS,
    "contact_public": MD_JS,
}
GROUP_NAME = f"{SCRIPT}{IMG}J7{{{{ 7*7 }}}}\nSave_as: ../../evil-org.html"
PROFILE_XSS = {
    "publish": "y",
    "profile": "\n\n".join([SCRIPT, IMG, SVG, IFRAME, A_JS, MD_JS, JINJA, "<b>太字</b>"]),
    "website": 'https://evil.example/"><script>alert(1)</script>',
    "public_contact": f"{SCRIPT}{IMG}{A_JS}{JINJA}javascript:alert(1)",
    "topics": ["welfare"],
    "areas": ["yotsuya"],
}
PROFILE_KEYS = {"name", "text", "website", "contact", "topics", "areas"}  # docs/content-format.md
PUBLIC_KEYS = {
    "Title",
    "Date",
    "Slug",
    "Category",
    "Kind",
    "Topic",
    "Area",
    "Starts",
    "Ends",
    "Place",
    "Place_address",
    "Fee",
    "Capacity",
    "Organizer",
    "Organizer_id",
    "Operator",
    "Contact",
    "Apply_url",
    "Recurrence",
    "Occurrences",
    "Attendance",
    "Online",
    "Audience",
    "Media",
    "Summary",
}  # docs/content-format.md
BAD_TAGS = {
    "script",
    "iframe",
    "svg",
    "object",
    "embed",
    "frame",
    "frameset",
    "applet",
    "math",
    "base",
    "form",
    "style",
}
URL_ATTRS = {
    "href",
    "src",
    "action",
    "formaction",
    "data",
    "xlink:href",
    "poster",
    "background",
    "srcdoc",
}


def collapse(value: str) -> str:
    return " ".join(value.split())


class Inspector(HTMLParser):
    """Collects every executable form in a document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BAD_TAGS:
            self.problems.append(f"<{tag}> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{name}= on <{tag}>")
            text = re.sub(r"[\x00-\x20]", "", value or "").lower()
            if name in URL_ATTRS and re.match(r"(javascript|vbscript|data):", text):
                self.problems.append(f"{name}={value!r} on <{tag}>")
            if tag == "meta" and name == "http-equiv":
                self.problems.append(f"<meta http-equiv={value!r}>")  # refresh to a script URL


def inspect_html(text: str) -> list[str]:
    parser = Inspector()  # <x/> reaches handle_starttag through HTMLParser's default
    parser.feed(text)
    parser.close()
    return parser.problems


def executable_forms(path: Path) -> list[str]:
    """Return what in this built file could run script in a reader's browser or feed reader."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return []  # binary asset (none expected); nothing a browser would parse as markup
    for own in (*OWN_SCRIPTS, OWN_FORM, OWN_FORM_EN):
        text = text.replace(own, "")
    text, problems = json_ld_problems(text)
    lowered = text.lower()
    problems += [
        f"raw {needle!r}"
        for needle in ("<script", "<iframe", "<svg", "<object", "<embed")
        if needle in lowered
    ]
    if path.suffix in (".html", ".htm"):
        problems += inspect_html(text)
    elif path.suffix == ".xml":
        root = ElementTree.fromstring(raw)  # noqa: S314 - our own build output
        for element in root.iter():
            for name, value in element.attrib.items():
                if re.sub(r"[\x00-\x20]", "", value).lower().startswith("javascript:"):
                    problems.append(f"feed attribute {name}={value!r}")
            if element.get("type") in ("html", "xhtml") and element.text:
                # A feed reader renders this text as HTML: inspect it as such.
                found = inspect_html(element.text)
                problems += [f"feed {element.tag}: {p}" for p in found]
    elif path.suffix == ".ics":  # text values: nothing markup-like; URLs are http(s)
        calendar = icalendar.Calendar.from_ical(raw)
        for component in calendar.walk():
            for name, value in component.property_items(recursive=False):
                if name == "URL" and not str(value).startswith(("http://", "https://")):
                    problems.append(f"iCalendar URL {value!r}")
                elif "<" in str(value) or ">" in str(value):
                    problems.append(f"iCalendar {name} with markup")
    else:  # CSS and anything else: nothing markup-like, no script URLs
        problems += [
            f"raw {n!r}"
            for n in ("javascript:", "onerror=", "onload=", "expression(")
            if n in lowered
        ]
    return problems


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def approve_accounts(instance, client) -> None:  # type: ignore[no-untyped-def]
    """Sign in as the moderator and approve every waiting individual and group."""
    with instance.rt.sessions() as db:
        ids = db.scalars(
            select(Account.id).where(
                Account.kind.in_(("group", "individual")), Account.status != "active"
            )
        ).all()
    sign_in(client, "mod-tester", "moderator-password-1")
    for account_id in ids:
        decide(client, f"/app/moderation/accounts/{account_id}")
    sign_out(client)


def approve_posts(instance, client) -> list[int]:  # type: ignore[no-untyped-def]
    instance.worker_burst()
    with instance.rt.sessions() as db:
        ids = db.scalars(select(Post.id).where(Post.status == "pending").order_by(Post.id)).all()
    assert ids
    sign_in(client, "mod-tester", "moderator-password-1")
    for post_id in ids:
        decide(client, f"/app/moderation/posts/{post_id}")
    sign_out(client)
    instance.worker_burst()
    return list(ids)


def full_build(instance) -> None:  # type: ignore[no-untyped-def]
    result = subprocess.run(
        [sys.executable, "-m", "worker", "build"],
        env=instance.env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO_ROOT,
    )
    assert result.returncode == 0, result.stderr[-4000:]


def test_hostile_markup_is_inert_everywhere_on_the_public_site(instance, client, tmp_path):
    make_moderator(instance)
    form = {
        **group_form(1, "xss-group-1"),
        "group_name": GROUP_NAME,
        "profile": "\n".join([SCRIPT, IMG, SVG, IFRAME, A_JS, MD_JS, JINJA]),
    }
    assert submit(client, "/app/register/group", form).status_code == 302
    approve_accounts(instance, client)
    sign_in(client, "xss-group-1", "group-password-123")
    # The public profile: every free-text field hostile, published once a moderator approves.
    saved = submit(client, "/app/account/profile", PROFILE_XSS)
    assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
    post_event(client, **EVENT_XSS)
    post_event(client, **NOTICE_XSS)
    sign_out(client)
    with instance.rt.sessions() as db:
        group_id = db.scalars(select(Account.id).where(Account.kind == "group")).one()
    sign_in(client, "mod-tester", "moderator-password-1")
    decide(client, f"/app/moderation/profiles/{group_id}")
    sign_out(client)
    event_id, notice_id = approve_posts(instance, client)
    full_build(instance)
    profiles = json.loads((instance.settings.content_dir / "groups.json").read_text("utf-8"))
    assert [set(p) for p in profiles["groups"].values()] == [PROFILE_KEYS]

    # The worker collapsed every single-line field: no injected metadata key exists.
    for post_id in (event_id, notice_id):
        head = (
            (instance.settings.content_dir / "posts" / f"{post_id}.md")
            .read_text(encoding="utf-8")
            .split("\n\n", 1)[0]
            .splitlines()
        )
        keys = [line.split(":", 1)[0] for line in head]
        assert set(keys) <= PUBLIC_KEYS and len(keys) == len(set(keys)), keys
        assert f"Slug: {post_id}" in head
    event_md = (instance.settings.content_dir / "posts" / f"{event_id}.md").read_text("utf-8")
    assert f"Title: {collapse(EVENT_TITLE)}\n" in event_md
    assert f"Organizer: {collapse(GROUP_NAME)}\n" in event_md

    live = instance.settings.live_dir
    built = files_under(live)
    assert any(p.suffix == ".xml" for p in built), "no feed was built"
    problems = {str(p.relative_to(live)): found for p in built if (found := executable_forms(p))}
    assert problems == {}
    for path in built:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert "J749" not in text, f"{path} evaluated injected template text"

    # The posts are published where their ids say, with the hostile text shown as text.
    event_page = live / "events" / str(event_id) / "index.html"
    assert (live / "notices" / str(notice_id) / "index.html").is_file()
    html = event_page.read_text(encoding="utf-8")
    h1 = re.search(r"<h1>(.*?)</h1>", html)
    assert h1 and htmllib.unescape(h1.group(1)) == collapse(EVENT_TITLE)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;J7{{ 7*7 }} Status: draft" in html
    assert "&lt;svg onload=alert(1)&gt;" in html  # the place name, escaped
    assert "{% raw %}R{% endraw %}" in html  # Jinja-looking text kept as text
    assert "J7{{ 7*7 }}" in html
    group_page = (live / "groups" / str(group_id) / "index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in group_page  # 活動内容 and contact, as text
    assert 'href="https://evil.example/&#34;&gt;&lt;script&gt;' in group_page  # website, escaped
    assert f'href="/app/events/{event_id}/apply?lang=ja"' in html  # Contact could not set it
    # The same page through the app's origin, and the intake's own apply form.
    with client.get(f"/events/{event_id}/") as served:
        assert served.status_code == 200 and "&lt;script&gt;" in served.get_data(as_text=True)
    apply_page = client.get(f"/app/events/{event_id}/apply").get_data(as_text=True)
    assert [p for p in inspect_html(apply_page) if p != "<form> element"] == []
    assert "&lt;script&gt;" in apply_page

    # Save_as / Slug / Template injections wrote nothing anywhere.
    site_dir = instance.settings.site_dir
    # (cache/ holds the incremental publisher's compiled templates and catalog; nginx
    # serves current/ and, from banner/, the site-wide banner's one stylesheet.)
    assert {p.name for p in site_dir.iterdir()} <= {"builds", "current", "cache", "banner"}
    if (site_dir / "banner").exists():
        assert {p.name for p in (site_dir / "banner").iterdir()} <= {"banner.css", ".uploaded"}
    assert [*tmp_path.rglob("*evil*"), *REPO_ROOT.glob("*evil*")] == []


GROUP_LOGINS = ("leakprobe-login-grp1", "leakprobe-login-grp2")
INDIVIDUAL_LOGIN = "leakprobe-login-ind3"
APPLICANTS = range(1, 6)


def seeded_values() -> set[str]:
    """Every distinctive personal value the test types in, with its normalised forms."""
    people = [person("representative", n) for n in (1, 2)]
    people += [person("contact", n + 500) for n in (1, 2)]
    people.append(person("person", 3, title=False))
    values: set[str] = {
        *GROUP_LOGINS,
        INDIVIDUAL_LOGIN,
        "漏洩検査",
        "申込検査",
        "検査町",
        "申込町",
        "leak-probe",
        "apply-probe",
        "ろうえいけんさ",
    }
    for data in people:
        for key, value in data.items():
            field = key.split("-", 1)[1]
            if field in ("postal_code", "fax", "title"):
                continue  # 160-0022 and 代表理事 are not distinctive
            values.add(value)
    for n in APPLICANTS:
        values.update(v for k, v in applicant(n).items() if k not in ("party_size", "consent"))
    for value in list(values):
        values.add(value.replace(" ", ""))
        if re.fullmatch(r"[\d-]+", value):
            values.add(value.replace("-", ""))  # 09090017531: the stored form
    return values


def leaks(chunks: Iterator[tuple[str, bytes]], values: set[str]) -> list[str]:
    """Where each value occurs, as UTF-8 or as the \\uXXXX escapes a JSON encoder writes."""
    patterns = {
        **{v.encode(): v for v in values},
        **{json.dumps(v)[1:-1].encode(): v for v in values},
    }
    return sorted(
        {
            f"{where}: {value}"
            for where, chunk in chunks
            for pattern, value in patterns.items()
            if pattern in chunk
        }
    )


def file_chunks(*folders: Path) -> Iterator[tuple[str, bytes]]:
    for folder in folders:
        for path in files_under(folder):
            data = path.read_bytes()
            if path.suffix.startswith(".pf_"):  # Pagefind's index files are gzip-compressed
                data = zlib.decompress(data, 16 + zlib.MAX_WBITS)
            yield str(path), data


READERS = {
    b"string": lambda r, k: [r.get(k) or b""],
    b"hash": lambda r, k: [b for pair in r.hgetall(k).items() for b in pair],
    b"list": lambda r, k: r.lrange(k, 0, -1),
    b"set": lambda r, k: list(r.smembers(k)),
    b"zset": lambda r, k: r.zrange(k, 0, -1),
    b"stream": lambda r, k: [b for _, f in r.xrange(k) for pair in f.items() for b in pair],
    b"none": lambda r, k: [],  # expired between SCAN and TYPE
}


def redis_chunks(url: str) -> Iterator[tuple[str, bytes]]:
    """Every key and every value of every key in the private Redis."""
    redis = Redis.from_url(url)
    for key in redis.scan_iter(count=1000):
        name = key.decode(errors="replace")
        yield name, key
        kind = redis.type(key)
        assert kind in READERS, f"unexpected Redis type {kind!r} at {name}"
        for item in READERS[kind](redis, key):
            yield name, item
            with contextlib.suppress(zlib.error):
                yield f"{name} (zlib)", zlib.decompress(item)  # rq compresses job data


def test_no_personal_data_reaches_content_site_builds_redis_or_plain_database(instance, client):
    make_moderator(instance)
    for n, login in zip((1, 2), GROUP_LOGINS, strict=True):
        register_group(client, n, login)
    individual = {
        **person("person", 3, title=False),
        "public_name": "検査の個人さん",
        "login": INDIVIDUAL_LOGIN,
        "password": "person-password-123",
        "password_confirm": "person-password-123",
        "consent": "y",
    }
    response = submit(client, "/app/register", individual)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    instance.worker_burst()
    approve_accounts(instance, client)

    sign_in(client, GROUP_LOGINS[0], "group-password-123")
    post_event(client)
    sign_out(client)
    sign_in(client, GROUP_LOGINS[1], "group-password-123")
    post_event(client, title="検査団体の説明会", accepts_applications="")
    sign_out(client)
    sign_in(client, INDIVIDUAL_LOGIN, "person-password-123")
    post_event(
        client,
        kind="notice",
        title="個人からのお知らせ",
        starts_at="",
        ends_at="",
        accepts_applications="",
        capacity="",
    )
    sign_out(client)
    post_ids = approve_posts(instance, client)
    for n in APPLICANTS:
        response = submit(client, f"/app/events/{post_ids[0]}/apply", applicant(n))
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    instance.worker_burst()
    full_build(instance)

    settings = instance.settings
    live = settings.live_dir
    for post_id, segment in zip(post_ids, ("events", "events", "notices"), strict=True):
        assert (live / segment / str(post_id) / "index.html").is_file()
    assert len(list(settings.builds_dir.iterdir())) >= 2  # the worker's build and ours
    values = seeded_values()
    # The scan can see: the public names and titles it must find are found.
    public = {"検査の個人さん", "テスト団体1", "検査団体の説明会"}
    assert {hit.rsplit(": ", 1)[1] for hit in leaks(file_chunks(live), public)} == public

    assert leaks(file_chunks(settings.content_dir, live, settings.builds_dir), values) == []
    assert leaks(redis_chunks(settings.redis_url), values) == []

    # Only ids travel on the queue: every rq job's arguments are whole numbers.
    redis = Redis.from_url(settings.redis_url)
    jobs = [k for k in redis.scan_iter(match="rq:job:*") if redis.type(k) == b"hash"]
    assert jobs, "no rq job left to inspect"
    for raw in filter(None, (redis.hget(key, "data") for key in jobs)):
        _func, _instance, args, kwargs = json.loads(zlib.decompress(raw))
        assert all(isinstance(a, int) for a in args) and not kwargs, (args, kwargs)

    if settings.is_sqlite:
        db_file = Path(settings.database_url.removeprefix("sqlite:///"))
        assert db_file.is_file()
        files = [p for p in (db_file, Path(f"{db_file}-wal")) if p.is_file()]
        assert leaks(((str(p), p.read_bytes()) for p in files), values) == []
    # Everything else the instance wrote (keys, content, site) holds no plain value either.
    assert leaks(file_chunks(settings.home), values) == []
