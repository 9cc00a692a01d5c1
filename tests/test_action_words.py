"""Audit actions, anomaly kinds, hand-overs and roles reach people as words, never as codes.

The first half scans the code (AST only): every action `audit.record` is called with, and
every action a hand-over is written to the ledger with, has a word in its one mapping
(intake/protection/access.py ACTION_WORDS, intake/protection/ledger.py HANDOVER_WORDS).
The second half renders the staff pages (the staff home, a monthly audit report, the
roster, the ledger) in Japanese and English with entries of every action, and reads every
table cell: a stored code in one is a finding.
"""

from __future__ import annotations

import ast
import json
import re
from datetime import datetime, timedelta
from html.parser import HTMLParser

import pytest
from actors import make_moderator, make_staff, sign_in

from intake.accounts.models import ACCOUNT_KIND_LABELS, ACCOUNT_STATUS_LABELS
from intake.config import REPO_ROOT
from intake.mail import translations
from intake.models import utcnow
from intake.office.records import AuditNotice
from intake.oversight.analysis import due_monthly_report
from intake.oversight.models import NOTICE_WORDS, NoticeKind
from intake.protection import audit
from intake.protection.access import ACTION_WORDS, AccessKind
from intake.protection.ledger import HANDOVER_WORDS, HandoverKind, record_handover
from intake.store import transaction

STAFF = ("words-clerk", "words-clerk-password-1")
# An action written with an f-string, and every value it can take.
FORMATTED = {
    "decide_{subject.kind}": {"decide_post", "decide_revision"},  # moderation/decisions.KINDS
    "profile_{action}": {"profile_approve", "profile_reject"},  # DecisionAction, both ways
}
UNKNOWN = "legacy_action_code"  # a row an older version wrote


def _field(part: ast.expr) -> str:
    """The expression inside an f-string's braces, as written."""
    assert isinstance(part, ast.FormattedValue)
    return ast.unparse(part.value)


def _literal(node: ast.expr) -> set[str] | None:
    """The actions an argument can be: a string, an AccessKind member or a known f-string."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.Attribute) and ast.unparse(node.value) == "AccessKind":
        return {AccessKind[node.attr].value}
    if isinstance(node, ast.Attribute) and ast.unparse(node.value) == "HandoverKind":
        return {HandoverKind[node.attr].value}
    if isinstance(node, ast.JoinedStr):
        shape = "".join(
            str(part.value) if isinstance(part, ast.Constant) else f"{{{_field(part)}}}"
            for part in node.values
        )
        return FORMATTED.get(shape)
    return None


def _actions_called(function: str, position: int, keyword: str) -> dict[str, set[str] | None]:
    """Every action argument of calls to function in intake/ and worker/, by place."""
    found: dict[str, set[str] | None] = {}
    for folder in ("intake", "worker"):
        for path in sorted((REPO_ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                callee = ast.unparse(node.func)
                if callee != function and not callee.endswith(f".{function}"):
                    continue
                args = {k.arg: k.value for k in node.keywords}
                arg = node.args[position] if len(node.args) > position else args.get(keyword)
                if arg is None:
                    continue
                where = f"{path.relative_to(REPO_ROOT)}:{node.lineno}"
                found[where] = _literal(arg)
    return found


def test_every_recorded_audit_action_has_a_word() -> None:
    calls = {
        where: actions
        for where, actions in _actions_called("record", 2, "action").items()
        if not where.startswith(("worker/publication",))  # manifest.record: no audit entry
    }
    assert len(calls) > 50, "the scan found too few audit.record calls"
    unknown = sorted(where for where, actions in calls.items() if actions is None)
    assert not unknown, f"an action the scan cannot read (add it to FORMATTED): {unknown}"
    recorded = set().union(*(a for a in calls.values() if a))
    missing = sorted(recorded - set(ACTION_WORDS))
    assert not missing, f"audit actions without a word in ACTION_WORDS: {missing}"
    assert set(AccessKind) <= set(ACTION_WORDS)
    unused = sorted(set(ACTION_WORDS) - recorded)
    assert not unused, f"words for actions nothing records: {unused}"


def test_every_hand_over_action_has_a_word() -> None:
    calls = _actions_called("record_handover", 2, "action")
    assert len(calls) >= 3
    assert all(actions is not None for actions in calls.values()), calls
    recorded = set().union(*(a for a in calls.values() if a))
    assert recorded == set(HANDOVER_WORDS)


def test_every_word_has_its_english() -> None:
    english = translations("en").gettext
    for words in (ACTION_WORDS, NOTICE_WORDS, HANDOVER_WORDS, ACCOUNT_KIND_LABELS):
        untranslated = sorted(w for w in words.values() if english(w) == w)
        assert not untranslated, f"no English for {untranslated}"


class Cells(HTMLParser):
    """The text of every table cell of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"td", "th"}:
            self._depth += 1
            self.cells.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"td", "th"}:
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._depth:
            self.cells[-1] += data


