"""Selftest robustness checks on real files: full disk, locked or damaged database, wrong
clock, schema newer than the program, and a failed migration that leaves the old version
working."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from collections import namedtuple
from pathlib import Path

import pytest

from kiosk import paths, selftest
from kiosk.deploy import checks

Usage = namedtuple("Usage", "total used free")
UTC = dt.UTC


def _by_name(results, name):
    return next(r for r in results if r.name == name)


def test_disk_nearly_full_fails_and_low_disk_warns(monkeypatch, tmp_path: Path) -> None:
    # a context, not monkeypatch.undo(): undo() would also drop the test's own KIOSK_HOME
    with monkeypatch.context() as m:
        m.setattr(checks.shutil, "disk_usage", lambda _: Usage(10**10, 0, 50 * 2**20))
        [full] = checks.check_disk(tmp_path)
        assert full.status == "fail" and "50 MB free" in full.reason
        m.setattr(checks.shutil, "disk_usage", lambda _: Usage(10**10, 0, 500 * 2**20))
        assert checks.check_disk(tmp_path)[0].status == "warn"
    assert checks.check_disk(tmp_path)[0].status in ("ok", "warn")


def test_full_disk_makes_the_selftest_say_it_cannot_serve(monkeypatch) -> None:
    monkeypatch.setattr(checks.shutil, "disk_usage", lambda _: Usage(10**10, 0, 10 * 2**20))
    monkeypatch.setattr(selftest, "CHECKS", [selftest.check_deployment])
    results = selftest.run_checks()
    assert _by_name(results, "disk").status == "fail"


def test_locked_database_is_reported_in_plain_words(monkeypatch) -> None:
    db = paths.database_path()
    holder = sqlite3.connect(db)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    real_connect = sqlite3.connect
    monkeypatch.setattr(selftest.sqlite3, "connect",
                        lambda *a, **k: real_connect(*a, **{**k, "timeout": 0.2}))
    try:
        [result] = selftest.check_database()
    finally:
        holder.rollback()
        holder.close()
    assert result.status == "fail"
    assert "locked by another program" in result.reason


def test_corrupt_database_is_reported_and_left_untouched() -> None:
    db = paths.database_path()
    garbage = b"this is not a database, it is what a power cut left behind\n" * 100
    db.write_bytes(garbage)
    [result] = selftest.check_database()
    assert result.status == "fail" and "damaged; do not delete it" in result.reason
    assert db.read_bytes() == garbage          # nothing repaired, nothing lost
    assert _by_name(checks.check_schema(), "schema").status == "fail"


def _db_with_audit(at: str) -> Path:
    db = paths.database_path()
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE audit_log (seq INTEGER PRIMARY KEY, at TEXT NOT NULL)")
    con.execute("INSERT INTO audit_log (at) VALUES (?)", (at,))
    con.commit()
    con.close()
    return db


def test_clock_before_the_build_fails() -> None:
    [result] = checks.check_clock(dt.datetime(2001, 1, 1, tzinfo=UTC))
    assert result.status == "fail" and "before this program was built" in result.reason


def test_clock_before_the_newest_record_fails() -> None:
    now = dt.datetime.now(UTC)
    _db_with_audit((now + dt.timedelta(days=3)).isoformat(timespec="microseconds"))
    [result] = checks.check_clock(now)
    assert result.status == "fail" and "newest saved record" in result.reason
    [ok] = checks.check_clock(now + dt.timedelta(days=3, minutes=1))
    assert ok.status == "ok"


def test_clock_far_in_the_future_warns() -> None:
    [result] = checks.check_clock(dt.datetime.now(UTC) + dt.timedelta(days=365 * 8))
    assert result.status == "warn"


def test_build_time_comes_from_build_info_when_bundled(monkeypatch, tmp_path: Path) -> None:
    (tmp_path / "build_info.json").write_text('{"built_at": "2030-05-01T00:00:00+00:00"}')
    monkeypatch.setattr(checks.paths, "app_root", lambda: tmp_path)
    assert checks.build_time() == dt.datetime(2030, 5, 1, tzinfo=UTC)
    [result] = checks.check_clock(dt.datetime(2029, 1, 1, tzinfo=UTC))
    assert result.status == "fail"


def test_schema_newer_than_the_program_fails_with_the_backups_named() -> None:
    from kiosk.store.migrations import LATEST

    db = paths.database_path()
    con = sqlite3.connect(db)
    con.execute(f"PRAGMA user_version = {LATEST + 1}")
    con.close()
    db.with_name(db.name + f".v{LATEST}.bak").write_bytes(b"")
    [result] = checks.check_schema()
    assert result.status == "fail" and f"kiosk.sqlite3.v{LATEST}.bak" in result.reason


def test_failed_migration_rolls_back_and_the_old_version_still_starts(monkeypatch) -> None:
    """Upgrade safety: a new step that fails halfway leaves the file exactly at the old
    version (with a backup beside it); the old program opens and uses it as before."""
    from kiosk.store import migrations

    db = paths.database_path()
    con = sqlite3.connect(db, isolation_level=None)
    migrations.migrate(con, db)                         # "the old version": schema LATEST
    old = migrations.LATEST
    con.execute("INSERT INTO meta (key, value) VALUES ('kiosk_id', 'K-1')")
    before = con.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()

    def broken_step(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE certifications ADD COLUMN upgraded INTEGER")
        conn.execute("CREATE TABLE half_done (x)")
        raise sqlite3.OperationalError("disk I/O error (simulated power loss)")

    with monkeypatch.context() as m:                    # "the new version"
        m.setattr(migrations, "MIGRATIONS", (*migrations.MIGRATIONS, broken_step))
        m.setattr(migrations, "LATEST", old + 1)
        with pytest.raises(sqlite3.OperationalError):
            migrations.migrate(con, db, target=old + 1)
        assert migrations.schema_version(con) == old
        assert con.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall() == before
        assert db.with_name(f"{db.name}.v{old}.bak").is_file()
        con.close()

    assert str(db).startswith(str(paths.data_dir()))    # still the test's own data folder
    con = sqlite3.connect(db, isolation_level=None)
    assert migrations.migrate(con, db) == []
    assert con.execute("SELECT value FROM meta WHERE key='kiosk_id'").fetchone() == ("K-1",)
    con.close()
    assert _by_name(checks.check_schema(), "schema").status == "ok"
    db_check = _by_name(selftest.check_database(), "database")
    assert db_check.status == "ok", db_check.reason


def test_many_restarts_in_a_day_warn(tmp_path: Path) -> None:
    import json

    log = paths.logs_dir() / "supervisor-events.jsonl"
    now = dt.datetime.now(UTC).isoformat(timespec="seconds")
    log.write_text("".join(json.dumps({"at": now, "event": "restart", "reason": "crashed",
                                       "detail": "exited with code 1"}) + "\n"
                           for _ in range(3)))
    [result] = checks.check_restarts()
    assert result.status == "warn" and "3 times" in result.reason


def test_low_disk_is_reported_once_by_one_check(monkeypatch) -> None:
    """One disk check with one pair of limits: 150 MB free warns (disk) and the database
    check says nothing about space (it used to warn on its own 200 MB limit as well)."""
    monkeypatch.setattr(shutil, "disk_usage", lambda _: Usage(10**10, 0, 150 * 2**20))
    monkeypatch.setattr(selftest, "CHECKS", [selftest.check_database, selftest.check_deployment])
    results = selftest.run_checks()
    about_space = [r for r in results if "MB" in r.reason and "free" in r.reason]
    assert [r.name for r in about_space] == ["disk"] and about_space[0].status == "warn"
    assert _by_name(results, "database").status == "ok"
