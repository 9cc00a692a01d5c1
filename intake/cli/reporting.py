"""`hiroba report`: the ward's report (区への報告) for a period, as CSV, XLSX or JSON."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..config import Settings
from ..oversight.periods import Period, PeriodError, fiscal_year, make_period, parse_day

FORMATS = ("csv", "xlsx", "json")


def _period(args: argparse.Namespace) -> Period:
    if args.year is not None and not (args.start or args.end):
        if not 2000 <= args.year <= 2100:
            raise PeriodError("--year must be from 2000 to 2100")
        return fiscal_year(args.year)
    if not (args.start and args.end):
        raise PeriodError("give --from and --to, or --year")
    return make_period(parse_day(args.start), parse_day(args.end))


def cmd_report(settings: Settings, args: argparse.Namespace) -> int:
    """Write the ward's report (counts only, labels in Japanese) to stdout or --output."""
    from ..oversight import downloads, figures
    from ..runtime import Runtime

    try:
        period = _period(args)
    except PeriodError as exc:
        print(f"hiroba: {exc} (dates as YYYY-MM-DD, --from before --to)", file=sys.stderr)
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
        print(f"wrote {args.output} ({period.start.isoformat()} to {period.end.isoformat()})")
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register this module's commands on the `hiroba` parser."""
    report = sub.add_parser("report", help=cmd_report.__doc__)
    report.add_argument("--from", dest="start", metavar="YYYY-MM-DD")
    report.add_argument("--to", dest="end", metavar="YYYY-MM-DD")
    report.add_argument("--year", type=int, help="a fiscal year (April to March), e.g. 2026")
    report.add_argument("--format", choices=FORMATS, default="json")
    report.add_argument("--output", type=Path, help="a file instead of standard output")
    report.set_defaults(func=cmd_report)
