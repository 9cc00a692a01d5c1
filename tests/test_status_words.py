"""Status words are written once, as `StrEnum` members of the domain that owns them.

The scan (AST only, nothing scanned is imported) reads every Python module of `intake/`
and `worker/`. A string constant is a finding when its value is the value of a member of
one of the status enums (STATUS_ENUMS) and it stands where a status is compared or set:

- a side of a comparison (`==`, `!=`, `in`, `not in`) whose other side is status-like,
  e.g. `post.status == "approved"`, `Task.state in ("failed",)`;
- the value assigned to a status-like target (`post.status = "x"`, `status = "x"`,
  `status: Mapped[str] = mapped_column(default="x")`, `post.status, other = "x", y`);
- a keyword argument named `status`, `state` or `action` (`Post(status="x")`,
  `.values(state="x")`);
- an argument of `.in_()`, `.not_in()` or `.notin_()` called on a status-like expression;
- a module-level UPPER_CASE constant holding only words of one enum, alone or in a
  tuple, list, set or frozenset (`WAITING = ("received", "pending")`): such a set is
  built from the members, once, beside the enum.

An expression is status-like when the name it ends in (`post.status` -> `status`,
`Task.state` -> `state`, `decision.action` -> `action`) is `status`, `state`, `action`
or ends in `_status`, `_state` (plural too). The enum classes themselves are not scanned.
Words that merely look alike (a JSON health answer's `"ok"`, the organizer's message
audience `"confirmed"`) are not in a status context and so are not findings; ALLOWED
lists any exception by file and value, with its reason.

The second half checks that each stored enum's values are the strings the database
holds: the vocabulary below (changing one needs a data migration), the column's length,
the column's default, and a real write and raw read of every member on each database.
"""

from __future__ import annotations

import ast
import re
from enum import StrEnum
from pathlib import Path

import pytest
from sqlalchemy import String, select
from sqlalchemy.orm import InstrumentedAttribute

from intake.accounts.models import AccountStatus, ChangeRequestStatus, EntrySource
from intake.applications.models import ApplicationStatus, Availability, DeliveryState
from intake.config import REPO_ROOT
from intake.inquiries.models import EntryKind, InquiryStatus, ReplyState
from intake.models import (
    Account,
    Application,
    AuditEntry,
    Build,
    ChangeRequest,
    Decision,
    EventMessage,
    Inquiry,
    InquiryEntry,
    MessageDelivery,
    Post,
    PostRevision,
    Task,
    TaskState,
    Upload,
)
from intake.moderation.models import DecisionAction, ReviewChoice
from intake.notices.models import BannerLevel
from intake.office.records import AuditNotice, Banner, LedgerEntry
from intake.oversight.models import NoticeKind
from intake.posts.models import PostStatus, RevisionStatus
from intake.protection.access import AccessKind
from intake.protection.ledger import HandoverKind
from intake.site.models import BuildStatus
from intake.store import transaction
from intake.uploads.models import UploadState
from intake.watching.incidents import Kind as IncidentKind

