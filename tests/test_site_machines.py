"""For machines: iCalendar files (RFC 5545, parsed back with the icalendar library), Atom
feeds, schema.org Event JSON-LD on every event page, sitemap.xml and robots.txt of a demo
build published by a real worker."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from xml.etree import ElementTree

import icalendar
from site_support import JSONLD, demo_fixture, event_pages

demo = demo_fixture()
ATOM = "{http://www.w3.org/2005/Atom}"
SCHEMA = "https://schema.org/"


def _site(demo) -> Path:  # type: ignore[no-untyped-def]
    return demo.settings.live_dir.resolve()


def _detail(page: str, label: str) -> str | None:
    found = re.search(rf"<dt>{label}</dt>\s*<dd>(.*?)</dd>", page, re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).strip() if found else None


def test_every_event_page_has_schema_org_event_json_ld(demo):  # type: ignore[no-untyped-def]
    pages = event_pages(_site(demo))
    assert len(pages) >= 5
    for path in pages:
        page = path.read_text(encoding="utf-8")
        blocks = JSONLD.findall(page)
        assert len(blocks) == 1, path
        assert "<" not in blocks[0]
        data = json.loads(blocks[0])
        assert data["@context"] == "https://schema.org" and data["@type"] == "Event"
        assert data["name"] and data["startDate"] and data["endDate"]
        assert data["startDate"].endswith("+09:00") and data["endDate"] >= data["startDate"]
        assert data["eventStatus"] == SCHEMA + "EventScheduled"
        assert data["eventAttendanceMode"].startswith(SCHEMA)
        place = _detail(page, "会場")
        if place:
            # 会場とオンライン (hybrid): the venue and a VirtualLocation, MixedEventAttendanceMode
            location = data["location"]
            venue, *online = location if isinstance(location, list) else [location]
            assert venue["@type"] == "Place"
            assert venue["address"]["streetAddress"] in place
            mixed = data["eventAttendanceMode"] == SCHEMA + "MixedEventAttendanceMode"
            assert [o["@type"] for o in online] == (["VirtualLocation"] if mixed else [])
        assert data["organizer"]["name"] == _detail(page, "主催")
        assert data["organizer"]["url"].startswith("/groups/")
        fee = _detail(page, "費用")
        if fee:
            assert data["offers"]["priceCurrency"] == "JPY"
            assert data["offers"]["description"] == fee
        else:
            assert "offers" not in data


def _calendar(path: Path) -> icalendar.Calendar:
    raw = path.read_bytes()
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n") and raw.endswith(b"END:VCALENDAR\r\n")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n")), path  # folded lines
    calendar = icalendar.Calendar.from_ical(raw)
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    for event in calendar.walk("VEVENT"):
        for required in ("UID", "DTSTAMP", "DTSTART", "SUMMARY"):
            assert required in event, (path, required)
        if "DTEND" in event:
            assert event.decoded("DTEND") > event.decoded("DTSTART")
    return calendar


def test_icalendar_files_per_event_and_subscribable_feeds_parse(demo):  # type: ignore[no-untyped-def]
    site = _site(demo)
    uids = set()
    for path in event_pages(site):
        calendar = _calendar(path.parent / "event.ics")
        (event,) = calendar.walk("VEVENT")
        page = path.read_text(encoding="utf-8")
        assert str(event["SUMMARY"]) == html.unescape(re.search(r"<h1>(.*?)</h1>", page).group(1))
        assert event.decoded("DTSTART").utcoffset().total_seconds() == 9 * 3600
        assert calendar.walk("VTIMEZONE")  # the TZID it uses is defined in the file
        uids.add(str(event["UID"]))
    everything = _calendar(site / "calendar" / "all.ics")
    assert uids <= {str(e["UID"]) for e in everything.walk("VEVENT")}
    topic_files = sorted((site / "calendar" / "topics").glob("*.ics"))
    group_files = sorted((site / "calendar" / "groups").glob("*.ics"))
    assert topic_files and group_files
    per_group = [str(e["UID"]) for f in group_files for e in _calendar(f).walk("VEVENT")]
    assert len(per_group) == len(set(per_group))  # each item under one group only
    for path in topic_files:
        _calendar(path)


def test_atom_feeds_sitemap_and_robots(demo):  # type: ignore[no-untyped-def]
    site = _site(demo)
    feeds = sorted((site / "feeds").rglob("*.atom.xml"))
    assert {"all.atom.xml", "events.atom.xml"} <= {f.name for f in feeds}
    assert any(f.parent.name == "groups" for f in feeds)
    for path in feeds:
        root = ElementTree.fromstring(path.read_bytes())  # noqa: S314 - our own build
        assert root.tag == f"{ATOM}feed" and root.find(f"{ATOM}updated") is not None
        for entry in root.iter(f"{ATOM}entry"):
            for child in ("id", "title", "updated", "link"):
                assert entry.find(f"{ATOM}{child}") is not None, (path, child)
    sitemap = ElementTree.fromstring((site / "sitemap.xml").read_bytes())  # noqa: S314
    locs = {e.text for e in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")}
    assert {"/groups/", "/search/", "/calendar/"} <= locs
    assert {f"/events/{p.parent.name}/" for p in event_pages(site)} <= locs
    robots = (site / "robots.txt").read_text(encoding="utf-8")
    assert robots.startswith("User-agent: *\n") and "Disallow: /app/\n" in robots
