"""Each migration step runs against a file made by the previous version (tests/data)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from kiosk.store.crypto import StoreKey, read_master
from kiosk.store.database import Store
from kiosk.store.migrations import LATEST, migrate, schema_version

DATA = Path(__file__).resolve().parents[1] / "data"


def _copy_v1(tmp_path: Path) -> tuple[Path, StoreKey]:
    db = tmp_path / "kiosk.sqlite3"
    shutil.copy(DATA / "store_v1.sqlite3", db)
    key_file = tmp_path / "store.key"
    shutil.copy(DATA / "store_v1.key", key_file)
    key_file.chmod(0o600)
    return db, StoreKey.from_master(read_master(key_file))


def test_v1_file_migrates_to_latest_with_backup_and_data_intact(tmp_path: Path) -> None:
    db, key = _copy_v1(tmp_path)
    with Store(db, key) as store:
        assert store.migrated == list(range(2, LATEST + 1))
        assert store.kiosk_id == "fixture-kiosk-v1"
        assert store.meta("schema_version") == str(LATEST)
        resident = store.find_resident_by_id_number("32010219400101123x")
        assert resident is not None and resident.ref == "R-1"
        cert = store.last_certification(resident.id)
        assert cert is not None and cert.uuid == "cert-v1-0001" and not cert.synthetic
        assert store.evidence_for("cert-v1-0001") == [("face_crop", b"v1-face")]
        assert [i.uuid for i in store.pending_outbox()] == ["cert-v1-0001"]
        assert store.verify_audit().ok
        assert store.integrity_check() == "ok"
    backup = tmp_path / "kiosk.sqlite3.v1.bak"
    assert backup.exists()
    with sqlite3.connect(backup) as old:
        assert schema_version(old) == 1
    with Store(db, key) as again:              # reopening migrates nothing
        assert again.migrated == []


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "x.sqlite3", isolation_level=None)
    conn.execute(f"PRAGMA user_version = {LATEST + 1}")
    with pytest.raises(RuntimeError, match="newer"):
        migrate(conn, tmp_path / "x.sqlite3")
