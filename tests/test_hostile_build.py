"""Hostile content against the build: user text never makes Pelican read or publish a file.

A post whose markup hides Pelican's intrasite-link syntax (``{attach}``, ``{static}``,
``|filename|``...) inside an attribute, in any field, and a group profile holding the
same, are posted and approved through HTTP, published by a real rq worker and built again
in full by ``hiroba build``: no key file, database or outside file may appear in any build
folder. The output check refuses a build holding an unexpected file or a key's bytes,
old build folders are pruned, and a takedown takes every file of the post off
``site/current`` at once.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import re
import sys
from pathlib import Path

import pytest
from accounts_support import client_for
from actors import MODERATOR, decide, make_moderator, open_group, sign_in
from conftest import Instance, csrf_token, submit
from lifecycle_support import approved_event, poster_group
from moderation_support import new_post, people, review
from personal_data import hiroba
from sqlalchemy import select
from uploads_support import post_with_files

from intake.models import Build

MARKERS = (
    "{attach}", "{static}", "{filename}", "{index}", "{tag}", "{category}", "{author}",
    "|filename|", "|static|", "|attach|", "{attach }", "{STATIC}",
)  # fmt: skip
# Every attribute name Pelican's intrasite-link regex looks for.
ATTRIBUTES = ("href", "src", "poster", "data", "cite", "formaction", "action", "content")
QUOTES = (("'", '"'), ('"', "'"))  # (inner quote, the carrying title's quote)
DEPTH = "../" * 12  # enough to climb from any test folder to /


def _targets(instance: Instance) -> tuple[str, ...]:
    """Paths that reach the instance's secrets and files outside it, relative and absolute."""
    home = instance.settings.home
    return (
        "../keys/data-keys.json",
        "/../keys/secret.key",
        "../keys/index.key",
        "./../hiroba.db",
        f"{DEPTH}etc/hostname",
        f"{home}/keys/secret.key",
        f"/{DEPTH}{str(home).lstrip('/')}/keys/data-keys.json",
    )


def hostile_lines(instance: Instance) -> list[str]:
    """The reported payload and its class: every marker, attribute, quoting and path."""
    lines = [
        "<a title=\"地図 href='{attach}/../keys/data-keys.json'\" "
        'href="https://www.openstreetmap.org/">地図</a>'
    ]
    cycle = itertools.cycle(itertools.product(ATTRIBUTES, QUOTES))
    for marker, target in itertools.product(MARKERS, _targets(instance)):
        attribute, (inner, outer) = next(cycle)
        value = f"{attribute}={inner}{marker}{target}{inner}"
        lines.append(f'<a title={outer}地図 {value}{outer} href="https://example.jp/">地図</a>')
        lines.append(f'<a href="{marker}{target}">地図</a>')
        lines.append(f'<img src={inner}{marker}{target}{inner} alt="地図">')
    lines.append("<object data='{attach}../keys/secret.key'></object>")
    lines.append("<video poster='{static}../keys/index.key'></video>")
    lines.append("<form action='{attach}../hiroba.db'><button formaction='|attach|x'>")
    lines.append("<meta content='{attach}../keys/data-keys.json'>")
    lines.append("<blockquote cite='{attach}../keys/secret.key'>引用</blockquote>")
    return lines


