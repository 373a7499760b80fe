"""`kiosk eval idcard --manifest CSV [--json]`: per-field accuracy of the card reader.

Manifest columns: path,side,name,sex,ethnicity,birth,address,id_number (an empty cell = not
known, not scored). Paths are relative to the manifest's folder. `side` is front or back;
"front+back" or empty means either. Birth may be written 1999-09-09 or 1999年9月9日.
Nothing personal is printed: only rates, counts, reason codes and file names.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCORED = ("name", "sex", "ethnicity", "birth", "address", "id_number")


@dataclass
class EvalReport:
    cards: int = 0
    read: int = 0
    rejected: Counter = field(default_factory=Counter)
    right: Counter = field(default_factory=Counter)
    known: Counter = field(default_factory=Counter)
    times: list[float] = field(default_factory=list)
    missing_files: list[str] = field(default_factory=list)
    per_file: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "cards": self.cards, "read": self.read,
            "rejected": dict(self.rejected),
            "field_accuracy": {k: round(self.right[k] / self.known[k], 4)
                               for k in SCORED if self.known[k]},
            "field_counts": {k: [self.right[k], self.known[k]] for k in SCORED if self.known[k]},
            "mean_read_s": round(sum(self.times) / len(self.times), 3) if self.times else None,
            "missing_files": self.missing_files,
            "per_file": self.per_file,
        }


def _norm(key: str, value: str) -> str:
    value = value.strip().replace(" ", "")
    if key == "birth":
        m = re.fullmatch(r"(\d{4})\D(\d{1,2})\D(\d{1,2})\D?", value)
        if m:
            try:
                return dt.date(*map(int, m.groups())).isoformat()
            except ValueError:
                return value
    if key == "id_number":
        return value.upper()
    return value


def run_eval(manifest: Path, *, ocr: Any = None) -> EvalReport:
    """Read every card listed and compare field by field (exact match after trimming)."""
    import cv2

    from kiosk.idcard.ocr import get_ocr
    from kiosk.idcard.read import read_card

    ocr = ocr or get_ocr()
    report = EvalReport()
    with manifest.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        path = Path(row["path"])
        if not path.is_absolute():
            path = manifest.parent / path
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            report.missing_files.append(row["path"])
            continue
        side = (row.get("side") or "").strip()
        want = side if side in ("front", "back") else None
        t0 = time.perf_counter()
        result = read_card(image, ocr=ocr, want=want, reject_copies=False)
        report.times.append(time.perf_counter() - t0)
        report.cards += 1
        entry: dict[str, Any] = {"path": row["path"], "reason": result.reason,
                                 "side": result.side, "route": result.route, "wrong": []}
        if result.ok:
            report.read += 1
        else:
            report.rejected[result.reason] += 1
        for key in SCORED:
            expected = _norm(key, row.get(key) or "")
            if not expected:
                continue
            report.known[key] += 1
            if _norm(key, result.fields.get(key, "")) == expected:
                report.right[key] += 1
            else:
                entry["wrong"].append(key)
        report.per_file.append(entry)
    return report


def print_report(report: EvalReport) -> None:
    d = report.as_dict()
    print(f"cards: {d['cards']}   read: {d['read']}   "
          f"mean read time: {d['mean_read_s']} s")
    print("per-field exact match:")
    for key in SCORED:
        if key in d["field_accuracy"]:
            right, known = d["field_counts"][key]
            print(f"  {key:<10} {100 * d['field_accuracy'][key]:5.1f} %  ({right}/{known})")
    if d["rejected"]:
        print("rejected:")
        for reason, n in sorted(d["rejected"].items(), key=lambda kv: -kv[1]):
            print(f"  {reason:<18} {n}")
    for entry in d["per_file"]:
        if entry["reason"] != "ok" or entry["wrong"]:
            print(f"  {entry['path']}: {entry['reason']}"
                  + (f", wrong: {', '.join(entry['wrong'])}" if entry["wrong"] else ""))
    for name in d["missing_files"]:
        print(f"  missing file: {name}")


def main(args: argparse.Namespace) -> int:
    """Entry for `kiosk eval idcard` (args.manifest, args.json)."""
    manifest = Path(args.manifest)
    if not manifest.is_file():
        print(f"manifest not found: {manifest}")
        return 2
    report = run_eval(manifest)
    if getattr(args, "json", False):
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=1))
    else:
        print_report(report)
    return 0
