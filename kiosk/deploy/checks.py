"""Robustness checks for `kiosk selftest`: disk space, clock, database state, upgrade safety.

Each check reads only (it never repairs or deletes: a damaged database is evidence to keep),
and says in plain words what is wrong and what staff should do. `CheckResult` and
`run_guarded` live here (the selftest builds on them, never the other way round).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from kiosk import paths
from kiosk.store.integrity import describe_database_error

DISK_FAIL_BYTES = 100 * 2**20        # below this a certification may not be saved
DISK_WARN_BYTES = 1024 * 2**20       # below this, a few weeks of evidence at most
CLOCK_SLACK = dt.timedelta(minutes=10)
# (table, column) pairs holding UTC ISO times written by the store; the newest one bounds
# the clock from below. Missing tables/columns are skipped (older or newer schemas).
RECORD_TIMES = (("audit_log", "at"), ("certifications", "finished_at"),
                ("certifications", "created_at"), ("attempts", "finished_at"),
                ("outbox", "created_at"), ("home_visits", "updated_at"))


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: str          # ok | warn | fail
    reason: str


def run_guarded(checks: Iterable[Callable[[], list[CheckResult]]]) -> list[CheckResult]:
    """Run each check; one that breaks is reported as failed and the rest still run."""
    results: list[CheckResult] = []
    for check in checks:
        try:
            results.extend(check())
        except Exception as exc:  # noqa: BLE001 - a broken check is a failed check
            results.append(CheckResult(check.__name__.removeprefix("check_"), "fail",
                                       f"{type(exc).__name__}: {exc}"))
    return results


def check_disk(path: Path | None = None) -> list[CheckResult]:
    """The data folder's disk: nearly full means certifications could not be saved."""
    folder = path or paths.data_dir()
    usage = shutil.disk_usage(folder)
    free_mb = usage.free // 2**20
    if usage.free < DISK_FAIL_BYTES:
        return [CheckResult("disk", "fail", f"only {free_mb} MB free on the disk holding "
                            f"{folder}; results may not be saved. Free space (old exports, "
                            "downloads) before serving residents")]
    if usage.free < DISK_WARN_BYTES:
        return [CheckResult("disk", "warn", f"only {free_mb} MB free on the disk holding "
                            f"{folder}; sync and export soon, then free space")]
    return [CheckResult("disk", "ok", f"{free_mb} MB free for {folder}")]


def build_time() -> dt.datetime:
    """When this program was built (bundle's build_info.json), else its newest source file."""
    info = paths.app_root() / "build_info.json"
    try:
        return dt.datetime.fromisoformat(json.loads(info.read_text("utf-8"))["built_at"])
    except (OSError, ValueError, KeyError):
        pass
    newest = max(p.stat().st_mtime for p in (paths.app_root() / "kiosk").rglob("*.py"))
    return dt.datetime.fromtimestamp(newest, dt.UTC)


def _parse_time(value: object) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def newest_record_time(db_path: Path | None = None) -> dt.datetime | None:
    """The latest time the store has written, read-only; None for no or unreadable data."""
    db_path = db_path or paths.database_path()
    if not db_path.is_file():
        return None
    try:
        con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=2)
    except sqlite3.Error:
        return None
    newest: dt.datetime | None = None
    try:
        for table, column in RECORD_TIMES:
            try:
                value = con.execute(f'SELECT max("{column}") FROM "{table}"').fetchone()[0]
            except sqlite3.Error:
                continue
            parsed = _parse_time(value)
            if parsed is not None and (newest is None or parsed > newest):
                newest = parsed
    finally:
        con.close()
    return newest


def check_clock(now: dt.datetime | None = None, *, db_path: Path | None = None
                ) -> list[CheckResult]:
    """A clock set in the past would date certifications wrongly and break due windows."""
    now = now or dt.datetime.now(dt.UTC)
    built = build_time()
    if now + CLOCK_SLACK < built:
        return [CheckResult("clock", "fail", f"the clock says {now:%Y-%m-%d %H:%M} UTC, before "
                            f"this program was built ({built:%Y-%m-%d}); set the date and "
                            "time in the system settings")]
    newest = newest_record_time(db_path)
    if newest is not None and now + CLOCK_SLACK < newest:
        return [CheckResult("clock", "fail", f"the clock says {now:%Y-%m-%d %H:%M} UTC, before "
                            f"the newest saved record ({newest:%Y-%m-%d %H:%M} UTC); set "
                            "the date and time before serving residents")]
    if now.year > built.year + 5:
        return [CheckResult("clock", "warn", f"the clock says {now:%Y-%m-%d}, more than five "
                            "years after this program was built; check the date")]
    return [CheckResult("clock", "ok", f"{now:%Y-%m-%d %H:%M} UTC is after the build and "
                        "the newest record")]


def check_schema(db_path: Path | None = None) -> list[CheckResult]:
    """Upgrade safety: a database newer than this program means a downgrade went wrong."""
    db_path = db_path or paths.database_path()
    if not db_path.is_file():
        return [CheckResult("schema", "ok", "no database yet; made at first start")]
    try:
        from kiosk.store.migrations import LATEST
    except ImportError:
        return []
    try:
        con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=2)
        try:
            version = int(con.execute("PRAGMA user_version").fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error as exc:
        return [CheckResult("schema", "fail", describe_database_error(db_path, exc))]
    backups = sorted(p.name for p in db_path.parent.glob(f"{db_path.name}.v*.bak"))
    if version > LATEST:
        return [CheckResult("schema", "fail", f"the database is schema v{version}, newer than "
                            f"this program (v{LATEST}); install the newer version again or "
                            f"restore a backup ({', '.join(backups) or 'none found'})")]
    if version == 0:
        return [CheckResult("schema", "ok", f"new database; the store makes schema v{LATEST} "
                            "at first start")]
    if version < LATEST:
        return [CheckResult("schema", "ok", f"schema v{version}; upgrades to v{LATEST} at "
                            "the next start, after a backup")]
    return [CheckResult("schema", "ok", f"schema v{version} (current)")]


def check_restarts() -> list[CheckResult]:
    """Several UI restarts in a day point at a crash the staff should report."""
    from kiosk.deploy.supervisor import recent_events

    restarts = [e for e in recent_events(86400.0) if e.get("event") == "restart"]
    if len(restarts) >= 3:
        last = restarts[-1]
        return [CheckResult("restarts", "warn", f"the kiosk screen restarted {len(restarts)} "
                            f"times in 24 h (last: {last.get('reason')}, "
                            f"{last.get('detail')}); send the logs folder to support")]
    return [CheckResult("restarts", "ok", f"{len(restarts)} UI restart(s) in 24 h")]


DEPLOY_CHECKS = (check_disk, check_clock, check_schema, check_restarts)


def run_all() -> list[CheckResult]:
    """Every deployment check; one that breaks is reported as failed, the rest still run."""
    return run_guarded(DEPLOY_CHECKS)
