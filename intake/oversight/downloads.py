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
from .figures import SECTIONS, Value, WardReport

Translate = Callable[[str], str]


def month_label(key: str) -> str:
    """Name a month "2026年4月" from its key "2026-04"."""
    year, month = key.split("-")
    return f"{int(year)}年{int(month)}月"


def table(report: WardReport, translate: Translate) -> tuple[list[str], list[list[Value | str]]]:
    """Return the header and one row per figure: section, label, months..., total."""
    header = [
        translate("区分"),
        translate("項目"),
        *(month_label(m.key) for m in report.months),
        translate("期間の合計"),
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
    return translate("区への報告") + f" {start.isoformat()} – {end.isoformat()}"


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
    sheet.title = translate("区への報告")
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
