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


def test_v2_file_migrates_json_into_v3_columns_with_backup(tmp_path: Path) -> None:
    """v2 kept visit details, attestations and review decisions as JSON/audit rows."""
    db = tmp_path / "kiosk.sqlite3"
    shutil.copy(DATA / "store_v2.sqlite3", db)
    key_file = tmp_path / "store.key"
    shutil.copy(DATA / "store_v2.key", key_file)
    key_file.chmod(0o600)
    key = StoreKey.from_master(read_master(key_file))
    with sqlite3.connect(db) as before:
        audit_rows = before.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    with Store(db, key) as store:
        assert store.migrated == list(range(3, LATEST + 1))
        assert store.kiosk_id == "fixture-kiosk-v2"
        assert store.verify_audit().ok and store.integrity_check() == "ok"
        assert store.query("SELECT count(*) AS n FROM audit_log")[0]["n"] == audit_rows
        kiosk_req = store.get_home_visit("visit-v2-kiosk")
        assert kiosk_req is not None and kiosk_req.note == "kiosk"
        assert (kiosk_req.details.address, kiosk_req.details.outcome) == ("", "")
        sched = store.get_home_visit("visit-v2-sched")
        assert sched is not None and sched.status == "scheduled" and sched.note == "上午"
        assert (sched.details.address, sched.details.phone, sched.details.contact_person,
                sched.details.reason) == ("幸福路1号", "13900000000", "女儿", "bedridden")
        done = store.get_home_visit("visit-v2-done")
        assert done is not None and done.details.outcome == "certified_at_home"
        assert done.details.certification == "cert-v2-home" and done.note == ""
        proxy = store.get_certification("cert-v2-proxy")
        assert proxy is not None and "attestation" not in proxy.scores
        assert proxy.attestation["proxy"]["relation"] == "child"
        failed = store.get_certification("cert-v2-fail")
        assert failed is not None and failed.scores == {"distance": 0.71}
        assert failed.attestation == {}
        reviews = store.query("SELECT certification_uuid, decision, reason, staff, staff_id,"
                              " new_certification_uuid FROM reviews ORDER BY id")
        assert reviews == [
            {"certification_uuid": "cert-v2-fail", "decision": "approved",
             "reason": "appearance_changed", "staff": "op1", "staff_id": 1,
             "new_certification_uuid": "cert-v2-approved"},
            {"certification_uuid": "cert-v2-refer", "decision": "rejected",
             "reason": "not_same_person", "staff": "op1", "staff_id": 1,
             "new_certification_uuid": ""}]
        from kiosk.staff import review
        assert review.review_queue(store) == []          # both decided before the upgrade
        assert len(store.pending_outbox()) == 5
    backup = tmp_path / "kiosk.sqlite3.v2.bak"
    assert backup.exists()
    with sqlite3.connect(backup) as old:
        assert schema_version(old) == 2
        note = old.execute("SELECT note FROM home_visits WHERE uuid = 'visit-v2-sched'"
                           ).fetchone()[0]
        assert note.startswith("{")                       # the backup is the untouched v2
    with Store(db, key) as again:
        assert again.migrated == []
