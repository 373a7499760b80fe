"""The store API: pragmas, encryption at rest, key-file rules, one-transaction writes,
home visits, retention, the single writer thread."""

from __future__ import annotations

import datetime as dt
import os
import threading
from pathlib import Path

import pytest

from kiosk.store.crypto import KeyFileError, load_or_create_key
from kiosk.store.database import Store
from kiosk.store.records import EvidenceItem, NewCertification, RosterEntry, utc_now

NUMBER = "32010219400101123X"


@pytest.fixture()
def store():
    s = Store.open()
    s.upsert_roster([RosterEntry(ref="R1", id_number=NUMBER, name="张秀英")]).result()
    yield s
    s.close()


def _cert(rid: int, **kw) -> NewCertification:
    return NewCertification(resident_id=rid, channel="kiosk_self", result="passed",
                            started_at=utc_now(), finished_at=utc_now(), **kw)


def test_pragmas_and_private_files(store: Store, kiosk_home: Path) -> None:
    assert store.query("PRAGMA journal_mode")[0]["journal_mode"] == "wal"
    assert store.write(lambda c: c.execute("PRAGMA synchronous").fetchone()[0]).result() == 2
    key_file = kiosk_home / "keys" / "store.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    key_file.chmod(0o644)
    with pytest.raises(KeyFileError, match="chmod 600"):
        load_or_create_key(key_file)


def test_personal_data_is_encrypted_at_rest(store: Store) -> None:
    rid = store.find_resident_by_id_number(NUMBER).id
    face = b"FACE-CROP-" + os.urandom(64)
    store.save_certification(_cert(rid, evidence=(EvidenceItem("face_crop", face),),
                                   template=b"TEMPLATE-BYTES")).result()
    store.close()
    raw = b"".join(p.read_bytes() for p in store.path.parent.glob("kiosk.sqlite3*"))
    for secret in (NUMBER.encode(), face, b"TEMPLATE-BYTES"):
        assert secret not in raw


def test_failed_write_leaves_nothing(store: Store) -> None:
    rid = store.find_resident_by_id_number(NUMBER).id
    with pytest.raises(ValueError):
        store.save_certification(_cert(rid, attempts=(), reason_codes=())
                                 .__class__(**{**_cert(rid).__dict__, "channel": "bad"})).result()
    bad = _cert(rid, uuid="dup")
    store.save_certification(bad).result()
    with pytest.raises(Exception, match="UNIQUE"):
        store.save_certification(bad).result()
    counts = store.query("SELECT (SELECT count(*) FROM certifications) c,"
                         " (SELECT count(*) FROM outbox) o, (SELECT count(*) FROM audit_log) a")
    assert counts == [{"c": 1, "o": 1, "a": 2}]


def test_writes_from_many_threads_go_through_one_writer(store: Store) -> None:
    rid = store.find_resident_by_id_number(NUMBER).id
    names: set[str] = set()

    def fn(conn):  # noqa: ANN001, ANN202
        names.add(threading.current_thread().name)
        return conn.execute("SELECT 1").fetchone()[0]
    futures = []
    threads = [threading.Thread(target=lambda: futures.extend(
        [store.write(fn), store.save_certification(_cert(rid))])) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for f in futures:
        f.result()
    assert names == {"store-writer"}
    assert store.last_certification(rid) is not None
    assert store.verify_audit().ok


def test_home_visit_lifecycle_is_audited_and_queued(store: Store) -> None:
    rid = store.find_resident_by_id_number(NUMBER).id
    visit = store.request_home_visit(rid, note="行动不便").result()
    store.update_home_visit(visit.uuid, status="scheduled", staff_id=None,
                            scheduled_for="2026-12-01").result()
    done = store.update_home_visit(visit.uuid, status="done", staff_id=None).result()
    assert done.status == "done" and done.done_at
    with pytest.raises(ValueError, match="already done"):
        store.update_home_visit(visit.uuid, status="cancelled", staff_id=None).result()
    assert [v.status for v in store.list_home_visits()] == ["done"]
    kinds = [i.kind for i in store.pending_outbox()]
    assert kinds == ["home_visit"] * 3


def test_retention_deletes_only_synced_evidence_past_the_period(store: Store) -> None:
    rid = store.find_resident_by_id_number(NUMBER).id
    synced = store.save_certification(_cert(rid, evidence=(EvidenceItem("face_crop", b"a"),)))
    unsynced = store.save_certification(_cert(rid, evidence=(EvidenceItem("face_crop", b"b"),)))
    store.mark_acked([synced.result()], via="network").result()
    unsynced.result()
    assert store.run_retention(retention_days=30).result() == 0
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(days=31)).isoformat()
    store.write(lambda c: c.execute("UPDATE outbox SET acked_at = ? WHERE acked_at != ''",
                                    (old,))).result()
    assert store.run_retention(retention_days=30).result() == 1
    assert store.evidence_for(synced.result()) == []
    assert store.evidence_for(unsynced.result()) == [("face_crop", b"b")]
    assert store.verify_audit().ok


def test_roster_update_keeps_local_certifications(store: Store) -> None:
    rid = store.find_resident_by_id_number(NUMBER).id
    uid = store.save_certification(_cert(rid)).result()
    store.upsert_roster([RosterEntry(ref="R1", id_number=NUMBER, name="张秀英", phone="1",
                                     version=7)], full=True).result()
    resident = store.get_resident(rid)
    assert resident.phone == "1" and resident.last_certified_at
    assert store.last_certification(rid).uuid == uid
    store.upsert_roster([RosterEntry(ref="R2", id_number="320102194001011236", name="李")],
                        full=True, version=8).result()
    assert not store.get_resident(rid).active                 # tombstone, not deleted
    assert store.last_certification(rid).uuid == uid
    assert resident.masked_id_number == "3201**********123X"
