"""`kiosk selftest`: is there a second kiosk database on this machine?

A kiosk started without its machine-wide data folder (an exe double-clicked in a staff
session before the machine variable reached it, an old per-user install) makes a new, empty
store and serves from it; the county later finds residents "missing". The self-test looks
in every folder a kiosk on this machine may have used (kiosk/paths.py `store_locations`)
and says so loudly: a FAIL when the other database holds certifications (records are split
between two stores, or the kiosk is serving from the wrong one), a WARN when it is an empty
leftover. It only reads the other file (read-only open) and never moves or deletes it:
merging two stores is a staff decision (docs/deployment.md, "A second database").
"""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePath

from kiosk import paths
from kiosk.deploy.checks import CheckResult

DB_NAME = "kiosk.sqlite3"


@dataclass(frozen=True)
class OtherStore:
    path: Path
    certifications: int | None      # None: no such table or unreadable


def count_certifications(path: Path) -> int | None:
    """Rows in `certifications`, read-only (the file may be another kiosk's live store)."""
    try:
        con = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=2)
        try:
            return int(con.execute("SELECT count(*) FROM certifications").fetchone()[0])
        finally:
            con.close()
    except (sqlite3.Error, ValueError):
        return None


def other_stores(locations: list[PurePath]) -> list[OtherStore]:
    """Databases in every location but the first (the one in use)."""
    found = []
    for place in locations[1:]:
        db = Path(place) / DB_NAME
        if db.is_file():
            found.append(OtherStore(db, count_certifications(db)))
    return found


def check_second_store(*, platform: str = sys.platform, env: Mapping[str, str] | None = None,
                       frozen: bool | None = None) -> list[CheckResult]:
    env = os.environ if env is None else env
    frozen = paths.is_frozen() if frozen is None else frozen
    locations = paths.store_locations(platform=platform, env=env, frozen=frozen)
    current = Path(locations[0]) / DB_NAME
    others = other_stores(locations)
    if not others:
        return [CheckResult("second_store", "ok", f"one kiosk database on this machine "
                            f"({current})")]
    mine = count_certifications(current) if current.is_file() else 0
    results = []
    for other in others:
        if other.certifications:
            results.append(CheckResult(
                "second_store", "fail",
                f"SECOND KIOSK DATABASE FOUND: {other.path} holds {other.certifications} "
                f"certification(s) while this kiosk uses {current} ({mine or 0}). Records "
                "are split between two stores. Stop the kiosk and call county IT: check "
                "KIOSK_HOME, then merge by exporting from one and importing into the other; "
                "never delete either file"))
        else:
            results.append(CheckResult(
                "second_store", "warn",
                f"second kiosk database {other.path} (no certifications in it) beside the "
                f"one in use, {current}. A kiosk was once started with another data folder; "
                "check KIOSK_HOME and the shortcut that started it"))
    return results
