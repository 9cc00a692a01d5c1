"""The site-wide banner (maintenance, outage, emergency): set and cleared by a moderator.

The database holds it; the intake's pages read it on every request, so they show it at
once. The public site is static: the worker writes one small file, /banner.css, that the
pages of every build link to, and rewrites it when a banner is set or cleared (a task
owed in the same commit) and when its end time passes (the reconciler's periodic pass).
The stylesheet shows the banner element every page carries and puts the text in it as
generated content, so the banner appears without JavaScript and without rebuilding a
single page. See docs/security-model.md for why it is not an iframe.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import jobs, outbox
from ..formatting import dates
from ..models import utcnow
from ..office.records import Banner
from ..protection import audit
from ..runtime import Runtime
from ..store import transaction
from .models import LEVEL_LABELS, LEVEL_LABELS_EN, LEVEL_SIGNS, BannerLevel


def active(session: Session, now: datetime | None = None) -> Banner | None:
    """Return the banner showing now (the newest set, not cleared, not ended), or None."""
    moment = now or utcnow()
    return session.scalars(
        select(Banner)
        .where(Banner.cleared_at.is_(None), Banner.starts_at <= moment, Banner.ends_at > moment)
        .order_by(Banner.id.desc())
        .limit(1)
    ).first()


def current(rt: Runtime) -> Banner | None:
    """Return the banner showing now, read from the database (the intake's pages, per request)."""
    with rt.sessions() as session:
        return active(session)


def set_banner(
    rt: Runtime,
    moderator_id: int,
    level: BannerLevel,
    text_ja: str,
    text_en: str,
    ends_at: datetime,
) -> int:
    """Show a banner from now until ends_at (UTC), replacing any other; audited. Return its id."""
    now = utcnow()
    with transaction(rt.sessions) as session:
        for old in session.scalars(select(Banner).where(Banner.cleared_at.is_(None))):
            old.cleared_at, old.cleared_by = now, moderator_id
        banner = Banner(
            level=level,
            text_ja=text_ja,
            text_en=text_en,
            set_by=moderator_id,
            starts_at=now,
            ends_at=ends_at,
        )
        session.add(banner)
        session.flush()
        audit.record(session, moderator_id, "set_banner", "banner", banner.id, 0, str(level))
        task = outbox.add_task(session, jobs.WRITE_BANNER, banner.id)
        banner_id = banner.id
    outbox.enqueue_tasks(rt.queue, [task], at_front=True)
    return banner_id


def clear(rt: Runtime, moderator_id: int) -> bool:
    """Take the banner down now, audited; False when none was showing."""
    now = utcnow()
    with transaction(rt.sessions) as session:
        banner = active(session, now)
        if banner is None:
            return False
        banner.cleared_at, banner.cleared_by = now, moderator_id
        audit.record(session, moderator_id, "clear_banner", "banner", banner.id, 0, "")
        task = outbox.add_task(session, jobs.WRITE_BANNER, banner.id)
    outbox.enqueue_tasks(rt.queue, [task], at_front=True)
    return True


def until_text(ends_at: datetime, lang: str) -> str:
    """Return the end time (stored UTC) in Japan's time: 12月7日(月) 18:00まで / until ..."""
    local = dates.japan_time(ends_at)
    when = f"{dates.format_short_date(local, lang)} {dates.format_time(local)}"
    return f"until {when} (JST)" if lang == "en" else f"{when}まで"


def banner_line(banner: Banner, lang: str) -> str:
    """Return the banner's one line in a language: sign, level word, text, end time."""
    level = BannerLevel(banner.level)
    if lang == "en":
        word, text = LEVEL_LABELS_EN[level], banner.text_en or banner.text_ja
        return f"{LEVEL_SIGNS[level]} {word}: {text} ({until_text(banner.ends_at, 'en')})"
    word, text = LEVEL_LABELS[level], banner.text_ja
    return f"{LEVEL_SIGNS[level]} {word}：{text}（{until_text(banner.ends_at, 'ja')}）"


# ASCII kept as it is in a CSS string; the rest of ASCII (quotes, backslash, braces, angle
# brackets, controls) is escaped, so no text can close the string or the rule.
_PLAIN_ASCII = frozenset(".,:;!?()-/%#&+=@_' ")


def _css_string(text: str) -> str:
    """Return text as a double-quoted CSS string with everything unsafe escaped."""
    out = []
    for ch in " ".join(text.split()):
        if (
            ch.isascii()
            and (ch.isalnum() or ch in _PLAIN_ASCII)
            or not ch.isascii()
            and ch.isprintable()
        ):
            out.append(ch)
        else:
            out.append(f"\\{ord(ch):x} ")  # the space ends the escape and is not shown
    return '"' + "".join(out) + '"'


# Each level's colours: dark text on a light ground or white on a dark red, each at least
# 7:1; the level is also said in words and by its sign, never by colour alone.
COLOURS = {
    BannerLevel.MAINTENANCE: ("#e7f0fb", "#0b2545", "#0b2545"),
    BannerLevel.OUTAGE: ("#fff4ce", "#1f1a00", "#6b5300"),
    BannerLevel.EMERGENCY: ("#8a0019", "#ffffff", "#000000"),
}


def stylesheet(banner: Banner | None) -> str:
    """Return /banner.css: a comment when no banner shows, else the rules that show it."""
    if banner is None:
        return "/* Hiroba: no site-wide banner. */\n"
    ground, ink, border = COLOURS[BannerLevel(banner.level)]
    return (
        f"/* Hiroba: site-wide banner {banner.id} ({banner.level}). */\n"
        f".site-banner{{display:block;margin:0;padding:.75rem 1rem;background:{ground};"
        f"color:{ink};border-bottom:4px solid {border};font-weight:700;line-height:1.6}}\n"
        f".site-banner-text{{margin:0 auto;max-width:60rem;overflow-wrap:anywhere}}\n"
        f".site-banner-text::before{{content:{_css_string(banner_line(banner, 'ja'))}}}\n"
        f"html[lang=en] .site-banner-text::before"
        f"{{content:{_css_string(banner_line(banner, 'en'))}}}\n"
    )
