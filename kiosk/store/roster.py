"""The roster (residents): upserts from the receiver or a bundle, and look-ups by ID number.

A resident updated centrally is updated here by `ref` (or by the ID-number hash when the
row was added locally), without touching its local certifications; the later of the local
and central `last_certified_at` is kept. A full roster marks missing residents inactive
(a tombstone), never deletes them, so certifications keep their resident.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from kiosk.store.crypto import StoreKey
from kiosk.store.records import Resident, RosterEntry, utc_now

RESIDENT_COLS = ("id, ref, id_number_enc, name, sex, birth_date, address, phone, region,"
                 " due_from, due_until, last_certified_at, roster_version, active,"
                 " face_template_enc IS NOT NULL, last_certified_channel")


# A full roster may deactivate at most this share of the active residents (and always up to
# MASS_FLOOR) without an administrator's confirmation. Why 10 %: a yearly roster loses the
# residents who died or moved away — a few per cent of an elderly population a year — so a
# roster that drops more is far more likely truncated, filtered to the wrong region or
# hostile than real; the floor keeps small test sites from needing confirmations.
MASS_SHARE = 0.10
MASS_FLOOR = 5


class RosterDeactivationRefused(ValueError):
    """A full roster would deactivate too many residents; nothing was changed."""

    def __init__(self, would: int, active: int) -> None:
        super().__init__(f"full roster would deactivate {would} of {active} active residents;"
                         " an administrator must confirm it on the staff console")
        self.would, self.active = would, active


@dataclass(frozen=True)
class RosterReport:
    inserted: int
    updated: int
    deactivated: int
    version: int


def resident_from_row(key: StoreKey, row: tuple) -> Resident:
    return Resident(id=row[0], ref=row[1], id_number=key.decrypt_id_number(row[2]),
                    name=row[3], sex=row[4], birth_date=row[5], address=row[6], phone=row[7],
                    region=row[8], due_from=row[9], due_until=row[10],
                    last_certified_at=row[11], roster_version=row[12], active=bool(row[13]),
                    has_face_template=bool(row[14]), last_certified_channel=row[15] or "")


def find_by_id_number(conn: sqlite3.Connection, key: StoreKey, number: str) -> Resident | None:
    row = conn.execute(f"SELECT {RESIDENT_COLS} FROM residents WHERE id_hash = ?",
                       (key.id_lookup_hash(number),)).fetchone()
    return resident_from_row(key, row) if row else None


def get_resident(conn: sqlite3.Connection, key: StoreKey, resident_id: int) -> Resident | None:
    row = conn.execute(f"SELECT {RESIDENT_COLS} FROM residents WHERE id = ?",
                       (resident_id,)).fetchone()
    return resident_from_row(key, row) if row else None


def upsert_one(conn: sqlite3.Connection, key: StoreKey, entry: RosterEntry, *,
               synthetic: bool = False) -> tuple[int, bool]:
    """(resident id, inserted?) for one roster entry."""
    id_hash = key.id_lookup_hash(entry.id_number)
    now = utc_now()
    row = None
    if entry.ref:
        row = conn.execute("SELECT id, last_certified_at, last_certified_channel FROM residents"
                           " WHERE ref = ?", (entry.ref,)).fetchone()
    if row is None:
        row = conn.execute("SELECT id, last_certified_at, last_certified_channel FROM residents"
                           " WHERE id_hash = ?", (id_hash,)).fetchone()
    fields = (entry.ref or None, key.encrypt_id_number(entry.id_number), id_hash, entry.name,
              entry.sex, entry.birth_date, entry.address, entry.phone, entry.region,
              entry.due_from, entry.due_until, entry.version, int(entry.active), now)
    if row is None:
        cur = conn.execute(
            "INSERT INTO residents (ref, id_number_enc, id_hash, name, sex, birth_date, address,"
            " phone, region, due_from, due_until, roster_version, active, updated_at,"
            " last_certified_at, last_certified_channel, synthetic)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (*fields, entry.last_certified_at, entry.last_channel, int(synthetic)))
        _photo_date(conn, int(cur.lastrowid), entry)
        return int(cur.lastrowid), True
    _photo_date(conn, int(row[0]), entry)
    last = max(row[1] or "", entry.last_certified_at or "")
    channel = _channel(row[1] or "", row[2] or "", entry)
    conn.execute(
        "UPDATE residents SET ref = ?, id_number_enc = ?, id_hash = ?, name = ?, sex = ?,"
        " birth_date = ?, address = ?, phone = ?, region = ?, due_from = ?, due_until = ?,"
        " roster_version = ?, active = ?, updated_at = ?, last_certified_at = ?,"
        " last_certified_channel = ? WHERE id = ?",
        (*fields, last, channel, row[0]))
    return int(row[0]), False


def _channel(row_last: str, row_channel: str, entry: RosterEntry) -> str:
    """The channel goes with the date it describes: the entry's when its date is the later,
    the row's when the row's is (a local certification after the roster's); on the same
    date a blank channel never erases one already known."""
    entry_last = entry.last_certified_at or ""
    if entry_last > row_last:
        return entry.last_channel
    if entry_last == row_last:
        return entry.last_channel or row_channel
    return row_channel


def _photo_date(conn: sqlite3.Connection, resident_id: int, entry: RosterEntry) -> None:
    """The enrolled photo's date, when the roster gives one (a roster without it leaves a
    date set at enrolment; no date anywhere = unknown age)."""
    if entry.photo_date:
        conn.execute("UPDATE residents SET face_photo_date = ? WHERE id = ?",
                     (entry.photo_date, resident_id))


def upsert_roster(conn: sqlite3.Connection, key: StoreKey, entries: Iterable[RosterEntry], *,
                  full: bool = False, version: int | None = None,
                  synthetic: bool = False) -> RosterReport:
    """Apply a roster batch (writer thread). `version` becomes the local roster cursor.

    A full roster that would deactivate more than MASS_SHARE of the active residents raises
    RosterDeactivationRefused (the caller's transaction rolls back) unless an administrator
    confirmed exactly that many (sync_state `roster_deactivation_confirmed`)."""
    inserted = updated = 0
    seen: set[int] = set()
    top = 0
    for entry in entries:
        rid, new = upsert_one(conn, key, entry, synthetic=synthetic)
        seen.add(rid)
        top = max(top, entry.version)
        inserted += new
        updated += not new
    deactivated = 0
    if full:
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS _seen (id INTEGER PRIMARY KEY)")
        conn.execute("DELETE FROM _seen")
        conn.executemany("INSERT INTO _seen (id) VALUES (?)", [(i,) for i in seen])
        _check_mass_deactivation(conn)
        cur = conn.execute("UPDATE residents SET active = 0, updated_at = ? WHERE ref IS NOT NULL"
                           " AND active = 1 AND id NOT IN (SELECT id FROM _seen)", (utc_now(),))
        deactivated = cur.rowcount
        conn.execute("DELETE FROM sync_state WHERE key = 'roster_deactivation_pending'")
    cursor = version if version is not None else top
    if cursor:
        old = conn.execute("SELECT value FROM sync_state WHERE key = 'roster_version'").fetchone()
        if full or not old or int(old[0]) < cursor:
            conn.execute("INSERT OR REPLACE INTO sync_state (key, value) VALUES"
                         " ('roster_version', ?)", (str(cursor),))
    return RosterReport(inserted, updated, deactivated, cursor)


def _check_mass_deactivation(conn: sqlite3.Connection) -> None:
    would = conn.execute("SELECT count(*) FROM residents WHERE ref IS NOT NULL AND active = 1"
                         " AND id NOT IN (SELECT id FROM _seen)").fetchone()[0]
    active = conn.execute("SELECT count(*) FROM residents WHERE ref IS NOT NULL"
                          " AND active = 1").fetchone()[0]
    if would <= max(MASS_FLOOR, int(MASS_SHARE * active)):
        return
    row = conn.execute("SELECT value FROM sync_state WHERE key = "
                       "'roster_deactivation_confirmed'").fetchone()
    if row is not None and row[0] == str(would):
        conn.execute("DELETE FROM sync_state WHERE key = 'roster_deactivation_confirmed'")
        return
    raise RosterDeactivationRefused(would, active)


def set_face_reference(conn: sqlite3.Connection, key: StoreKey, resident_id: int, *,
                       template: bytes | None, photo: bytes | None,
                       photo_date: str | None = None) -> None:
    """Store the enrolled template/photo (encrypted) used as a match reference, and when
    the photo was taken (None leaves the date the roster gave)."""
    if photo_date is not None:
        conn.execute("UPDATE residents SET face_photo_date = ? WHERE id = ?",
                     (photo_date, resident_id))
    conn.execute("UPDATE residents SET face_template_enc = ?, face_photo_enc = ?, updated_at = ?"
                 " WHERE id = ?",
                 (key.encrypt(template, context=b"face_template") if template else None,
                  key.encrypt(photo, context=b"face_photo") if photo else None,
                  utc_now(), resident_id))


def face_photo_date(conn: sqlite3.Connection, resident_id: int) -> str:
    row = conn.execute("SELECT face_photo_date FROM residents WHERE id = ?",
                       (resident_id,)).fetchone()
    return str(row[0]) if row else ""


def face_reference(conn: sqlite3.Connection, key: StoreKey, resident_id: int
                   ) -> tuple[bytes | None, bytes | None]:
    row = conn.execute("SELECT face_template_enc, face_photo_enc FROM residents WHERE id = ?",
                       (resident_id,)).fetchone()
    if row is None:
        return None, None
    return (key.decrypt(row[0], context=b"face_template") if row[0] else None,
            key.decrypt(row[1], context=b"face_photo") if row[1] else None)