# Every stored code a person could be shown; "report" (a notice kind that is never listed,
# and an ordinary English word) aside.
CODES = sorted(
    {*ACTION_WORDS, *NOTICE_WORDS, *HANDOVER_WORDS, *ACCOUNT_KIND_LABELS, *ACCOUNT_STATUS_LABELS}
    - {NoticeKind.REPORT}
    | {UNKNOWN},
    key=len,
    reverse=True,
)
CODE = re.compile("|".join(rf"(?<![\w-]){re.escape(code)}(?![\w-])" for code in CODES))
# English pages use words that are also codes ("staff", "disabled"): there a finding is a code
# with an underscore anywhere, or a cell that is a code alone or after an account number.
JOINED = re.compile("|".join(re.escape(code) for code in CODES if "_" in code))
ALONE = re.compile(rf"(#\d+ )?({'|'.join(re.escape(code) for code in CODES)})")


def codes_in_cells(html: str, english: bool = False) -> list[str]:
    """Every table cell that shows a stored code."""
    parser = Cells()
    parser.feed(html)
    assert parser.cells, "the page has no table"
    cells = [" ".join(cell.split()) for cell in parser.cells]
    if english:
        return [c for c in cells if JOINED.search(c) or ALONE.fullmatch(c)]
    return [c for c in cells if CODE.search(c)]


def _next_month(now: datetime) -> tuple[datetime, str]:
    """The first moment of next month in Japan (naive UTC), and this month's key."""
    local = now + timedelta(hours=9)
    first = (local.replace(day=1) + timedelta(days=32)).replace(
        day=1, hour=0, minute=30, second=0, microsecond=0
    )
    return first - timedelta(hours=9), f"{local:%Y-%m}"


