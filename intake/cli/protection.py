"""The `hiroba` commands that protect stored data: keys, audit, backups, contract end, purge.

Each command is thin: it reads its arguments, calls a service and prints the outcome.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import Settings
from ..errors import HirobaError
from .language import _, error_message, invalid

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ..protection.backup import BackupResult
    from ..runtime import Runtime


def _runtime(settings: Settings) -> Runtime:
    from ..runtime import Runtime

    return Runtime.from_settings(settings)


def _password(confirm: bool) -> str | None:
    """Return the password from HIROBA_PASSWORD or a prompt; print why and return None if bad."""
    from ..validation import InvalidInput, password

    secret = os.environ.get("HIROBA_PASSWORD")
    if secret is None:
        secret = getpass.getpass(_("パスワード: "))
        if confirm and getpass.getpass(_("パスワード（確認）: ")) != secret:
            print(_("エラー: パスワードが一致しません"), file=sys.stderr)
            return None
    try:
        return password(secret)
    except InvalidInput as exc:
        print(_("エラー: %(problem)s") % {"problem": invalid(exc)}, file=sys.stderr)
        return None


def cmd_rotate_keys(settings: Settings, args: argparse.Namespace) -> int:
    """Add a new data key and re-encrypt every stored value under it (or retire an old key).

    On several hosts: --prepare adds the key inactive; copy data-keys.json to every host;
    then --activate KEYID on one host makes it active and re-encrypts."""
    from ..protection import keys

    if args.prepare:
        new_id = keys.add_key(settings.keys_dir, activate=False)
        print(
            _(
                "データ鍵 %(id)s を追加しました（まだ使われません）。%(file)s をすべてのホストに"
                "写してから、どれか1台で `hiroba rotate-keys --activate %(id)s` を実行してください"
            )
            % {"id": new_id, "file": f"{settings.keys_dir}/{keys.DATA_KEYS_FILE}"}
        )
        return 0
    rt = _runtime(settings)
    try:
        if args.retire:
            keys.retire(rt.sessions, settings.keys_dir, args.retire)
            print(_("データ鍵 %(id)s を廃止しました") % {"id": args.retire})
            return 0
        say = (lambda text: print(text, flush=True)) if args.verbose else (lambda _text: None)
        if args.activate:
            keys.activate_key(settings.keys_dir, args.activate)
            say(_("データ鍵 %(id)s を有効にしました") % {"id": args.activate})
            result = keys.reencrypt_all(rt.sessions, rt.vault, args.batch_size, say)
        elif args.resume:
            result = keys.reencrypt_all(rt.sessions, rt.vault, args.batch_size, say)
        else:
            result = keys.rotate(rt.sessions, rt.vault, settings.keys_dir, args.batch_size, say)
    finally:
        rt.close()
    print(
        _("有効なデータ鍵: %(id)s。%(count)s 個の値を暗号化し直しました")
        % {"id": result.active, "count": result.reencrypted}
    )
    if result.remaining:
        left = ", ".join(f"{k}: {n}" for k, n in sorted(result.remaining.items()))
        print(
            _(
                "古い鍵のままの値があります（%(left)s）。"
                "`hiroba rotate-keys --resume` を実行してください"
            )
            % {"left": left},
            file=sys.stderr,
        )
        return 1
    return 0


def cmd_audit_verify(settings: Settings, args: argparse.Namespace) -> int:
    """Walk the audit log's hash chain; exit 1 when an entry was edited or deleted."""
    from ..protection.audit import verify

    rt = _runtime(settings)
    try:
        with rt.sessions() as session:
            verdict = verify(session)
    finally:
        rt.close()
    if verdict.ok:
        print(_("監査ログは改ざんされていません: %(count)s 件") % {"count": verdict.entries})
        return 0
    print(
        _("監査ログが改ざんされています: %(problem)s") % {"problem": verdict.problem},
        file=sys.stderr,
    )
    return 1


