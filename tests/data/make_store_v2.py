"""Makes tests/data/store_v2.sqlite3 (+ store_v2.key): a schema-v2 store as version 2 wrote it.

Version 2 kept a home visit's address/phone/contact/reason/outcome as JSON in
`home_visits.note`, a staff attestation (and proxy helper) inside `certifications.scores`,
and review decisions only as audit rows. The v3 migration test opens this file and checks
that all of it lands in the new columns/table. Kept for the record: do not re-run it after
v3 — the point is an old file. Made-up people only.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kiosk.store.audit import append_audit  # noqa: E402
from kiosk.store.crypto import StoreKey, read_master, write_key_file  # noqa: E402
from kiosk.store.migrations import migrate  # noqa: E402

HERE = Path(__file__).resolve().parent
T1 = "2026-02-02T01:00:00.000000+00:00"
T2 = "2026-02-03T02:00:00.000000+00:00"
T3 = "2026-02-04T03:00:00.000000+00:00"
NUMBERS = ("32010219400101123X", "320102194503121232")


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def main() -> None:
    db, key_file = HERE / "store_v2.sqlite3", HERE / "store_v2.key"
    for path in (db, key_file):
        path.unlink(missing_ok=True)
    write_key_file(key_file, bytes(range(32, 64)))
    key = StoreKey.from_master(read_master(key_file))
    conn = sqlite3.connect(db, isolation_level=None)
    migrate(conn, db, target=2)
    conn.execute("BEGIN")
    conn.execute("INSERT INTO meta VALUES ('kiosk_id', 'fixture-kiosk-v2')")
    conn.execute("INSERT INTO staff (id, username, display_name, role, pin_hash, created_at,"
                 " updated_at) VALUES (1, 'op1', '窗口一', 'operator', 'x', ?, ?)", (T1, T1))
    for rid, number in enumerate(NUMBERS, start=1):
        conn.execute(
            "INSERT INTO residents (id, ref, id_number_enc, id_hash, name, region, updated_at)"
            " VALUES (?, ?, ?, ?, '测试居民', '320102', ?)",
            (rid, f"R-{rid}", key.encrypt_id_number(number), key.id_lookup_hash(number), T1))
    certs = [  # (id, uuid, resident, channel, result, staff, scores)
        (1, "cert-v2-fail", 1, "kiosk_self", "failed", None, {"distance": 0.71}),
        (2, "cert-v2-approved", 1, "counter_assisted", "passed", 1,
         {"attestation": {"by": "op1", "reason": "appearance_changed", "review_of": "cert-v2-fail",
                          "id_card_checked": True, "person_present": True, "note": ""}}),
        (3, "cert-v2-refer", 2, "kiosk_self", "referred", None, {"distance": 0.9}),
        (4, "cert-v2-proxy", 2, "non_face", "passed", 1,
         {"attestation": {"by": "op1", "reason": "cannot_use_camera", "note": "",
                          "id_card_checked": True, "person_present": True,
                          "proxy": {"name": "测试家属", "relation": "child", "consent": True,
                                    "id_number_masked": "3201**********1232",
                                    "phone": "13800000000"}}}),
        (5, "cert-v2-home", 2, "home_visit", "passed", 1,
         {"attestation": {"by": "op1", "home_visit": "visit-v2-done", "reason": "bedridden",
                          "id_card_checked": True, "person_present": True, "note": ""}}),
    ]
    for cid, uid, rid, channel, result, staff, scores in certs:
        conn.execute(
            "INSERT INTO certifications (id, uuid, resident_id, channel, result, started_at,"
            " finished_at, scores, staff_id, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (cid, uid, rid, channel, result, T1, T1 if cid < 3 else T2, _json(scores), staff,
             T1))
        conn.execute("INSERT INTO outbox (uuid, kind, payload_enc, created_at) VALUES"
                     " (?, 'certification', ?, ?)",
                     (uid, key.encrypt(_json({"uuid": uid}).encode(), context=b"outbox"), T1))
        append_audit(conn, key.audit_key, actor="op1" if staff else "kiosk",
                     action="certification.decided", subject=uid, at=T1)
    append_audit(conn, key.audit_key, actor="op1", action="review.approved",
                 subject="cert-v2-fail", at=T2,
                 detail={"reason": "appearance_changed", "certification": "cert-v2-approved",
                         "note": False})
    append_audit(conn, key.audit_key, actor="op1", action="review.rejected",
                 subject="cert-v2-refer", at=T2, detail={"reason": "not_same_person",
                                                         "note": "复核不符"})
    visits = [  # (uuid, resident, status, scheduled, done, note)
        ("visit-v2-kiosk", 1, "requested", "", "", "kiosk"),
        ("visit-v2-sched", 2, "scheduled", "2026-02-10", "",
         _json({"address": "幸福路1号", "phone": "13900000000", "contact_person": "女儿",
                "reason": "bedridden", "remark": "上午", "outcome": "", "certification": "",
                "cancel_reason": ""})),
        ("visit-v2-done", 2, "done", "2026-02-04", T3,
         _json({"address": "和平街2号", "phone": "", "contact_person": "", "reason": "bedridden",
                "remark": "", "outcome": "certified_at_home", "certification": "cert-v2-home",
                "cancel_reason": ""})),
    ]
    for uid, rid, status, scheduled, done, note in visits:
        conn.execute(
            "INSERT INTO home_visits (uuid, resident_id, status, requested_at, scheduled_for,"
            " done_at, staff_id, note, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
            (uid, rid, status, T1, scheduled, done, 1, note, T3))
        append_audit(conn, key.audit_key, actor="op1", action=f"home_visit.{status}",
                     subject=uid, at=T3)
    conn.execute("COMMIT")
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("VACUUM")
    conn.close()


if __name__ == "__main__":
    main()