# Every stored status: the enum, the column it is stored in, and the strings rows hold.
STORED: list[tuple[type[StrEnum], InstrumentedAttribute[str], set[str]]] = [
    (
        AccountStatus,
        Account.status,
        {"received", "pending", "active", "rejected", "disabled", "withdrawn", "erased"},
    ),
    (ChangeRequestStatus, ChangeRequest.status, {"pending", "approved", "rejected"}),
    (
        PostStatus,
        Post.status,
        {
            "received",
            "pending",
            "approved",
            "rejected",
            "withdrawn",
            "taken_down",
            "archived",
            "removed",
        },
    ),
    (
        RevisionStatus,
        PostRevision.status,
        {"pending", "approved", "rejected", "superseded", "withdrawn", "closed"},
    ),
    (UploadState, Upload.state, {"pending", "proposed", "live"}),
    (ApplicationStatus, Application.status, {"received", "confirmed", "waitlisted", "cancelled"}),
    # How an application came in; change_requests.source holds the same words.
    (EntrySource, Application.source, {"web", "phone", "paper"}),
    (DeliveryState, MessageDelivery.state, {"pending", "sent", "skipped"}),
    (
        DecisionAction,
        Decision.action,
        {"approve", "reject", "takedown", "stale_request", "remove_stale", "correct", "restore"},
    ),
    (TaskState, Task.state, {"pending", "done", "failed", "cancelled"}),
    (BuildStatus, Build.status, {"running", "ok", "failed", "interrupted", "unpublished"}),
    (InquiryStatus, Inquiry.status, {"received", "in_progress", "done"}),
    (EntryKind, InquiryEntry.kind, {"note", "reply"}),
    (ReplyState, InquiryEntry.mail_state, {"pending", "sent", "skipped"}),
    # The access log's own audit actions (the older actions are plain words) and the
    # action of a hand-over added to the ledger by hand.
    (
        AccessKind,
        AuditEntry.action,
        {
            "signin",
            "signout",
            "staff_created",
            "roster_exported",
            "roster_viewed",
            "ledger_added",
            "ledger_exported",
            "ledger_viewed",
            "incident_reported",
            "setting_changed",
            "audit_addresses_cleared",
        },
    ),
    (HandoverKind, LedgerEntry.action, {"manual"}),
    (BannerLevel, Banner.level, {"maintenance", "outage", "emergency"}),
    (
        NoticeKind,
        AuditNotice.kind,
        {"report", "bulk", "off_hours", "signin_failures", "chain"},
    ),
]
# Worked out per request (Availability), kept in Redis (an incident's kind) or chosen in a form
# (the moderator's desk: ReviewChoice), never in a column.
UNSTORED: list[type[StrEnum]] = [Availability, IncidentKind, ReviewChoice]
STATUS_ENUMS: list[type[StrEnum]] = [enum for enum, _, _ in STORED] + UNSTORED

# (file relative to the repository, value): why this word there is not a status.
ALLOWED: dict[tuple[str, str], str] = {}

SCANNED = ("intake", "worker")
STATUS_NAME = re.compile(r"^(status|state|action)(es|s)?$|_(status|state)(es|s)?$")
STATUS_KEYWORDS = {"status", "state", "action"}
IN_METHODS = {"in_", "not_in", "notin_"}
UPPER = re.compile(r"^_?[A-Z][A-Z0-9_]*$")


def _end_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def _status_like(node: ast.AST) -> bool:
    name = _end_name(node)
    return name is not None and bool(STATUS_NAME.search(name.lower()))