@pytest.fixture
def every_action(instance):  # type: ignore[no-untyped-def]
    """A log holding one entry of every action (a bulk view and a burst of failed sign-ins
    among them), the ledger's every kind of hand-over, and this month's stored report."""
    make_moderator(instance)
    make_staff(instance, "staff", *STAFF, "区の担当 言葉")
    with transaction(instance.rt.sessions) as db:
        for action in [*ACTION_WORDS, UNKNOWN]:
            audit.record(db, 1, action, "account", 1, count=1)
        audit.record(db, 1, "view_personal_data", "post", 1, count=500)  # bulk
        for _ in range(40):  # a burst of failed sign-ins in (at least one) hour
            audit.record(db, None, "signin_failed", "account", None, 0)
        for action in HANDOVER_WORDS:
            record_handover(db, "事務局", action, "内容", {"items": 1}, "区")
    later, month = _next_month(utcnow())
    due_monthly_report(instance.rt, later)  # stores this month's report (mails: none here)
    with transaction(instance.rt.sessions) as db:  # a month that had every kind of anomaly
        db.add(
            AuditNotice(
                key=f"{NoticeKind.REPORT}:2020-01",
                kind=NoticeKind.REPORT,
                at=datetime(2019, 12, 31, 15),
                summary=json.dumps(
                    {
                        "entries": 9,
                        "actions": {UNKNOWN: 1},
                        "anomalies": dict.fromkeys(NOTICE_WORDS, 1),
                    }
                ),
            )
        )
    return instance, month


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_staff_pages_show_words_for_every_code(every_action, app, lang: str) -> None:  # type: ignore[no-untyped-def]
    instance, month = every_action
    staff = app.test_client()
    sign_in(staff, *STAFF)
    query = "?lang=en" if lang == "en" else ""
    english = translations("en").gettext if lang == "en" else str
    pages = {
        "home": f"/app/staff{query}",
        "this month": f"/app/staff/audit/{month}{query}",
        "every anomaly": f"/app/staff/audit/2020-01{query}",
        "roster": f"/app/staff/roster{query}",
        "ledger": f"/app/ledger{query}",
    }
    html = {}
    for name, url in pages.items():
        response = staff.get(url)
        assert response.status_code == 200, name
        html[name] = response.get_data(as_text=True)
        found = codes_in_cells(html[name], english=lang == "en")
        assert not found, f"{name}: codes in {found}"
    for action in ACTION_WORDS:  # every action, by its word, in the month's report
        assert f"<td>{english(ACTION_WORDS[action])}</td>" in html["this month"], action
    assert f"<td>{english(NOTICE_WORDS[NoticeKind.BULK])}</td>" in html["home"]
    for kind in NOTICE_WORDS:
        assert f"<td>{english(NOTICE_WORDS[kind])}</td>" in html["every anomaly"], kind
    for action in HANDOVER_WORDS:
        assert f"<td>{english(HANDOVER_WORDS[action])}</td>" in html["ledger"], action
    assert f"<td>{english(ACCOUNT_KIND_LABELS['staff'])}</td>" in html["roster"]
    other = english("その他の操作")
    assert f"<td>{other}</td>" in html["every anomaly"]  # an unknown code: a word too


def test_the_scan_finds_a_code_in_a_cell() -> None:
    """The checker itself: a code in a cell is found, a word or an attribute is not."""
    assert codes_in_cells("<table><tr><td>export_personal_data</td></tr></table>")
    assert codes_in_cells("<table><tr><td> bulk </td></tr></table>")
    assert not codes_in_cells(
        '<table><tr><td><a href="/app/staff">個人情報の出力</a></td></tr></table>'
    )
    assert not codes_in_cells("<table><tr><td>Bulk views or exports</td></tr></table>")
    assert codes_in_cells("<table><tr><td>#12 staff</td></tr></table>", english=True)
    assert codes_in_cells("<table><tr><td>a view_inquiry</td></tr></table>", english=True)
    assert not codes_in_cells("<table><tr><td>Ward staff</td></tr></table>", english=True)


def test_the_cli_reports_show_words(every_action) -> None:  # type: ignore[no-untyped-def]
    from personal_data import hiroba, ok  # noqa: PLC0415

    instance, _month = every_action
    since = (utcnow() + timedelta(hours=9)).date() - timedelta(days=1)
    outputs = {
        "audit report": ok(hiroba(instance.env, "audit", "report", "--since", since.isoformat())),
        "users list": ok(hiroba(instance.env, "users", "list")),
        "ledger list": ok(hiroba(instance.env, "ledger", "list")),
    }
    for name, result in outputs.items():
        shown = [line for line in result.stdout.splitlines() if CODE.search(line)]
        assert not shown, f"{name} shows codes: {shown[:5]}"
    assert ACTION_WORDS["export_personal_data"] in outputs["audit report"].stdout
    assert NOTICE_WORDS[NoticeKind.BULK] in outputs["audit report"].stdout
    assert HANDOVER_WORDS["organizer_export"] in outputs["ledger list"].stdout
