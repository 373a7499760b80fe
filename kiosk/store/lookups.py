"""The audit row of a resident's 查一查 (kiosk/flow/query.py): a look-up, never a certification.

One `resident.queried` row in the hash-chained audit log: the masked number, how it was
given (chip | card | keypad), the answer (done | due | not_in_roster) and the channel
told; the resident's row id when the roster holds the number. No name, no full number —
and nothing else is written (no certification, no outbox row).
"""

from __future__ import annotations

import sqlite3

from kiosk.store import roster
from kiosk.store.audit import append_audit
from kiosk.store.crypto import StoreKey
from kiosk.store.privacy import mask_id_number

SOURCES = ("chip", "card", "keypad")
ANSWERS = ("done", "due", "not_in_roster")


def record_query(conn: sqlite3.Connection, key: StoreKey, id_number: str, *, source: str,
                 answer: str, channel: str = "") -> int:
    """Append the row inside the writer's transaction; returns its seq."""
    if source not in SOURCES or answer not in ANSWERS:
        raise ValueError("unknown query source or answer")
    resident = roster.find_by_id_number(conn, key, id_number)
    detail = {"id_number": mask_id_number(id_number), "source": source, "answer": answer,
              "channel": channel[:20], "resident": resident.id if resident else None}
    return append_audit(conn, key.audit_key, actor="kiosk", action="resident.queried",
                        detail=detail)
