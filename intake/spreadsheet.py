"""CSV files made for Excel: UTF-8 with a BOM, every field quoted, no cell read as a formula.

Following OWASP's advice on CSV injection, a text cell whose first visible character could
start a formula (`=`, `+`, `-`, `@`, a tab, CR or LF) is prefixed with a single quote, so
the spreadsheet shows it as text: a phone number `+81 90...` reads `'+81 90...`. Excel in a
Japanese locale also takes the full-width `＝＋－＠` as the start of a formula, and drops
leading spaces (half- or full-width) before deciding, so those count too. Numbers that we
write ourselves (ids, counts) are not text and stay as they are.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

BOM = "\ufeff"
FORMULA_STARTS = frozenset("=+-@\t\r\n＝＋－＠")
LEADING_BLANKS = " \u3000"


def neutralise(value: object) -> str | int | float:
    """Return value as a cell that no spreadsheet evaluates; None becomes an empty cell."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = str(value)
    visible = text.lstrip(LEADING_BLANKS)
    if visible and visible[0] in FORMULA_STARTS:
        return "'" + text
    return text


def spreadsheet_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """Return the rows as UTF-8 CSV with a BOM (so Excel opens Japanese text), all neutralised."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow([neutralise(v) for v in header])
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return buffer.getvalue().encode("utf-8")
