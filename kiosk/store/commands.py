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
    p = sub.add_parser("store", help="local database: status, retention")
    p.add_argument("action", choices=("status", "retention"))
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


def cmd_store(args: argparse.Namespace) -> int:
    from kiosk.config import load_settings
    from kiosk.store.database import Store

    with Store.open() as store:
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
