"""查一查 (kiosk/flow/query.py) on the store: the latest certification known for a resident
and its channel, and the audit row of a look-up, never a certification.

One `resident.queried` row in the hash-chained audit log: the masked number, how it was
given (chip | card | keypad), the answer (done | due | not_in_roster) and the channel
told; the resident's row id when the roster holds the number. No name, no full number —
and nothing else is written (no certification, no outbox row).
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from kiosk.china_time import local_day
from kiosk.store import roster
from kiosk.store.audit import append_audit
from kiosk.store.crypto import StoreKey
from kiosk.store.privacy import mask_id_number
from kiosk.store.records import Certification, Resident

# this kiosk's own channels as a query names them (kiosk/flow/query.CHANNELS)
LOCAL_CHANNELS = {"kiosk_self": "this_kiosk", "counter_assisted": "counter",
                  "non_face": "counter", "home_visit": "home_visit"}

SOURCES = ("chip", "card", "keypad")


def parse_day(text: str) -> dt.date | None:
    """The day of an ISO date, or the China day of a stored timestamp (as the staff console
    counts it: a certification at 01:00 China time, 17:00 UTC the day before, is of the
    China day); None for "" or garbage."""
    if not text:
        return None
    try:
        return local_day(text)
    except ValueError:
        try:
            return dt.date.fromisoformat(text[:10])
        except ValueError:
            return None


def latest_certification(resident: Resident, local: Certification | None
                         ) -> tuple[dt.date | None, str]:
    """(day, channel) of the resident's latest certification: the roster's date and channel
    as the county carried them down, or this kiosk's own passed certification `local` when
    it is as recent or later (the staff console and the kiosk's 查一查 say the same)."""
    last = parse_day(resident.last_certified_at)
    channel = resident.last_certified_channel
    local_day = parse_day(local.finished_at) if local is not None else None
    if local is not None and local_day is not None and (last is None or local_day >= last):
        last, channel = local_day, LOCAL_CHANNELS.get(local.channel, "")
    return last, channel
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
