"""Rejection reasons moderators choose from (却下理由のひな形): seeded once, then edited,
reordered and deactivated by moderators (never deleted: past decisions quote them)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..errors import NotFound
from ..models import ReasonTemplate
from ..protection import audit
from ..protection.access import AccessKind
from ..runtime import Runtime
from ..store import transaction

DEFAULTS: tuple[tuple[str, str], ...] = (
    (
        "必要な情報が不足しています",
        "日時・会場・参加方法・問い合わせ先など、参加を考える方に必要な情報が不足しています。"
        "追記のうえ、もう一度審査に送ってください。",
    ),
    (
        "営利目的の宣伝にあたります",
        "このサイトは地域の非営利の活動のための場です。商品やサービスの販売・宣伝が"
        "主な内容の投稿は掲載できません。",
    ),
    (
        "公開に適さない個人情報が含まれています",
        "本文や問い合わせ先に、個人の電話番号や住所など公開に適さない情報が含まれています。"
        "公開してよい連絡先だけに修正してください。",
    ),
    (
        "政治・宗教活動にあたります",
        "特定の政治活動・宗教活動を目的とする内容は、掲載基準により掲載できません。",
    ),
    (
        "同じ内容の投稿があります",
        "同じ内容の投稿がすでに掲載中または審査中です。変更がある場合は、その投稿を編集してください。",
    ),
)


def ensure_defaults(session: Session) -> None:
    """Add the default templates when there are none at all (first use, or the demo data)."""
    if session.scalar(select(func.count()).select_from(ReasonTemplate)):
        return
    for position, (title, body) in enumerate(DEFAULTS, start=1):
        session.add(ReasonTemplate(title=title, body=body, position=position))
    session.flush()


def all_templates(rt: Runtime, active_only: bool = False) -> list[ReasonTemplate]:
    """Return the templates in the moderators' order, seeding the defaults on first use."""
    with transaction(rt.sessions) as session:
        ensure_defaults(session)
        query = select(ReasonTemplate).order_by(ReasonTemplate.position, ReasonTemplate.id)
        if active_only:
            query = query.where(ReasonTemplate.active.is_(True))
        return list(session.scalars(query))


def get(rt: Runtime, template_id: int) -> ReasonTemplate:
    """Return one template, or raise NotFound."""
    with rt.sessions() as session:
        template = session.get(ReasonTemplate, template_id)
        if template is None:
            raise NotFound(f"reason template {template_id}")
        return template


def body_of(rt: Runtime, template_id: int | None) -> str:
    """Return an active template's text, or "" when none (or an inactive one) is chosen."""
    if not template_id:
        return ""
    with rt.sessions() as session:
        template = session.get(ReasonTemplate, template_id)
        return template.body if template is not None and template.active else ""


def compose(template_body: str, free_text: str) -> str:
    """Return the reason the poster reads: the template's text, then the moderator's words."""
    return "\n\n".join(part.strip() for part in (template_body, free_text) if part.strip())


def save(
    rt: Runtime,
    template_id: int | None,
    title: str,
    body: str,
    active: bool = True,
    actor_id: int | None = None,
) -> int:
    """Create (template_id None, placed last) or update a template, audited; return its id."""
    with transaction(rt.sessions) as session:
        if template_id is None:
            last = session.scalar(select(func.max(ReasonTemplate.position))) or 0
            template = ReasonTemplate(position=last + 1)
            session.add(template)
        else:
            found = session.get(ReasonTemplate, template_id)
            if found is None:
                raise NotFound(f"reason template {template_id}")
            template = found
        template.title, template.body, template.active = title, body, active
        session.flush()
        detail = f"offered={active}"
        audit.record(
            session, actor_id, AccessKind.SETTING_CHANGED, "reason", template.id, 0, detail
        )
        return template.id


def move(rt: Runtime, template_id: int, step: int, actor_id: int | None = None) -> None:
    """Move a template one place up (step -1) or down (+1) in the list."""
    with transaction(rt.sessions) as session:
        ordered = list(
            session.scalars(
                select(ReasonTemplate)
                .order_by(ReasonTemplate.position, ReasonTemplate.id)
                .with_for_update()
            )
        )
        index = next((i for i, t in enumerate(ordered) if t.id == template_id), None)
        if index is None:
            raise NotFound(f"reason template {template_id}")
        other = index + step
        if 0 <= other < len(ordered):
            ordered[index], ordered[other] = ordered[other], ordered[index]
        for position, template in enumerate(ordered, start=1):
            template.position = position
        detail = f"move={step}"
        audit.record(
            session, actor_id, AccessKind.SETTING_CHANGED, "reason", template_id, 0, detail
        )