def _day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(_("YYYY-MM-DD の形で指定してください")) from None


def cmd_audit_report(settings: Settings, args: argparse.Namespace) -> int:
    """Summarise the audit log by actor and action and flag anomalies."""
    from ..oversight.report import Policy, build_report, render

    rt = _runtime(settings)
    try:
        with rt.sessions() as session:
            report = build_report(session, args.since, Policy.from_settings(settings))
    finally:
        rt.close()
    print(render(report))
    return 0


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    """Write an encrypted backup of the database, hiroba.toml and uploads (default folder:
    $HIROBA_HOME/backups, or [backup] folder; --to s3://bucket/prefix: into a bucket);
    --scheduled also prunes and records it."""
    from sqlalchemy.exc import SQLAlchemyError

    from ..protection.backup import backup
    from ..store import make_engine

    if args.scheduled:
        return _scheduled_backup(settings)
    engine = make_engine(settings.database_url)
    try:
        if args.to:
            return _backup_to_bucket(settings, engine, args)
        result = backup(settings, engine, args.output, use_pg_dump=args.pg_dump or None)
    except SQLAlchemyError as exc:
        _unreachable(settings, exc)
        return 1
    finally:
        engine.dispose()
    print(_made(result, result.path))
    return 0


def _made(result: BackupResult, where: object) -> str:
    """Return the line saying what backup was written where."""
    return _(
        "%(kind)s のバックアップ（%(size)s バイト、スキーマ %(revision)s、"
        "添付ファイル %(files)s 個）: %(where)s"
    ) % {
        "kind": result.kind,
        "size": result.size,
        "revision": result.revision,
        "files": result.files,
        "where": where,
    }


def _unreachable(settings: Settings, exc: Exception) -> None:
    from ..installation.checkup import shown_url

    print(
        _(
            "hiroba: データベース %(url)s に接続できません（%(error)s）。"
            "バックアップは書いていません"
        )
        % {"url": shown_url(settings.database_url), "error": type(exc).__name__},
        file=sys.stderr,
    )


def _backup_to_bucket(settings: Settings, engine: Engine, args: argparse.Namespace) -> int:
    """Write the backup into a private temporary folder, copy it to the bucket, remove it."""
    import tempfile

    from ..models import utcnow
    from ..protection import offsite
    from ..protection.backup import backup

    location = offsite.bucket_location("--to", args.to)
    with tempfile.TemporaryDirectory(dir=settings.home, prefix=".backup-") as tmp:
        stamp = utcnow().strftime("%Y%m%dT%H%M%S%fZ")
        output = Path(tmp) / f"hiroba-{stamp}.backup"
        result = backup(settings, engine, output, use_pg_dump=args.pg_dump or None)
        url = offsite.push(settings, result.path, location)
    print(_made(result, url))
    return 0


def _scheduled_backup(settings: Settings) -> int:
    """Run the timer's backup; on any failure print one line and exit 1 (it is recorded)."""
    from ..protection.backup_schedule import run_scheduled
    from ..store import make_engine

    engine = make_engine(settings.database_url)
    try:
        done = run_scheduled(settings, engine)
    except Exception as exc:  # every failure is the timer's one line; run_scheduled recorded it
        said = (
            error_message(exc) if isinstance(exc, HirobaError) else f"{type(exc).__name__}: {exc}"
        )
        reason = " ".join(said.split())
        print(
            _("hiroba: 定時のバックアップに失敗しました: %(reason)s") % {"reason": reason},
            file=sys.stderr,
        )
        return 1
    finally:
        engine.dispose()
    result = done.backup
    print(
        _(
            "%(kind)s のバックアップ（%(size)s バイト、添付ファイル %(files)s 個）: %(path)s。"
            "古いもの %(pruned)s 個を削除しました"
        )
        % {
            "kind": result.kind,
            "size": result.size,
            "files": result.files,
            "path": result.path,
            "pruned": len(done.pruned),
        }
    )
    if done.offsite:
        print(
            _("別の場所への写し: %(url)s。そこで古いもの %(pruned)s 個を削除しました")
            % {"url": done.offsite, "pruned": len(done.offsite_pruned)}
        )
    return 0


