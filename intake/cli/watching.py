"""`hiroba watch`: one pass of the checks that open and close incidents (a timer runs it)."""

from __future__ import annotations

import argparse
import sys

from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from ..config import Settings
from ..outbox import retry_failed
from ..runtime import Runtime
from ..store import transaction
from ..watching.checks import watch
from ..watching.logs import configure_logging
from .language import _


def cmd_watch(settings: Settings, args: argparse.Namespace) -> int:
    """Check builds, workers, failed jobs and the audit chain; one mail per incident."""
    configure_logging(settings.log_format)
    rt = Runtime.from_settings(settings)
    try:
        report = watch(rt)
    except (RedisError, SQLAlchemyError) as exc:
        print(
            _("hiroba: watch が状態を読めませんでした（%(error)s）")
            % {"error": type(exc).__name__},
            file=sys.stderr,
        )
        return 1
    finally:
        rt.close()
    if report.skipped:
        print(_("別の `hiroba watch` が実行中です。何もしませんでした"))
        return 0
    for incident in report.opened:
        mailed = _("通知済み") if incident.mailed else _("まだ通知していません")
        print(
            _("発生 %(kind)s（%(mailed)s）: %(detail)s")
            % {"kind": incident.kind.value, "mailed": mailed, "detail": incident.detail}
        )
    for incident in report.still_open:
        mailed = _("通知済み") if incident.mailed else _("まだ通知していません")
        print(
            _("継続中 %(kind)s（%(mailed)s）: %(detail)s")
            % {"kind": incident.kind.value, "mailed": mailed, "detail": incident.detail}
        )
    for incident in report.resolved:
        print(_("解決 %(kind)s") % {"kind": incident.kind.value})
    if not (report.opened or report.still_open):
        print(_("異常なし"))
    return 0


def cmd_retry_failed(settings: Settings, args: argparse.Namespace) -> int:
    """Owe again every task given up after its tries (e.g. mail, once SMTP is fixed)."""
    rt = Runtime.from_settings(settings)
    try:
        with transaction(rt.sessions) as session:
            count = retry_failed(session)
    finally:
        rt.close()
    print(
        _("失敗したタスク %(count)s 件をやり直しにしました。ワーカーの照合処理が投入します")
        % {"count": count}
    )
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register this module's commands on the `hiroba` parser."""
    watch_parser = sub.add_parser(
        "watch",
        help=_(
            "ビルド、ワーカー、失敗したジョブ、監査ログの連鎖を確認します（障害ごとにメール1通）"
        ),
    )
    watch_parser.set_defaults(func=cmd_watch)
    retry = sub.add_parser(
        "retry-failed",
        help=_("試行回数を使い切ったタスク（SMTP 修理後のメールなど）をもう一度やり直しにします"),
    )
    retry.set_defaults(func=cmd_retry_failed)
