"""`kiosk simulate` and `kiosk store …` (status, retention). Imports stay lazy: `kiosk --version`
must not pay for sqlite-utils or cryptography."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("simulate", help="fill the store with synthetic residents/certifications")
    p.add_argument("--residents", type=int, default=100)
    p.add_argument("--certifications", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-evidence", action="store_true")
    p.set_defaults(func=cmd_simulate)
    p = sub.add_parser("store", help="local database: status, retention, backup, restore")
    p.add_argument("action", choices=("status", "retention", "backup", "restore"))
    p.add_argument("file", nargs="?", help="restore: the backup file to put back")
    p.add_argument("--to", help="backup: folder (default [store] backup_dir, else <data>/backups)")
    p.add_argument("--latest", action="store_true", help="restore: the newest backup")
    p.add_argument("--keep", type=int, default=None,
                   help="backup: how many copies to keep (default [store] backup_keep)")
    p.set_defaults(func=cmd_store)


def cmd_simulate(args: argparse.Namespace) -> int:
    from kiosk.store.database import Store
    from kiosk.store.simulate import simulate

    with Store.open() as store:
        report = simulate(store, residents=args.residents, certifications=args.certifications,
                          seed=args.seed, with_evidence=not args.no_evidence)
    print(f"synthetic data written: {report.residents} residents,"
          f" {report.certifications} certifications (marked synthetic; not synced by default)")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Put a backup in place of the database (kiosk stopped); the current file is kept aside."""
    from pathlib import Path

    from kiosk import paths
    from kiosk.store.backup import (
        BackupError,
        configured_dir,
        kiosk_running,
        list_backups,
        restore_backup,
    )
    from kiosk.store.crypto import StoreKey, key_path, read_master

    db = paths.database_path()
    found = list_backups(db, configured_dir(db))
    if args.latest and not args.file:
        if not found:
            print(f"没有找到备份（{configured_dir(db)}）。请联系技术支持，不要删除任何文件。")
            return 3
        args.file = str(found[-1])
    if not args.file:
        print("backups (newest last):" if found else "no backups found", *found,
              sep="\n  ")
        return 2
    if kiosk_running(db.parent):
        print("安心认证正在运行：请先关闭本机的安心认证（屏幕上的“关闭程序”或停止服务），"
              "再恢复备份。没有改动任何文件。")
        return 3
    try:
        fingerprint = StoreKey.from_master(read_master(key_path(db.parent))).fingerprint
    except (OSError, ValueError) as exc:
        print(f"找不到可用的存储密钥（{exc}）：请先放回 keys/store.key 的备份。")
        return 3
    try:
        aside = restore_backup(Path(args.file), db, key_fingerprint=fingerprint)
    except BackupError as exc:
        print(str(exc))
        return 3
    print(f"已恢复备份 {args.file}" + (f"；原文件另存为 {aside.name}" if aside else ""))
    return 0


def cmd_store(args: argparse.Namespace) -> int:
    from kiosk.config import load_settings
    from kiosk.store.database import Store

    if args.action == "restore":
        return cmd_restore(args)
    with Store.open() as store:
        if args.action == "backup":
            keep = args.keep if args.keep is not None else load_settings().store.backup_keep
            path = store.backup(args.to, keep=max(1, keep))
            print(f"backup written: {path}")
            return 0
        if args.action == "retention":
            days = load_settings().store.retention_days
            deleted = store.run_retention(retention_days=days).result()
            print(f"retention: deleted {deleted} evidence items synced more than {days} days ago")
            return 0
        status = store.sync_status()
        counts = store.query("SELECT (SELECT count(*) FROM residents) AS residents,"
                             " (SELECT count(*) FROM certifications) AS certifications")[0]
        print(f"kiosk {store.kiosk_id}: {counts['residents']} residents,"
              f" {counts['certifications']} certifications, integrity"
              f" {store.integrity_check()}")
        print(f"outbox: {status.pending} pending, {status.pending_synthetic} synthetic,"
              f" {status.acknowledged} acknowledged")
    return 0