def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    """Bring a backup (a file, or s3://bucket/prefix/name) back into the database and the
    uploads (stop web and worker first)."""
    import tempfile

    from ..protection import offsite
    from ..protection.backup import restore
    from ..store import make_engine

    engine = make_engine(settings.database_url)
    try:
        if args.path.startswith("s3://"):
            with tempfile.TemporaryDirectory(dir=settings.home, prefix=".restore-") as tmp:
                local = offsite.fetch(settings, args.path, Path(tmp))
                counts = restore(settings, engine, local, force=args.force)
        else:
            counts = restore(settings, engine, Path(args.path), force=args.force)
    finally:
        engine.dispose()
    rows = ", ".join(f"{name} {n}" for name, n in counts.items() if n)
    print(
        _("%(path)s を復元しました: %(rows)s")
        % {"path": args.path, "rows": rows or _("行はありません")}
    )
    if counts.get("config file set aside"):
        print(
            _(
                "%(file)s はバックアップのものと違います。バックアップのものは隣の "
                "hiroba.toml.from-backup です。見比べて、一方を残してください"
            )
            % {"file": settings.home / "hiroba.toml"},
            file=sys.stderr,
        )
    return 0


def cmd_backup_keys(settings: Settings, args: argparse.Namespace) -> int:
    """Write the key files into a password-protected archive, to keep apart from backups."""
    from ..protection.key_archive import write_key_archive

    secret = _password(confirm=True)
    if secret is None:
        return 2
    names = write_key_archive(settings.keys_dir, args.output, secret)
    print(
        _("%(names)s を %(file)s に書き出しました")
        % {"names": ", ".join(names), "file": args.output}
    )
    return 0


def cmd_restore_keys(settings: Settings, args: argparse.Namespace) -> int:
    """Put the key files of a key archive back into $HIROBA_HOME/keys."""
    from ..protection.key_archive import restore_keys

    secret = _password(confirm=False)
    if secret is None:
        return 2
    names = restore_keys(args.path, secret, settings.keys_dir, force=args.force)
    print(
        _("%(names)s を %(folder)s に戻しました")
        % {"names": ", ".join(names), "folder": settings.keys_dir}
    )
    return 0


def cmd_export_for_return(settings: Settings, args: argparse.Namespace) -> int:
    """Export all personal data into a password-protected ZIP and record it in the ledger."""
    from ..protection.contract_end import export_for_return

    secret = _password(confirm=True)
    if secret is None:
        return 2
    handler = args.handler or getpass.getuser()
    rt = _runtime(settings)
    try:
        result = export_for_return(rt, args.output, secret, handler, args.recipient)
    finally:
        rt.close()
    counts = ", ".join(f"{name} {n}" for name, n in result.counts.items())
    print(
        _("%(counts)s を %(path)s に書き出しました（管理簿の記録 %(ledger)s）")
        % {"counts": counts, "path": result.path, "ledger": result.ledger_id}
    )
    return 0


def cmd_erase_personal_data(settings: Settings, args: argparse.Namespace) -> int:
    """Erase every personal field, the managed backups and the queue; write a deletion report."""
    from ..protection.contract_end import erase_personal_data

    if not args.yes:
        print(
            _("エラー: すべての個人データを元に戻せない形で消去します。--yes を付けてください"),
            file=sys.stderr,
        )
        return 2
    rt = _runtime(settings)
    try:
        report = erase_personal_data(rt, args.operator)
    finally:
        rt.close()
    for name, n in report.counts.items():
        print(f"{name}: {n}")
    print(_("消去の報告書: %(file)s") % {"file": report.text_path})
    print(str(report.json_path))
    print(
        _(
            "鍵の控えと、hiroba backup --to で [backup] offsite 以外に置いたバックアップは"
            "消せません。報告書のとおり別途廃棄してください"
        )
    )
    if report.counts.get("offsite_backups_deleted") == -1:
        print(
            _(
                "エラー: バケットに接続できず、[backup] offsite のバックアップを削除できません"
                "でした。バケットの中の hiroba-…Z.backup を別途削除してください"
            ),
            file=sys.stderr,
        )
        return 1
    return 0


