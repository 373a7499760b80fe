"""`kiosk audit verify`: walk the hash-chained audit log and name the first broken row.

RECONSTRUCTED PLACEHOLDER. The store/sync engineer had created this file; the staff-console
engineer overwrote it by accident (their own commands now live in
`kiosk/staff/console_commands.py`). This stand-in only restores the `audit verify` command
that `kiosk/staff/audit.py` documents, using its public API. Store engineer: replace it with
your version.
"""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    audit = sub.add_parser("audit", help="the hash-chained audit log")
    asub = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = asub.add_parser("verify", help="check every row links to the one before")
    verify.set_defaults(func=_verify)


def _verify(args: argparse.Namespace) -> int:
    from kiosk.store.database import Store

    with Store.open() as store:
        report = store.verify_audit()
    print(report.describe())
    return 0 if report.ok else 1
