"""Evidence retention: face crops and card portraits are deleted once their certification
has been acknowledged by the receiver and `retention_days` have passed since.

The row stays (kind, SHA-256, deleted_at) so the record shows evidence existed; the
encrypted blob is removed. Unsynced evidence is never deleted. The same job deletes the face crops residents agreed to
keep as their next reference once `[face] keep_reference_days` have passed (kiosk.store.kept).
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from kiosk.store.audit import append_audit
from kiosk.store.crypto import StoreKey
from kiosk.store.kept import purge_expired
from kiosk.store.records import utc_now


def run_retention(conn: sqlite3.Connection, key: StoreKey, *, retention_days: int,
                  now: dt.datetime | None = None) -> int:
    """Delete due evidence blobs (writer thread); returns how many were deleted."""
    now = now or dt.datetime.now(dt.UTC)
    cutoff = (now - dt.timedelta(days=retention_days)).isoformat(timespec="microseconds")
    cur = conn.execute(
        "UPDATE evidence SET blob_enc = NULL, deleted_at = ? WHERE blob_enc IS NOT NULL AND"
        " certification_id IN (SELECT c.id FROM certifications c JOIN outbox o ON o.uuid = c.uuid"
        " WHERE o.acked_at != '' AND o.acked_at <= ?)", (utc_now(), cutoff))
    deleted = cur.rowcount
    purge_expired(conn, key, now=now)        # consented reference crops past their days
    if deleted:
        append_audit(conn, key.audit_key, actor="kiosk", action="retention.evidence_deleted",
                     detail={"count": deleted, "retention_days": retention_days})
    return deleted