def cmd_purge(settings: Settings, args: argparse.Namespace) -> int:
    """Purge applicants' personal data of events over for HIROBA_RETENTION_DAYS (counts stay)
    and inquiries without activity for [retention] inquiry_days, and registrations refused or
    undecided for [retention] refused_registration_days, and clears the client addresses
    of audit entries older than [retention] audit_days."""
    from ..inquiries.services import purge_old
    from ..protection import audit, registrations
    from ..protection.retention import purge
    from ..store import transaction

    rt = _runtime(settings)
    days = settings.deployment.inquiry_days
    try:
        events = purge(rt, dry_run=args.dry_run)
        inquiries = purge_old(rt, days, dry_run=args.dry_run)
        erased = registrations.purge(rt, dry_run=args.dry_run)
        with transaction(rt.sessions) as session:
            audit_days = settings.deployment.audit_days
            addresses = audit.clear_old_addresses(session, audit_days, args.dry_run)
    finally:
        rt.close()
    for event in events:
        held = event.held_at.date().isoformat()
        print(
            (_("消去します（試行）: ") if args.dry_run else _("消去しました: "))
            + _("投稿 %(post)s %(held)s %(title)s: 申込 %(count)s 件")
            % {
                "post": event.post_id,
                "held": held,
                "title": event.title,
                "count": event.applications,
            }
        )
    total = sum(event.applications for event in events)
    words = {
        "total": total,
        "events": len(events),
        "days": settings.retention_days,
        "inquiries": inquiries,
        "inquiry_days": days,
        "registrations": len(erased),
        "refused_days": settings.deployment.refused_registration_days,
        "addresses": addresses,
        "audit_days": audit_days,
    }
    lines = (
        _("終了から %(days)s 日を過ぎたイベント %(events)s 件の申込 %(total)s 件"),
        _("%(inquiry_days)s 日以上やりとりのないお問い合わせ %(inquiries)s 件"),
        _("%(refused_days)s 日以上、承認されないか決まらない登録 %(registrations)s 件"),
        _("%(audit_days)s 日より古い監査記録の接続元アドレス %(addresses)s 件"),
    )
    for line in lines:
        verb = _("消去します（試行）: ") if args.dry_run else _("消去しました: ")
        print(verb + line % words)
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register this module's commands on the `hiroba` parser."""
    rotate = sub.add_parser(
        "rotate-keys",
        help=_(
            "新しいデータ鍵を加え、保存済みの値をすべてその鍵で暗号化し直します（古い鍵の廃止も）"
        ),
    )
    step = rotate.add_mutually_exclusive_group()
    step.add_argument("--resume", action="store_true", help=_("新しい鍵なしで暗号化し直します"))
    step.add_argument("--retire", metavar="KEYID", help=_("使われていない古い鍵を削除します"))
    step.add_argument(
        "--prepare", action="store_true", help=_("新しい鍵を使わない状態で加えます（複数ホスト）")
    )
    step.add_argument(
        "--activate", metavar="KEYID", help=_("準備した鍵を有効にし、その鍵で暗号化し直します")
    )
    rotate.add_argument("--batch-size", type=int, default=200, help=_("一度に処理する件数"))
    rotate.add_argument("--verbose", action="store_true", help=_("経過を表示します"))
    rotate.set_defaults(func=cmd_rotate_keys)

    audit = sub.add_parser("audit", help=_("監査ログの検証と報告"))
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    verify_help = _(
        "監査ログのハッシュ連鎖をたどります。記録が書き換えや削除されていれば終了コード1"
    )
    audit_sub.add_parser("verify", help=verify_help).set_defaults(func=cmd_audit_verify)
    report = audit_sub.add_parser("report", help=cmd_audit_report.__doc__)
    report.add_argument("--since", type=_day, required=True, metavar="YYYY-MM-DD")
    report.set_defaults(func=cmd_audit_report)

    backup = sub.add_parser(
        "backup",
        help=_(
            "データベース、hiroba.toml、アップロードの暗号化したバックアップを書き出します"
            "（既定: $HIROBA_HOME/backups か [backup] folder。--to でバケットへ）"
        ),
    )
    where = backup.add_mutually_exclusive_group()
    where.add_argument("--output", type=Path, help=_("書き出すファイル"))
    where.add_argument(
        "--to", metavar="s3://BUCKET/PREFIX", help=_("代わりにバケットへ書き出します")
    )
    where.add_argument(
        "--scheduled",
        action="store_true",
        help=_("タイマーからの実行: バックアップのフォルダーへ書き、古いものを整理し、記録します"),
    )
    backup.add_argument(
        "--pg-dump",
        action="store_true",
        help=_("PostgreSQL: pg_dump のアーカイブを封じます（pg_dump が必要）"),
    )
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser(
        "restore",
        help=_(
            "バックアップ（ファイルか s3://bucket/prefix/name）をデータベースとアップロードに"
            "戻します（先にウェブとワーカーを止めてください）"
        ),
    )
    restore.add_argument("path", help=_("バックアップのファイル、または s3://bucket/prefix/name"))
    restore.add_argument(
        "--force", action="store_true", help=_("データのあるデータベースを上書きします")
    )
    restore.set_defaults(func=cmd_restore)
    keys_out = sub.add_parser(
        "backup-keys",
        help=_("鍵ファイルをパスワード付きのアーカイブに書き出します（バックアップとは別に保管）"),
    )
    keys_out.add_argument("--output", type=Path, required=True, help=_("書き出すファイル"))
    keys_out.set_defaults(func=cmd_backup_keys)
    keys_in = sub.add_parser(
        "restore-keys", help=_("鍵のアーカイブの鍵ファイルを $HIROBA_HOME/keys に戻します")
    )
    keys_in.add_argument("path", type=Path, help=_("鍵のアーカイブ"))
    keys_in.add_argument("--force", action="store_true", help=_("既存の鍵ファイルを上書きします"))
    keys_in.set_defaults(func=cmd_restore_keys)

    export = sub.add_parser(
        "export-for-return",
        help=_("すべての個人データをパスワード付き ZIP に書き出し、個人情報管理簿に記録します"),
    )
    export.add_argument("--output", type=Path, required=True, help=_("書き出すファイル"))
    export.add_argument("--handler", help=_("引き渡す人（既定: OS の利用者）"))
    export.add_argument("--recipient", default="", help=_("受け取る人（管理簿に記録）"))
    export.set_defaults(func=cmd_export_for_return)
    erase = sub.add_parser(
        "erase-personal-data",
        help=_("すべての個人データ、管理下のバックアップ、キューを消去し、消去の報告書を書きます"),
    )
    erase.add_argument("--operator", required=True, help=_("消去を行う人"))
    erase.add_argument("--yes", action="store_true", help=_("消去を確認します"))
    erase.set_defaults(func=cmd_erase_personal_data)

    purge = sub.add_parser(
        "purge",
        help=_(
            "保存期間（HIROBA_RETENTION_DAYS ほか）を過ぎた申込者・問い合わせ・登録の個人データと"
            "監査記録の接続元アドレスを消去します（件数は残ります）"
        ),
    )
    purge.add_argument(
        "--dry-run", action="store_true", help=_("消去せず、消去される件数だけを示します")
    )
    purge.set_defaults(func=cmd_purge)
