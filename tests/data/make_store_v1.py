"""Makes tests/data/store_v1.sqlite3 (+ store_v1.key): a schema-v1 store as version 1 wrote it.

Kept for the record; the committed file is what the migration test opens. Do not re-run it
after schema v1 was released — the point is an old file, not a freshly made one.
"""

from __future__ import annotations

import hashlib
import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kiosk.store.audit import append_audit  # noqa: E402
from kiosk.store.crypto import StoreKey, read_master, write_key_file  # noqa: E402
from kiosk.store.migrations import migrate  # noqa: E402

HERE = Path(__file__).resolve().parent
T = "2026-01-05T09:00:00.000000+00:00"


def main() -> None:
    db, key_file = HERE / "store_v1.sqlite3", HERE / "store_v1.key"
    for path in (db, key_file):
        path.unlink(missing_ok=True)
    write_key_file(key_file, bytes(range(32)))
    key = StoreKey.from_master(read_master(key_file))
    conn = sqlite3.connect(db, isolation_level=None)
    migrate(conn, db, target=1)
    conn.execute("BEGIN")
    conn.execute("INSERT INTO meta VALUES ('kiosk_id', 'fixture-kiosk-v1')")
    conn.execute(
        "INSERT INTO residents (id, ref, id_number_enc, id_hash, name, region, updated_at)"
        " VALUES (1, 'R-1', ?, ?, '测试居民', '320102', ?)",
        (key.encrypt_id_number("32010219400101123X"), key.id_lookup_hash("32010219400101123X"),
         T))
    conn.execute(
        "INSERT INTO certifications (id, uuid, resident_id, channel, result, started_at,"
        " finished_at, created_at) VALUES (1, 'cert-v1-0001', 1, 'kiosk_self', 'passed', ?, ?, ?)",
        (T, T, T))
    conn.execute("INSERT INTO attempts (certification_id, number, started_at, finished_at,"
                 " outcome) VALUES (1, 1, ?, ?, 'passed')", (T, T))
    conn.execute("INSERT INTO evidence (certification_id, kind, blob_enc, sha256, created_at)"
                 " VALUES (1, 'face_crop', ?, ?, ?)",
                 (key.encrypt(b"v1-face", context=b"evidence"),
                  hashlib.sha256(b"v1-face").hexdigest(), T))
    conn.execute("INSERT INTO outbox (uuid, kind, payload_enc, created_at) VALUES"
                 " ('cert-v1-0001', 'certification', ?, ?)",
                 (key.encrypt(b'{"uuid":"cert-v1-0001"}', context=b"outbox"), T))
    append_audit(conn, key.audit_key, actor="kiosk", action="certification.decided",
                 subject="cert-v1-0001", at=T)
    conn.execute("COMMIT")
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("VACUUM")
    conn.close()


if __name__ == "__main__":
    main()
