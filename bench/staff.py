"""Staff-side figures: a clean 5,000-row roster import (CSV and XLSX), a month's report,
the Today page's kiosk notes over a long audit log (beside a bare full scan of that log).
Prints timings; asserts nothing about speed (tests never time things).

    uv run python bench/staff.py [--rows 5000] [--audit-rows 100000]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import tempfile
import time
from pathlib import Path

from kiosk.idcard.number import check_digit
from kiosk.staff import notes, reports, roster_import
from kiosk.store.crypto import StoreKey
from kiosk.store.database import Store
from kiosk.store.records import NewCertification

NAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"


def numbers(n: int, rng: random.Random) -> list[str]:
    seen: set[str] = set()
    while len(seen) < n:
        body = (f"3201{rng.randint(0, 99):02d}{rng.randint(1930, 1965)}"
                f"{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}")
        seen.add(body + check_digit(body))
    return sorted(seen)


def write_files(folder: Path, rows: int) -> tuple[Path, Path]:
    rng = random.Random(7)
    data = [[f"R{i:06d}", rng.choice(NAMES) + rng.choice(NAMES), number, f"幸福路{i}号",
             f"138{i:08d}"] for i, number in enumerate(numbers(rows, rng))]
    header = ["编号", "姓名", "身份证号", "住址", "电话"]
    csv_path = folder / "roster.csv"
    with open(csv_path, "w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(data)
    from openpyxl import Workbook
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(header)
    for r in data:
        sheet.append(r)
    xlsx_path = folder / "roster.xlsx"
    book.save(xlsx_path)
    return csv_path, xlsx_path


def timed(label: str, fn):  # noqa: ANN001, ANN201
    t0 = time.perf_counter()
    result = fn()
    print(f"{label:<44} {time.perf_counter() - t0:7.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--audit-rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ["KIOSK_HOME"] = tmp
        csv_path, xlsx_path = write_files(folder, args.rows)
        keys = {}
        for path in (csv_path, xlsx_path):
            keys[path.suffix] = StoreKey.generate()
            store = Store.open(folder / f"{path.suffix[1:]}.sqlite3", key=keys[path.suffix],
                               kiosk_id="bench", ship_face_images=False)
            report = timed(f"validate {args.rows} rows ({path.suffix})",
                           lambda p=path, s=store: roster_import.validate_file(s, p))
            assert report.ok and report.new == args.rows, report.summary_zh()
            timed(f"write {args.rows} rows in one transaction",
                  lambda r=report, s=store: roster_import.apply_import(s, r, actor="bench"))
            again = timed("re-validate same file (all unchanged)",
                          lambda p=path, s=store: roster_import.validate_file(s, p))
            assert again.unchanged == args.rows
            store.close()
        # the same key: a store refuses to open with another one (kiosk.store.integrity)
        store = Store.open(folder / "csv.sqlite3", key=keys[".csv"], kiosk_id="bench")
        ids = [r["id"] for r in store.query("SELECT id FROM residents LIMIT 2000")]
        start = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)

        def certify() -> None:
            def tx(conn):  # noqa: ANN001, ANN202
                from kiosk.store.certifications import save_certification
                for i, rid in enumerate(ids):
                    at = (start + dt.timedelta(minutes=20 * i)).isoformat()
                    save_certification(conn, store.key, NewCertification(
                        resident_id=rid, channel="kiosk_self", result="passed",
                        started_at=at, finished_at=at))
            store.write(tx).result()
        timed(f"record {len(ids)} certifications (one transaction)", certify)
        month = timed("build a month's daily report", lambda: reports.build_report(
            store, dt.date(2025, 3, 1), dt.date(2025, 3, 31)))
        print(f"  report: {month.totals.total} certifications in {len(month.periods)} days")
        store.close()
        bench_notes(folder, args.audit_rows)


def bench_notes(folder: Path, rows: int) -> None:
    """The Today page reads its notes (newest seen mark, newest 8, new count) on the staff
    thread pool every 10 s while it is shown: timed over an audit log of `rows` rows with 50 notes spread in it,
    beside the raw peer — one bare full scan of the same log."""
    from kiosk.store.audit import append_audit

    store = Store.open(folder / "audit.sqlite3", key=StoreKey.generate(), kiosk_id="bench")

    def fill(conn):  # noqa: ANN001, ANN202
        every = max(1, rows // 50)
        for i in range(rows):
            if i % every == 0:
                append_audit(conn, store.key.audit_key, actor="kiosk", action=notes.NOTE,
                             detail={"reason": "chip_expired"})
            else:
                append_audit(conn, store.key.audit_key, actor="op1", action="resident.viewed",
                             detail={"n": i})
    timed(f"fill an audit log of {rows} rows", lambda: store.write(fill).result())
    for _ in range(2):
        timed("  raw peer: SELECT COUNT(*) FROM audit_log (full scan)",
              lambda: store.query("SELECT COUNT(*) AS n FROM audit_log WHERE detail != ''"))
        timed("  Today page notes: seen mark + newest 8 + new count",
              lambda: (notes.recent(store), notes.new_count(store)))
    store.close()


if __name__ == "__main__":
    main()