def _strings(node: ast.AST) -> list[ast.Constant]:
    return [n for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _collection_strings(node: ast.AST) -> list[ast.Constant] | None:
    """The strings of `"x"`, `("x", "y")`, `[..]`, `{..}` or `frozenset({..})`; else None."""
    if isinstance(node, ast.Call) and _end_name(node.func) in {"frozenset", "set", "tuple"}:
        if len(node.args) != 1 or node.keywords:
            return None
        node = node.args[0]
    if isinstance(node, ast.Constant):
        return [node] if isinstance(node.value, str) else None
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        found = []
        for element in node.elts:
            if isinstance(element, ast.Starred):
                continue
            if not (isinstance(element, ast.Constant) and isinstance(element.value, str)):
                return None
            found.append(element)
        return found or None
    return None


def _assigned(targets: list[ast.expr], value: ast.expr) -> list[ast.Constant]:
    """The strings assigned to status-like targets, matching tuple targets element by element."""
    found: list[ast.Constant] = []
    for target in targets:
        if (
            isinstance(target, ast.Tuple)
            and isinstance(value, ast.Tuple)
            and len(target.elts) == len(value.elts)
        ):
            for one, part in zip(target.elts, value.elts, strict=True):
                if _status_like(one):
                    found += _strings(part)
        elif _status_like(target):
            found += _strings(value)
    return found


def status_constants(
    tree: ast.Module, skip_classes: set[str], words: dict[str, list[str]]
) -> list[ast.Constant]:
    """Every string constant of tree that stands in a status context (see the docstring)."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name in skip_classes:
            skipped.update(id(n) for n in ast.walk(node))
    found: list[ast.Constant] = []
    for node in tree.body:  # module-level constants made of status words
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            strings = _collection_strings(node.value)
            if names and all(UPPER.match(n) for n in names) and strings:
                owners = [{m.split(".")[0] for m in words.get(s.value, [])} for s in strings]
                if set.intersection(*owners):  # every string a word of one same enum
                    found += strings
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(_status_like(side) for side in sides):
                found += [c for side in sides for c in _strings(side)]
        elif isinstance(node, ast.Assign):
            found += _assigned(node.targets, node.value)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            found += _assigned([node.target], node.value)
        elif isinstance(node, ast.keyword) and node.arg in STATUS_KEYWORDS:
            found += _strings(node.value)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in IN_METHODS
            and _status_like(node.func.value)
        ):
            found += [c for arg in node.args for c in _strings(arg)]
    return [c for c in found if id(c) not in skipped]


def _words() -> dict[str, list[str]]:
    words: dict[str, list[str]] = {}
    for enum in STATUS_ENUMS:
        for member in enum:
            words.setdefault(member.value, []).append(f"{enum.__name__}.{member.name}")
    return words


def findings(paths: list[Path]) -> list[str]:
    """Each status word written out as a bare string, as 'file:line: "word" (use Enum.MEMBER)'."""
    words = _words()
    enum_names = {enum.__name__ for enum in STATUS_ENUMS}
    found = []
    for path in paths:
        inside = path.is_relative_to(REPO_ROOT)
        relative = path.relative_to(REPO_ROOT).as_posix() if inside else path.name
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for constant in status_constants(tree, enum_names, words):
            if constant.value in words and (relative, constant.value) not in ALLOWED:
                members = " or ".join(words[constant.value])
                found.append(f"{relative}:{constant.lineno}: {constant.value!r} (use {members})")
    return sorted(set(found))


def scanned_files() -> list[Path]:
    return sorted(
        p
        for folder in SCANNED
        for p in (REPO_ROOT / folder).rglob("*.py")
        if "__pycache__" not in p.parts
    )


def test_the_scan_finds_status_words_and_only_in_status_contexts(tmp_path: Path) -> None:
    """The rule on a sample: each kind of context is caught, look-alike words are not."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "WAITING = ('received', 'pending')\n"  # 1: two words
        "URGENT = frozenset({'taken_down'})\n"  # 2
        "PROPOSED = 'proposed'\n"  # 3
        "def f(post, Task, Build, decision, upload, select, d):\n"
        "    post.status = 'approved'\n"  # 5
        "    post.status, post.reason = 'rejected', 'approved'\n"  # 6: only the first
        "    if Task.state == 'failed': pass\n"  # 7
        "    if upload.state not in ('live', 'pending'): pass\n"  # 8: two
        "    select(Build).where(Build.status.in_(['running']))\n"  # 9
        "    Post(status='received')\n"  # 10
        "    if decision.action != 'approve': pass\n"  # 11
        "    build_status = 'interrupted'\n"  # 12
        "    health = {'status': 'ok', 'redis': 'ok'}\n"  # 13: not a status context
        "    audience = 'confirmed'\n"  # 14: another vocabulary
        "    if kind == 'approved': pass\n"  # 15: not status-like
        "    name = 'pending'\n"  # 16: not status-like
        "    states = ('live', 'index')\n"  # 17: 'index' is no status word
        "MIXED = ('pending', 'posts')\n"  # 18: not only status words
        "class PostStatus:\n"
        "    APPROVED = 'approved'\n"  # 20: the enum's own definition
    )
    found = findings([sample])
    lines = sorted(int(f.split(":")[1]) for f in found)
    assert lines == [1, 1, 2, 3, 5, 6, 7, 8, 8, 9, 10, 11, 12, 17], found
    assert any("'taken_down' (use PostStatus.TAKEN_DOWN)" in f for f in found)
    assert any("'pending' (use " in f and "TaskState.PENDING" in f for f in found)


def test_no_status_word_is_written_out_in_intake_or_worker() -> None:
    files = scanned_files()
    assert len(files) > 50, "the scan found too few modules"
    found = findings(files)
    assert not found, "use the domain's status enum instead:\n" + "\n".join(found)


def test_every_status_enum_of_intake_is_scanned() -> None:
    """A StrEnum added to intake joins STATUS_ENUMS, so its words are guarded too."""
    defined = set()
    for path in (REPO_ROOT / "intake").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                _end_name(base) == "StrEnum" for base in node.bases
            ):
                defined.add(node.name)
    assert defined == {enum.__name__ for enum in STATUS_ENUMS}


