"""Reading the roster (取扱者名簿) and the ledger (管理簿) is audited like any view of personal
data: the page with the client address, the command without; the ward's report, which
holds counts only, is not. The hash chain verifies after all of them."""

from __future__ import annotations

from actors import MODERATOR, make_moderator, make_staff, sign_in
from personal_data import hiroba, ok
from sqlalchemy import func, select

from intake.models import AuditEntry
from intake.protection.access import ADDRESS_CONTEXT, AccessKind
from intake.protection.audit import verify
from intake.protection.ledger import Handover, add_handover

STAFF = ("view-clerk", "view-clerk-password-1")


def _entries(instance, action: str) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    with instance.rt.sessions() as db:
        return list(
            db.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
            )
        )


def _count(instance) -> int:  # type: ignore[no-untyped-def]
    with instance.rt.sessions() as db:
        return int(db.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def test_the_roster_page_and_listing_are_audited(instance, app) -> None:  # type: ignore[no-untyped-def]
    make_moderator(instance)
    make_staff(instance, "staff", *STAFF, "閲覧の担当")
    staff = app.test_client()
    sign_in(staff, *STAFF)
    me = next(e.actor_id for e in _entries(instance, AccessKind.SIGNIN))
    assert _entries(instance, AccessKind.ROSTER_VIEWED) == []

    page = staff.get("/app/staff/roster")
    assert page.status_code == 200 and "閲覧の担当" in page.get_data(as_text=True)
    (viewed,) = _entries(instance, AccessKind.ROSTER_VIEWED)
    assert (viewed.actor_id, viewed.count, viewed.detail) == (me, 2, "web")
    assert instance.rt.vault.open(viewed.address_enc, ADDRESS_CONTEXT) == "127.0.0.1"

    ok(hiroba(instance.env, "users", "list"))
    listed = _entries(instance, AccessKind.ROSTER_VIEWED)[1]
    assert (listed.actor_id, listed.count, listed.detail) == (None, 2, "cli")
    assert listed.address_enc is None  # a command has no client address

    # A refused reader leaves no view behind.
    moderator = app.test_client()
    sign_in(moderator, *MODERATOR)
    assert moderator.get("/app/staff/roster").status_code == 403
    assert len(_entries(instance, AccessKind.ROSTER_VIEWED)) == 2
    with instance.rt.sessions() as db:
        assert verify(db).ok


def test_the_ledger_page_and_listing_are_audited(instance, app) -> None:  # type: ignore[no-untyped-def]
    make_moderator(instance)
    from intake.models import utcnow  # noqa: PLC0415

    for n in range(3):
        add_handover(
            instance.rt,
            None,
            Handover(utcnow().date(), f"事務局 {n}", "紙の申込書", 5, "区 地域振興課"),
        )
    moderator = app.test_client()
    sign_in(moderator, *MODERATOR)
    page = moderator.get("/app/ledger")
    assert page.status_code == 200 and "区 地域振興課" in page.get_data(as_text=True)
    (viewed,) = _entries(instance, AccessKind.LEDGER_VIEWED)
    assert (viewed.count, viewed.detail, viewed.target_kind) == (3, "web", "ledger")
    assert viewed.actor_id is not None
    assert instance.rt.vault.open(viewed.address_enc, ADDRESS_CONTEXT) == "127.0.0.1"

    ok(hiroba(instance.env, "ledger", "list"))
    listed = _entries(instance, AccessKind.LEDGER_VIEWED)[1]
    assert (listed.actor_id, listed.count, listed.detail) == (None, 3, "cli")
    assert listed.address_enc is None
    with instance.rt.sessions() as db:
        assert verify(db).ok
    ok(hiroba(instance.env, "audit", "verify"))


def test_the_ward_reports_downloads_hold_counts_only_and_are_not_audited(instance, app) -> None:  # type: ignore[no-untyped-def]
    make_staff(instance, "staff", *STAFF, "閲覧の担当")
    staff = app.test_client()
    sign_in(staff, *STAFF)
    before = _count(instance)
    for kind in ("csv", "xlsx"):
        assert staff.get(f"/app/staff/report?format={kind}").status_code == 200
    assert staff.get("/app/staff/report").status_code == 200
    assert _count(instance) == before


def test_reading_a_register_is_no_bulk_view_but_exporting_it_is() -> None:
    from intake.oversight.report import is_bulk_action  # noqa: PLC0415

    assert not is_bulk_action(AccessKind.ROSTER_VIEWED)
    assert not is_bulk_action(AccessKind.LEDGER_VIEWED)
    assert is_bulk_action(AccessKind.ROSTER_EXPORTED) and is_bulk_action("view_personal_data")
