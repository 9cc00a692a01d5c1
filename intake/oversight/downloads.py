"""The ward's report as files: CSV for Excel, XLSX (values only, never formulas) and JSON.

Every form holds the same table: one line per figure, its section and label, one column
per month and the period's total. Labels come translated by the caller (`translate`).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from ..spreadsheet import spreadsheet_csv
from ..validation import N_
from .figures import SECTIONS, Value, WardReport

Translate = Callable[[str], str]


SECTION_HEADER = N_("区分")
LINE_HEADER = N_("項目")
TOTAL_HEADER = N_("期間の合計")
TITLE = N_("区への報告")
MONTH = N_("%(year)s年%(month)s月")


def month_label(key: str, translate: Translate = str) -> str:
    """Name a month "2026年4月" (in English "4/2026") from its key "2026-04"."""
    year, month = key.split("-")
    return translate(MONTH) % {"year": int(year), "month": int(month)}


def table(report: WardReport, translate: Translate) -> tuple[list[str], list[list[Value | str]]]:
    """Return the header and one row per figure: section, label, months..., total."""
    header = [
        translate(SECTION_HEADER),
        translate(LINE_HEADER),
        *(month_label(m.key, translate) for m in report.months),
        translate(TOTAL_HEADER),
    ]
    rows: list[list[Value | str]] = [
        [
            translate(SECTIONS[f.line.section]),
            translate(f.line.label),
            *f.months,
            f.total,
        ]
        for f in report.figures
    ]
    return header, rows


def title(report: WardReport, translate: Translate) -> str:
    start, end = report.period.start, report.period.end
    return translate(TITLE) + f" {start.isoformat()} – {end.isoformat()}"


def csv_bytes(report: WardReport, translate: Translate) -> bytes:
    """Return the report as CSV that Excel opens (UTF-8 with a BOM, no cell read as formula)."""
    header, rows = table(report, translate)
    return spreadsheet_csv(header, rows)


def xlsx_bytes(report: WardReport, translate: Translate) -> bytes:
    """Return the report as an XLSX workbook: a title line, the header, the figures."""
    header, rows = table(report, translate)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = translate(TITLE)[:31]
    sheet.append([title(report, translate)])
    sheet["A1"].font = Font(bold=True)
    sheet.append(header)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # our labels are text, never formulas
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 30
    sheet.freeze_panes = "C3"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def as_json(report: WardReport, translate: Translate) -> dict[str, Any]:
    """Return the report as data: the period, the months, and each figure by its key."""
    return {
        "from": report.period.start.isoformat(),
        "to": report.period.end.isoformat(),
        "months": [m.key for m in report.months],
        "figures": [
            {
                "key": f.line.key,
                "section": translate(SECTIONS[f.line.section]),
                "label": translate(f.line.label),
                "months": list(f.months),
                "total": f.total,
            }
            for f in report.figures
        ],
    }


def json_bytes(report: WardReport, translate: Translate) -> bytes:
    return json.dumps(as_json(report, translate), ensure_ascii=False, indent=2).encode("utf-8")
