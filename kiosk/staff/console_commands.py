"""`kiosk staff add|list|reset-pin|unlock`, `kiosk thresholds show|set` and `kiosk roster import FILE [--dry-run]`.

Headless (no Qt): run on the counter PC by whoever installs or administers the kiosk. The
first admin is created here; PINs are read without echo (or from stdin with --pin-stdin, for
scripts). Registered from kiosk/cli.py AREA_COMMANDS as `kiosk.staff.console_commands`.
`kiosk report` and `kiosk slip` need Qt for PDFs and live in ui/staff/commands.py.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from kiosk.staff.labels import ROLE_ZH, fmt_local

CLI_ACTOR = "cli"
# reset-pin and unlock ask no PIN: whoever has a shell on the kiosk computer can read the
# database and key anyway, so shell access *is* admin access. Said plainly, and audited.
SHELL_IS_ADMIN = ("note: shell access to this computer is administrator access; this action"
                  " is recorded in the audit log as actor 'cli'.")


def register(sub: argparse._SubParsersAction) -> None:
    staff = sub.add_parser("staff", help="staff accounts: add, list, reset-pin, unlock")
    ssub = staff.add_subparsers(dest="staff_command", metavar="ACTION", required=True)
    add = ssub.add_parser("add", help="create a staff account (the first one: --role admin)")
    add.add_argument("username")
    add.add_argument("--role", choices=tuple(ROLE_ZH), default="operator")
    add.add_argument("--display-name", default="", help="shown in the console (default: NAME)")
    add.add_argument("--pin-stdin", action="store_true", help="read the PIN from stdin")
    add.set_defaults(func=_add)
    lst = ssub.add_parser("list", help="list staff accounts")
    lst.set_defaults(func=_list)
    reset = ssub.add_parser("reset-pin", help="set a new PIN (also clears a lockout)")
    reset.add_argument("username")
    reset.add_argument("--pin-stdin", action="store_true")
    reset.set_defaults(func=_reset)
    unl = ssub.add_parser("unlock", help="clear a lockout without changing the PIN")
    unl.add_argument("username")
    unl.set_defaults(func=_unlock)

    thr = sub.add_parser("thresholds", help="face thresholds: show, set (admin, audited)")
    tsub = thr.add_subparsers(dest="thresholds_command", metavar="ACTION", required=True)
    tshow = tsub.add_parser("show", help="the strict threshold and review band in force")
    tshow.add_argument("--model", default=None)
    tshow.set_defaults(func=_thresholds_show)
    tset = tsub.add_parser("set", help="change them (audited with old and new values)")
    tset.add_argument("--model", default=None, help="default: the [vision] model in force")
    tset.add_argument("--threshold", type=float, default=None)
    tset.add_argument("--band", type=float, default=None, help="review band width")
    tset.add_argument("--reason", default="", help="why (recorded in the audit log)")
    tset.add_argument("--i-have-recalibrated", action="store_true",
                      help="allow a strict threshold above the calibrated default")
    tset.set_defaults(func=_thresholds_set)

    rost = sub.add_parser("roster", help="import the resident roster from CSV or XLSX")
    rsub = rost.add_subparsers(dest="roster_command", metavar="ACTION", required=True)
    imp = rsub.add_parser("import", help="validate, then import in one transaction")
    imp.add_argument("file", type=Path)
    imp.add_argument("--dry-run", action="store_true", help="report only; write nothing")
    imp.add_argument("--by", metavar="USERNAME", default="",
                     help="the staff account doing the import (recorded in the audit log)")
    imp.add_argument("--reason", default="", help="why, e.g. 2026年度名册 (no names)")
    imp.set_defaults(func=_import)


def _read_pin(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().strip()
    first = getpass.getpass("PIN (6-12 digits): ")
    if getpass.getpass("PIN again: ") != first:
        raise SystemExit("the two PINs differ; nothing was changed")
    return first


def _open_store():  # noqa: ANN202 - Store, imported lazily to keep `kiosk --help` fast
    from kiosk.store.database import Store
    return Store.open()


def _add(args: argparse.Namespace) -> int:
    from kiosk.staff.accounts import StaffError
    from kiosk.staff.login import add_staff
    pin = _read_pin(args.pin_stdin)
    with _open_store() as store:
        try:
            add_staff(store, actor=CLI_ACTOR, username=args.username,
                      display_name=args.display_name or args.username, role=args.role, pin=pin)
        except StaffError as exc:
            print(f"not added: {exc}", file=sys.stderr)
            return 1
    print(f"added {args.username} ({args.role})")
    return 0


def _list(args: argparse.Namespace) -> int:
    from kiosk.staff.login import list_accounts
    with _open_store() as store:
        accounts = list_accounts(store)
    if not accounts:
        print("no staff accounts yet; create the first with: kiosk staff add NAME --role admin")
        return 0
    for a in accounts:
        state = "active" if a.active else "inactive"
        if a.locked_until:
            state += f", locked until {fmt_local(a.locked_until)}"
        print(f"{a.username:<16} {a.role:<10} {state}")
    return 0


def _reset(args: argparse.Namespace) -> int:
    from kiosk.staff.accounts import StaffError
    from kiosk.staff.login import reset_pin
    pin = _read_pin(args.pin_stdin)
    with _open_store() as store:
        try:
            reset_pin(store, actor=CLI_ACTOR, username=args.username, pin=pin)
        except StaffError as exc:
            print(f"not changed: {exc}", file=sys.stderr)
            return 1
    print(f"PIN reset for {args.username}")
    print(SHELL_IS_ADMIN)
    return 0


def _unlock(args: argparse.Namespace) -> int:
    from kiosk.staff.login import unlock_from_cli
    with _open_store() as store:
        ok = unlock_from_cli(store, args.username, actor=CLI_ACTOR)
    print(f"unlocked {args.username}" if ok else f"no user {args.username}")
    if ok:
        print(SHELL_IS_ADMIN)
    return 0 if ok else 1


def _thresholds_show(args: argparse.Namespace) -> int:
    from kiosk.config import load_settings
    from kiosk.staff.thresholds import current
    model, t, b = current(load_settings(), args.model)
    print(f"{model}: accept <= {t:.3f}, review up to {t + b:.3f} (band {b:.3f})")
    return 0


def _thresholds_set(args: argparse.Namespace) -> int:
    from kiosk.config import load_settings
    from kiosk.staff.thresholds import ThresholdError, set_face_band
    with _open_store() as store:
        try:
            ch = set_face_band(store, load_settings(), model=args.model,
                               threshold=args.threshold, review_band=args.band,
                               actor=CLI_ACTOR, reason=args.reason,
                               allow_above_calibrated=args.i_have_recalibrated)
        except ThresholdError as exc:
            print(f"not changed: {exc}", file=sys.stderr)
            return 1
    print(f"{ch.model}: threshold {ch.old_threshold:.3f} -> {ch.new_threshold:.3f}, band "
          f"{ch.old_band:.3f} -> {ch.new_band:.3f}")
    print(SHELL_IS_ADMIN)
    return 0


def _import(args: argparse.Namespace) -> int:
    from kiosk.staff.accounts import get_staff
    from kiosk.staff.roster_import import RosterFileError, import_roster
    with _open_store() as store:
        actor = CLI_ACTOR
        if args.by:
            account = store.read(lambda c: get_staff(c, args.by))
            if account is None or not account.active:
                print(f"no active staff account {args.by!r}", file=sys.stderr)
                return 2
            actor = account.username
        try:
            report = import_roster(store, args.file, actor=actor, dry_run=args.dry_run,
                                   why=args.reason.strip()[:80])
        except (RosterFileError, OSError) as exc:
            print(f"cannot read {args.file}: {exc}", file=sys.stderr)
            return 2
    for problem in report.errors:
        print(f"line {problem.line} [{problem.column}] {problem.code}: {problem.message_zh}")
    for over in report.overwrites:
        print(f"line {over.line} would update {over.masked_id_number}: {', '.join(over.changes)}")
    print(report.summary_zh())
    if not report.ok:
        return 1
    print("dry run: nothing written" if args.dry_run else "imported in one transaction")
    return 0