def test_each_status_enum_is_defined_once() -> None:
    names = [enum.__name__ for enum in STATUS_ENUMS]
    assert len(names) == len(set(names))
    for enum in STATUS_ENUMS:
        assert enum.__module__.startswith("intake."), enum
        assert all(member.value == member.value.lower() for member in enum)


@pytest.mark.parametrize("enum,column,stored", STORED, ids=lambda v: getattr(v, "__name__", ""))
def test_enum_values_are_the_strings_rows_hold(
    enum: type[StrEnum], column: InstrumentedAttribute[str], stored: set[str]
) -> None:
    """Renaming a value would orphan the rows written with the old one (no migration)."""
    assert {member.value for member in enum} == stored
    assert all(str(member) == member.value for member in enum)
    column_type = column.property.columns[0].type
    assert isinstance(column_type, String) and column_type.length is not None
    assert max(len(value) for value in stored) <= column_type.length
    default = column.property.columns[0].default
    if default is not None:
        assert default.arg in list(enum), f"{column} defaults to {default.arg!r}"


def _rows(session) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """One row of each table that holds a status, linked as the foreign keys demand."""
    account = Account(kind="group", password_hash="x", login_index="status-words")
    session.add(account)
    session.flush()
    post = Post(account_id=account.id, kind="event", title="t")
    session.add(post)
    session.flush()
    revision = PostRevision(post_id=post.id, data="{}")
    upload = Upload(account_id=account.id, post_id=post.id, kind="image", token="status-words")
    application = Application(post_id=post.id)
    message = EventMessage(
        post_id=post.id, sender_id=account.id, audience="all", subject="s", body="b"
    )
    change = ChangeRequest(account_id=account.id, person_role="representative")
    decision = Decision(
        subject_kind="post",
        subject_id=post.id,
        moderator_id=account.id,
        action=DecisionAction.APPROVE,
    )
    task = Task(name="n", subject_id=post.id)
    build = Build(rev=1)
    session.add_all([revision, upload, application, message, change, decision, task, build])
    session.flush()
    delivery = MessageDelivery(message_id=message.id, application_id=application.id)
    inquiry = Inquiry(category="other")
    audit_entry = AuditEntry(seq=1, action="view")
    ledger_entry = LedgerEntry(handler="h", action="organizer_export")
    session.add_all([delivery, inquiry, audit_entry, ledger_entry])
    session.flush()
    entry = InquiryEntry(inquiry_id=inquiry.id, author_id=account.id, kind=EntryKind.NOTE)
    banner = Banner(text_ja="t", set_by=account.id, ends_at=post.created_at)
    notice = AuditNotice(key="report:2026-11", kind=NoticeKind.REPORT, at=post.created_at)
    session.add_all([entry, banner, notice])
    session.flush()
    return {
        "accounts": account,
        "posts": post,
        "post_revisions": revision,
        "uploads": upload,
        "applications": application,
        "message_deliveries": delivery,
        "change_requests": change,
        "decisions": decision,
        "tasks": task,
        "builds": build,
        "inquiries": inquiry,
        "inquiry_entries": entry,
        "audit_log": audit_entry,
        "ledger": ledger_entry,
        "banners": banner,
        "audit_notices": notice,
    }


def test_every_member_is_stored_as_its_string(instance) -> None:  # type: ignore[no-untyped-def]
    """Written through the ORM as a member, each status reads back raw as the plain string."""
    with transaction(instance.rt.sessions) as session:
        rows = {table: row.id for table, row in _rows(session).items()}  # type: ignore[attr-defined]
    for enum, column, _ in STORED:
        model = column.class_
        table = model.__tablename__
        key = column.key
        for member in enum:
            with transaction(instance.rt.sessions) as session:
                setattr(session.get(model, rows[table]), key, member)
            with instance.rt.sessions() as session:
                stored_column = model.__table__.c[key]
                raw = session.execute(
                    select(stored_column).where(model.__table__.c.id == rows[table])
                ).scalar_one()
                assert type(raw) is str and raw == member.value, (table, key, raw)
                assert session.scalar(select(model.id).where(column == member)) == rows[table]
