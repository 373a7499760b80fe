"""A store that cannot be trusted is refused at open, with plain words and nothing written:
a missing or different key, pages corrupted mid-file. Backups (online, rotated) and restore.
Real SQLite files, real key files, real corruption."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sqlite3
from pathlib import Path

import pytest
from real_standins import corrupt_mid_file

from kiosk.cli import main as kiosk_main
from kiosk.store.backup import NightlyBackup, list_backups, make_backup
from kiosk.store.crypto import key_path
from kiosk.store.database import Store
from kiosk.store.integrity import StoreDamaged, StoreKeyMismatch
from kiosk.store.simulate import simulate


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def filled(kiosk_home: Path) -> Path:
    db = kiosk_home / "kiosk.sqlite3"
    with Store.open(db, kiosk_id="k-int") as store:
        simulate(store, residents=60, certifications=40, seed=3, with_evidence=False)
    return db


def test_deleted_key_stops_with_a_plain_message_and_no_new_key(filled: Path) -> None:
    key = key_path(filled.parent)
    key.unlink()
    before = _digest(filled)
    with pytest.raises(StoreKeyMismatch) as err:
        Store.open(filled, kiosk_id="k-int")
    assert "store.key" in err.value.message and "备份" in err.value.message
    assert not key.exists()                       # no new key made in its place
    assert _digest(filled) == before              # nothing written


def test_a_different_key_is_refused_before_anything_is_written(filled: Path) -> None:
    key = key_path(filled.parent)
    with Store.open(filled, kiosk_id="k-int") as store:
        fingerprint = store.key.fingerprint
    key.unlink()
    other = filled.parent / "other"
    with Store.open(other / "kiosk.sqlite3", kiosk_id="x"):
        pass
    os.replace(key_path(other), key)
    before = _digest(filled)
    with pytest.raises(StoreKeyMismatch) as err:
        Store.open(filled, kiosk_id="k-int")
    assert fingerprint in err.value.message
    assert _digest(filled) == before


def test_a_brand_new_store_makes_its_first_key(tmp_path: Path) -> None:
    db = tmp_path / "new" / "kiosk.sqlite3"
    with Store.open(db, kiosk_id="fresh") as store:
        assert store.meta("key_fingerprint") == store.key.fingerprint
    assert key_path(db.parent).exists()
    with Store.open(db, kiosk_id="fresh"):        # and opens again with it
        pass




def test_damaged_file_is_refused_copied_aside_and_restorable(
        filled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Store.open(filled, kiosk_id="k-int") as store:
        backup = store.backup()
        residents = store.query("SELECT count(*) AS n FROM residents")[0]["n"]
    corrupt_mid_file(filled)
    with pytest.raises(StoreDamaged) as err:
        Store.open(filled, kiosk_id="k-int")
    assert "损坏" in err.value.message and f"kiosk store restore {backup}" in err.value.message
    asides = list(filled.parent.glob("kiosk.sqlite3.damaged-*"))
    assert len(asides) == 1
    # The command line says the same in plain words, no traceback.
    assert kiosk_main(["store", "status"]) == 3
    assert "kiosk store restore" in capsys.readouterr().err
    assert kiosk_main(["store", "restore", str(backup)]) == 0
    with Store.open(filled, kiosk_id="k-int") as store:
        assert store.integrity_check() == "ok"
        assert store.query("SELECT count(*) AS n FROM residents")[0]["n"] == residents


def test_restore_refuses_a_backup_of_another_key(filled: Path, tmp_path: Path) -> None:
    other = tmp_path / "other" / "kiosk.sqlite3"
    with Store.open(other, kiosk_id="o") as store:
        foreign = store.backup()
    before = _digest(filled)
    assert kiosk_main(["store", "restore", str(foreign)]) == 3
    assert _digest(filled) == before


def test_backups_rotate_and_each_copy_is_a_whole_store(filled: Path, tmp_path: Path) -> None:
    folder = tmp_path / "second-disk"
    start = dt.datetime(2026, 1, 1, 2, 0)
    with Store.open(filled, kiosk_id="k-int") as store:
        source = sqlite3.connect(filled)
        for day in range(9):
            make_backup(source, folder, keep=3, now=start + dt.timedelta(days=day))
        source.close()
        fingerprint = store.key.fingerprint
    kept = list_backups(filled, folder)
    assert [p.name for p in kept] == [f"kiosk-2026010{d}T020000.sqlite3" for d in (7, 8, 9)]
    for path in kept:
        assert path.stat().st_mode & 0o077 == 0
        con = sqlite3.connect(path)
        assert con.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        assert con.execute("SELECT value FROM meta WHERE key='key_fingerprint'"
                           ).fetchone()[0] == fingerprint
        assert con.execute("SELECT count(*) FROM certifications").fetchone()[0] == 40
        con.close()


def test_nightly_backup_runs_once_a_night_and_at_start_when_stale() -> None:
    runs: list[dt.datetime] = []
    now = [dt.datetime(2026, 3, 1, 14, 0)]
    newest: list[dt.datetime | None] = [None]

    def run() -> Path:
        runs.append(now[0])
        newest[0] = now[0]
        return Path("x")
    nightly = NightlyBackup(run, lambda: newest[0], hour=2, clock=lambda: now[0])
    nightly.tick()                                        # none yet: at once
    for hours in range(1, 40):
        now[0] = dt.datetime(2026, 3, 1, 14, 0) + dt.timedelta(hours=hours)
        nightly.tick()
    assert runs == [dt.datetime(2026, 3, 1, 14, 0), dt.datetime(2026, 3, 2, 2, 0),
                    dt.datetime(2026, 3, 3, 2, 0)]


def test_the_kiosk_never_falls_back_to_an_empty_in_memory_store(filled: Path) -> None:
    """A damaged store stops the kiosk's wiring with its plain message (old code: a
    MemoryRoster that tells every resident "not in roster")."""
    from kiosk.config import Settings
    from kiosk.services.root import KioskServices
    corrupt_mid_file(filled)
    with pytest.raises(StoreDamaged):
        KioskServices.open(Settings(), feeds={}, warm=False, sync=False)


def test_a_locked_database_is_not_taken_for_a_damaged_one(filled: Path) -> None:
    from kiosk.store.integrity import quick_check
    holder = sqlite3.connect(filled, isolation_level=None)
    holder.execute("PRAGMA journal_mode=DELETE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            quick_check(filled, timeout_s=0.2)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert not list(filled.parent.glob("kiosk.sqlite3.damaged-*"))


def test_a_torn_table_name_sqlite_cannot_even_report_is_damage(filled: Path) -> None:
    """A schema page whose table name holds bytes that are not UTF-8: SQLite's report quotes
    them and Python cannot decode the message (it raised UnicodeDecodeError at open, seen
    on random corruption in CI). The store is refused as damaged, copied aside, unchanged."""
    raw = filled.read_bytes()
    at = raw.index(b"residents")                   # the first: sqlite_master's name column
    filled.write_bytes(raw[:at] + b"\xe7\x28" + raw[at + 2:])
    damaged = filled.read_bytes()
    with pytest.raises(StoreDamaged) as err:
        Store.open(filled)
    assert err.value.code == "store_damaged" and "DatabaseError" in err.value.detail
    assert filled.read_bytes() == damaged
    assert len(list(filled.parent.glob("kiosk.sqlite3.damaged-*"))) == 1