def _sanitize_plugin():  # type: ignore[no-untyped-def]
    """Import pelican/plugins/sanitize under a private name (pelican/ is not a package)."""
    path = Path(__file__).parent.parent / "pelican" / "plugins" / "sanitize" / "__init__.py"
    spec = importlib.util.spec_from_file_location("_hiroba_test_sanitize_hostile", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("marker", [*MARKERS, "{att{static}ach}", "|{attach}|", "{ attach }"])
def test_the_sanitiser_strips_every_marker_from_every_attribute(marker: str) -> None:
    clean_html = _sanitize_plugin().clean_html
    for attribute, (inner, outer), target in itertools.product(
        ATTRIBUTES, QUOTES, ("../keys/secret.key", "/etc/hostname", "x")
    ):
        value = f"{attribute}={inner}{marker}{target}{inner}"
        for markup in (
            f"<p><a title={outer}地図 {value}{outer} href={outer}https://example.jp/{outer}>地図</a></p>",
            f"<p><a href={outer}{marker}{target}{outer} title={outer}{marker}{outer}>地図</a></p>",
            f"<table><tr><td colspan={outer}{marker}{outer}>x</td></tr></table>",
            f'<p><img {value} alt="{marker}"><a title="&#123;attach&#125;{target}">x</a></p>',
        ):
            cleaned = clean_html(markup)
            for tag in re.findall(r"<[^>]+>", cleaned):
                assert not re.search(r"[{|]\s*\w*\s*[|}]", tag), (markup, cleaned)


def _short(marker: str, target: str) -> str:
    return f"<a title=\"x href='{marker}{target}'\">地図</a>"


def secrets_of(instance: Instance) -> dict[str, bytes]:
    """Return {name: bytes} of every file no build may publish."""
    found = {p.name: p.read_bytes() for p in instance.settings.keys_dir.iterdir() if p.is_file()}
    database = instance.settings.home / "hiroba.db"
    if database.is_file():
        found["hiroba.db"] = database.read_bytes()
    hostname = Path("/etc/hostname")
    if hostname.is_file() and hostname.read_bytes().strip():
        found["hostname"] = hostname.read_bytes()
    return found


def leaks(instance: Instance) -> list[str]:
    """Return every file of every build folder that is, or holds, a secret file's bytes."""
    secrets = secrets_of(instance)
    found = []
    for path in sorted(instance.settings.site_dir.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        rel = str(path.relative_to(instance.settings.site_dir))
        if path.name in secrets:
            found.append(f"{rel}: named like a secret file")
            continue
        data = path.read_bytes()
        for name, secret in secrets.items():
            if data == secret or (len(secret.strip()) >= 16 and secret.strip() in data):
                found.append(f"{rel}: holds the bytes of {name}")
    return found


def build_logs(instance: Instance) -> list[tuple[str, str]]:
    with instance.rt.sessions() as db:
        return [(b.status, b.log[-2000:]) for b in db.scalars(select(Build).order_by(Build.id))]


def _save_profile(client, text: str, website: str, contact: str) -> None:  # type: ignore[no-untyped-def]
    data = {
        "publish": "y",
        "profile": text,
        "website": website,
        "public_contact": contact,
        "topics": ["environment"],
        "areas": ["ochiai-1"],
    }
    response = submit(client, "/app/account/profile", data, follow=True)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]


def _chunks(lines: list[str], limit: int) -> list[str]:
    """Join lines into paragraphs of texts at most limit characters long."""
    texts, current = [], ""
    for line in lines:
        if current and len(current) + len(line) + 2 > limit:
            texts.append(current)
            current = ""
        current = f"{current}\n\n{line}" if current else line
    return [*texts, current]


def test_hostile_markup_in_any_field_never_makes_a_build_read_a_file(instance):
    who = people(instance)
    lines = hostile_lines(instance)
    targets = _targets(instance)
    fields = {
        "title": "地図 " + _short("{attach}", "../keys/secret.key"),
        "summary": " ".join(_short(m, targets[0]) for m in ("{attach}", "|static|")),
        "place_name": _short("{static}", "../keys/index.key"),
        "place_address": _short("|attach|", "../hiroba.db"),
        "fee": _short("{attach}", "../hiroba.db"),
        "contact_public": _short("{attach}", "../keys/data-keys.json"),
    }
    posts = {}
    for body in _chunks(lines, 9000):  # the body's limit is 10,000 characters
        posts[new_post(who, **fields, body=body)] = body
    # The group profile: the same class in its text, website and contact.
    _save_profile(
        who.poster,
        _chunks(lines, 1900)[0],
        "https://example.jp/{attach}/../keys/secret.key",
        _short("{attach}", "../keys/data-keys.json"),
    )
    instance.worker_burst()  # ingest
    for post_id, body in posts.items():
        path = f"/app/moderation/posts/{post_id}"
        approved = review(who.moderator, path, action="approve_edited", **fields, body=body)
        assert approved.status_code == 302, approved.get_data(as_text=True)[:3000]
    decide(who.moderator, f"/app/moderation/profiles/{who.poster_id}")
    instance.worker_burst()  # publish: the worker's own (incremental or full) build

    pages = [instance.settings.live_dir / "events" / str(p) / "index.html" for p in posts]
    assert all(page.is_file() for page in pages), build_logs(instance)
    assert not leaks(instance), leaks(instance)

    built = hiroba(instance.env, "build", timeout=600)  # the full build a deployment runs
    assert built.returncode == 0, (built.stdout[-2000:], built.stderr[-2000:])
    assert not leaks(instance), leaks(instance)
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "地図" in html
        # No marker survives in an attribute of the post's markup (defence in depth: the
        # syntax is off anyway); the sanitiser marks every link it keeps with its rel.
        user_links = re.findall(r'<a [^>]*rel="noopener noreferrer nofollow"[^>]*>', html)
        assert len(user_links) > 10
        for tag in user_links:
            assert not re.search(r"[{|](attach|static|filename)[|}]", tag, re.I), tag
    group_page = instance.settings.live_dir / "groups" / str(who.poster_id) / "index.html"
    assert group_page.is_file()


def _planted_cases(instance: Instance, post_id: int) -> list[tuple[str, str, bytes | Path]]:
    """(what, path under content/, bytes or a symlink's target) planted beside a post's media."""
    keys = instance.settings.keys_dir
    folder = f"media/{post_id}"
    token = "ab" * 16
    return [
        ("an unexpected name", f"{folder}/data-keys.json", (keys / "data-keys.json").read_bytes()),
        ("an unexpected name", f"{folder}/notes.html", b"<p>not ours</p>"),
        ("a key's bytes", f"{folder}/{token}.pdf", (keys / "secret.key").read_bytes()),
        ("a key's bytes", f"{folder}/{token}-480.webp", (keys / "index.key").read_bytes()),
        ("a symlink", f"{folder}/{token}.pdf", keys / "data-keys.json"),
        ("a symlink", f"posts/{post_id + 1000}.md", keys / "secret.key"),
    ]


def _plant(content: Path, rel: str, what: bytes | Path) -> Path:
    path = content / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(what, Path):
        path.symlink_to(what)
    else:
        path.write_bytes(what)
    return path


def test_the_output_check_refuses_a_build_with_a_planted_file_and_the_site_stays(instance):
    moderator, group = poster_group(instance)
    first = approved_event(instance, moderator, group, "出力検査の催し")
    instance.worker_burst()
    live = instance.settings.live_dir
    serving = os.readlink(live)
    page = live / "events" / str(first) / "index.html"
    assert page.is_file()
    make_moderator(instance)
    client = client_for(instance)
    sign_in(client, *MODERATOR)

    for n, (what, rel, planted) in enumerate(_planted_cases(instance, first)):
        path = _plant(instance.settings.content_dir, rel, planted)
        built = hiroba(instance.env, "build", timeout=600)
        assert built.returncode != 0, (what, rel, built.stdout[-1000:])
        assert "Traceback" not in built.stderr
        assert os.readlink(live) == serving and page.is_file(), (what, rel)
        assert not leaks(instance), (what, rel, leaks(instance))
        # A fresh connection: a pooled SQLite one may still read before the CLI's commit.
        instance.rt.engine.dispose()
        status = client.get("/app/moderation/status").get_data(as_text=True)
        assert "最新のサイト構築に失敗しました" in status
        assert Path(rel).name in status, (what, rel)

        if n % 2 == 0 or rel.startswith("posts/"):
            # A publication (incremental, or full when that is refused) never publishes it.
            approved_event(instance, moderator, group, f"出力検査の次の催し{n}")
            instance.worker_burst()
        current = live.resolve()
        assert not (current / rel).exists() and not (current / rel).is_symlink(), (what, rel)
        assert not leaks(instance), (what, rel, leaks(instance))
        path.unlink()
        serving = os.readlink(live)

    built = hiroba(instance.env, "build", timeout=600)  # nothing planted: builds again
    assert built.returncode == 0, built.stderr[-2000:]
    assert page.is_file()


def test_only_the_live_and_the_spare_build_folders_are_kept(instance):
    moderator, group = poster_group(instance)
    approved_event(instance, moderator, group, "整理検査の催し")
    instance.worker_burst()
    builds = instance.settings.builds_dir
    # What an older release left: an older folder holding a copied key, and the folder an
    # {attach} link with "/../" made beside the build folders.
    old = builds / "20000101T000000000000-r1"
    _plant(old, "events/1/data-keys.json", b"copied before the upgrade")
    _plant(builds, "keys/data-keys.json", b"copied beside the builds")
    for n in range(3):
        approved_event(instance, moderator, group, f"整理検査の催し{n}")
        instance.worker_burst()
    built = hiroba(instance.env, "build", timeout=600)
    assert built.returncode == 0, built.stderr[-2000:]
    approved_event(instance, moderator, group, "整理検査の最後の催し")
    instance.worker_burst()

    live = instance.settings.live_dir.resolve()
    folders = {p for p in builds.iterdir() if p.is_dir()}
    assert live in folders and len(folders) == 2, sorted(p.name for p in folders)
    [spare] = folders - {live}
    assert (builds / f"{spare.name}.sigs.json").is_file()  # the next publication's start
    assert not old.exists() and not (builds / "keys").exists()
    states = {p.name.split(".")[0] for p in builds.iterdir() if p.is_file()}
    assert states <= {live.name, spare.name}


def test_a_takedown_removes_every_file_of_the_post_from_the_live_site(instance, client):
    _, group = open_group(instance)
    make_moderator(instance)
    post_id = post_with_files(instance, client, "緊急非公開ファイル検査")
    instance.worker_burst()  # ingest
    sign_in(client, *MODERATOR)
    decide(client, f"/app/moderation/posts/{post_id}")
    instance.worker_burst()  # publish and build
    current = instance.settings.live_dir.resolve()
    media = current / "media" / str(post_id)
    assert len(list(media.iterdir())) == 2  # the image and the flyer
    # A file an older release copied next to the post ({attach}) is in every build folder.
    for folder in (p for p in instance.settings.builds_dir.iterdir() if p.is_dir()):
        for rel in (f"events/{post_id}/data-keys.json", f"en/events/{post_id}/map.pdf"):
            _plant(folder, rel, b"copied before the upgrade")

    page = client.get(f"/app/moderation/live/{post_id}")
    response = client.post(
        f"/app/moderation/live/{post_id}/takedown",
        data={
            "reason": "申し立てがあったため",
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 302
    instance.worker_burst()  # the takedown's publication, first in the queue

    current = instance.settings.live_dir.resolve()
    for rel in (f"media/{post_id}", f"events/{post_id}", f"en/events/{post_id}"):
        assert not (current / rel).exists(), (rel, build_logs(instance)[-1])
    assert build_logs(instance)[-1][0] == "ok"
