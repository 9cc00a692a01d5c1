"""`hiroba report`: the ward's report (区への報告) for a period, as CSV, XLSX or JSON."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..config import Settings
from ..oversight.periods import Period, PeriodError, fiscal_year, make_period, parse_day
from .language import _

FORMATS = ("csv", "xlsx", "json")


def _period(args: argparse.Namespace) -> Period:
    if args.year is not None and not (args.start or args.end):
        if not 2000 <= args.year <= 2100:
            raise PeriodError(_("--year は 2000 から 2100 までです"))
        return fiscal_year(args.year)
    if not (args.start and args.end):
        raise PeriodError(_("--from と --to、または --year を指定してください"))
    return make_period(parse_day(args.start), parse_day(args.end))


def cmd_report(settings: Settings, args: argparse.Namespace) -> int:
    """Write the ward's report (counts only, labels in Japanese) to stdout or --output."""
    from ..oversight import downloads, figures
    from ..runtime import Runtime

    try:
        period = _period(args)
    except PeriodError as exc:
        print(
            _("hiroba: %(problem)s（日付は YYYY-MM-DD、--from は --to より前）") % {"problem": exc},
            file=sys.stderr,
        )
        return 2
    rt = Runtime.from_settings(settings)
    try:
        with rt.sessions() as session:
            report = figures.build(session, period)
    finally:
        rt.close()
    makers = {
        "csv": downloads.csv_bytes,
        "xlsx": downloads.xlsx_bytes,
        "json": downloads.json_bytes,
    }
    data = makers[args.format](report, str)
    if args.output is not None:
        args.output.write_bytes(data)
        print(
            _("%(file)s に書き出しました（%(start)s から %(end)s まで）")
            % {
                "file": args.output,
                "start": period.start.isoformat(),
                "end": period.end.isoformat(),
            }
        )
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register this module's commands on the `hiroba` parser."""
    report = sub.add_parser(
        "report",
        help=_(
            "区への報告（件数のみ、見出しは日本語）を標準出力か --output のファイルに書き出します"
        ),
    )
    report.add_argument("--from", dest="start", metavar="YYYY-MM-DD", help=_("期間の初日"))
    report.add_argument("--to", dest="end", metavar="YYYY-MM-DD", help=_("期間の最終日"))
    report.add_argument("--year", type=int, help=_("年度（4月から3月まで）、例: 2026"))
    report.add_argument("--format", choices=FORMATS, default="json", help=_("形式"))
    report.add_argument("--output", type=Path, help=_("標準出力の代わりに書き出すファイル"))
    report.set_defaults(func=cmd_report)
