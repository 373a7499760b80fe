"""Qt commands of the staff side: `kiosk staff-console`, `kiosk report`, `kiosk slip`.

`report` and `slip` write PDFs through Qt (QPdfWriter), so they live on the Qt side; with no
display they run on Qt's offscreen platform. CSV reports need no Qt but share the command.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.store.database import Store

if TYPE_CHECKING:   # not at import: the launcher registers this before the UI loads Qt
    from PySide6.QtWidgets import QWidget


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("staff-console", help="open the staff console as its own window")
    p.add_argument("--windowed", action="store_true", help="a window instead of fullscreen")
    p.set_defaults(func=_console)
    p = sub.add_parser("report", help="daily/monthly certification report as PDF or CSV")
    p.add_argument("--from", dest="first", required=True, type=dt.date.fromisoformat,
                   metavar="YYYY-MM-DD")
    p.add_argument("--to", dest="last", required=True, type=dt.date.fromisoformat,
                   metavar="YYYY-MM-DD")
    p.add_argument("--monthly", action="store_true", help="one row per month (default: day)")
    p.add_argument("--out", required=True, type=Path, help="FILE.pdf or FILE.csv")
    p.set_defaults(func=_report)
    p = sub.add_parser("slip", help="write a certification slip (凭条) as PDF")
    p.add_argument("cert_id", help="certification UUID")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--layout", choices=("58mm", "80mm", "A4"), default="80mm")
    p.add_argument("--print", dest="to_printer", action="store_true",
                   help="also send it to the default printer, when there is one")
    p.set_defaults(func=_slip)


def _qt_app() -> None:
    if not os.environ.get("DISPLAY") and sys.platform.startswith("linux"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from ui.app import make_app
    make_app()


def _report(args: argparse.Namespace) -> int:
    from kiosk.config import load_settings
    from kiosk.staff import reports
    from kiosk.store.database import Store
    suffix = args.out.suffix.lower()
    if suffix not in (".pdf", ".csv"):
        print("--out must end in .pdf or .csv", file=sys.stderr)
        return 2
    settings = load_settings()
    with Store.open() as store:
        report = reports.build_report(store, args.first, args.last,
                                      granularity="month" if args.monthly else "day",
                                      centre=settings.kiosk.centre_name)
        if suffix == ".csv":
            reports.write_report_csv(report, str(args.out))
        else:
            _qt_app()
            from ui.staff.pdf import write_report_pdf
            write_report_pdf(report, args.out)
        store.audit(actor="cli", action="report.exported",
                    detail={"kind": suffix[1:], "from": args.first.isoformat(),
                            "to": args.last.isoformat()}).result()
    print(f"{report.totals.total} certifications, pass rate "
          f"{'' if report.totals.pass_rate is None else f'{report.totals.pass_rate:.1%}'}"
          f" -> {args.out}")
    return 0


def _slip(args: argparse.Namespace) -> int:
    from kiosk.config import load_settings
    from kiosk.staff.slips import SlipError, slip_for
    from kiosk.store.database import Store
    with Store.open() as store:
        try:
            content = slip_for(store, args.cert_id, load_settings())
        except SlipError as exc:
            print(f"no slip: {exc}", file=sys.stderr)
            return 1
        _qt_app()
        from ui.staff.pdf import print_slip, write_slip_pdf
        write_slip_pdf(content, args.out, layout=args.layout)
        printed = args.to_printer and print_slip(content, layout=args.layout)
        store.audit(actor="cli", action="slip.printed", subject=content.certification_uuid,
                    detail={"layout": args.layout, "printer": bool(printed)}).result()
    print(f"slip written: {args.out}" + (" (and printed)" if printed else ""))
    return 0


def open_console_over(parent: QWidget | None = None, *, fullscreen: bool = False,
                      store: Store | None = None) -> QWidget:
    """A console window (over the kiosk when `parent` is given); closes back to it.

    `store`: the kiosk window's open store, so one process has ONE writer on the database
    file; the console then leaves it open when it closes. Without it (the counter PC's own
    `kiosk staff-console`) the console opens its own store and closes it afterwards.
    """
    from kiosk.config import load_settings
    from ui.staff.base import ConsoleContext
    from ui.staff.console import StaffConsole
    own = store is None
    if store is None:
        store = Store.open()
    console = StaffConsole(ConsoleContext(store=store, settings=load_settings()))
    console.setWindowTitle("安心认证 · 工作人员")
    console.setProperty("owns_store", own)

    def close() -> None:
        console.shutdown()
        console.close()
        if own:
            store.close()
    console.closed.connect(close)
    console.leave_fullscreen.connect(lambda: (parent or console).showNormal())
    console.resize(1366, 860)
    if fullscreen:
        console.showFullScreen()
    else:
        console.show()
    console.raise_()
    return console


def _console(args: argparse.Namespace) -> int:
    from ui.app import make_app
    app = make_app()
    console = open_console_over(None, fullscreen=not args.windowed)
    console.closed.connect(app.quit)
    return app.exec()
