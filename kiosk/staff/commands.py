"""`kiosk audit verify|tail`: the hash-chained audit log from the command line.

`verify` walks the chain and names the first broken row (exit 1); `tail` shows the newest
rows (actor, action, subject — never a name or a full ID number, by construction).
"""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    audit = sub.add_parser("audit", help="the hash-chained audit log")
    asub = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = asub.add_parser("verify", help="check every row links to the one before")
    verify.set_defaults(func=_verify)
    tail = asub.add_parser("tail", help="the newest audit rows")
    tail.add_argument("-n", type=int, default=20, help="how many rows (default 20)")
    tail.add_argument("--json", action="store_true")
    tail.set_defaults(func=_tail)


def _verify(args: argparse.Namespace) -> int:
    from kiosk.store.database import Store

    with Store.open() as store:
        report = store.verify_audit()
    print(report.describe())
    return 0 if report.ok else 1


def _tail(args: argparse.Namespace) -> int:
    from kiosk.store.audit import recent_audit
    from kiosk.store.database import Store

    with Store.open() as store:
        rows = store.read(lambda c: recent_audit(c, limit=max(1, args.n)))
    if args.json:
        print(json.dumps([r.__dict__ for r in rows], ensure_ascii=False, indent=2))
        return 0
    for r in reversed(rows):
        print(f"{r.seq:6d} {r.at} {r.actor:>12} {r.action:<28} {r.subject}")
    return 0
