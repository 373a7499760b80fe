"""This visit's face crop kept as the resident's next reference, only with their consent.

After a passed certification the kiosk asks a separate question ("可以保存" / "不保存");
the answer is recorded per resident here. Yes: the certification's face crop is copied,
sealed under its own context, with the certification date as the photo's date (its age as
a reference next year) and an expiry `[face] keep_reference_days` ahead. No: any crop kept
earlier is removed too (today's answer stands). Staff can withdraw it at the counter
(audited); the retention job removes expired crops. The evidence row of the certification
has its own, shorter retention and is not touched.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass

from kiosk.store.audit import append_audit
from kiosk.store.crypto import StoreKey
from kiosk.store.records import utc_now

CONTEXT = b"kept_reference"


@dataclass(frozen=True)
class KeptReference:
    """One resident's answer; `photo` only while consent stands and it has not expired."""

    resident_id: int
    consent: str                      # given | declined | withdrawn | expired
    certification_uuid: str
    photo_date: str                   # ISO date of the certification the crop is from
    decided_at: str
    expires_at: str
    photo: bytes | None = None


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).isoformat(timespec="microseconds")


def record_answer(conn: sqlite3.Connection, key: StoreKey, *, resident_id: int,
                  certification_uuid: str, keep: bool, keep_days: int,
                  now: dt.datetime | None = None) -> str:
    """The resident's answer (writer thread); returns the consent state recorded."""
    now = now or dt.datetime.now(dt.UTC)
    row = conn.execute("SELECT id, finished_at, result FROM certifications WHERE uuid = ?"
                       " AND resident_id = ?", (certification_uuid, resident_id)).fetchone()
    if row is None:
        raise LookupError("no such certification for this resident")
    cert_id, finished, result = row
    photo_enc, expires, consent, detail = None, "", "declined", {"kept": False}
    if keep and keep_days > 0 and result == "passed":
        crop = conn.execute("SELECT blob_enc FROM evidence WHERE certification_id = ? AND"
                            " kind = 'face_crop' AND blob_enc IS NOT NULL ORDER BY id DESC",
                            (cert_id,)).fetchone()
        if crop is not None:
            data = key.decrypt(crop[0], context=b"evidence")
            photo_enc = key.encrypt(data, context=CONTEXT)
            expires = _iso(now + dt.timedelta(days=keep_days))
            consent, detail = "given", {"kept": True, "keep_days": keep_days}
        else:
            detail = {"kept": False, "why": "no_face_crop"}
    stamp = utc_now()
    conn.execute(
        "INSERT INTO kept_references (resident_id, certification_uuid, consent, photo_enc,"
        " photo_date, decided_at, expires_at, updated_at) VALUES (?,?,?,?,?,?,?,?)"
        " ON CONFLICT(resident_id) DO UPDATE SET certification_uuid = excluded"
        ".certification_uuid, consent = excluded.consent, photo_enc = excluded.photo_enc,"
        " photo_date = excluded.photo_date, decided_at = excluded.decided_at,"
        " expires_at = excluded.expires_at, updated_at = excluded.updated_at",
        (resident_id, certification_uuid, consent, photo_enc, str(finished)[:10],
         _iso(now), expires, stamp))
    append_audit(conn, key.audit_key, actor="kiosk", action=f"face_reference.{consent}",
                 subject=certification_uuid, detail=detail)
    return consent


def withdraw(conn: sqlite3.Connection, key: StoreKey, *, resident_id: int, actor: str
             ) -> bool:
    """Staff at the counter, on the resident's request: the kept crop is deleted (audited).
    False when there was nothing kept."""
    row = conn.execute("SELECT certification_uuid FROM kept_references WHERE resident_id = ?"
                       " AND consent = 'given'", (resident_id,)).fetchone()
    if row is None:
        return False
    conn.execute("UPDATE kept_references SET consent = 'withdrawn', photo_enc = NULL,"
                 " expires_at = '', updated_at = ? WHERE resident_id = ?",
                 (utc_now(), resident_id))
    append_audit(conn, key.audit_key, actor=actor, action="face_reference.withdrawn",
                 subject=row[0], detail={"resident": resident_id})
    return True


def purge_expired(conn: sqlite3.Connection, key: StoreKey, *,
                  now: dt.datetime | None = None) -> int:
    """Crops past their `expires_at` are deleted (the retention job); how many."""
    cur = conn.execute("UPDATE kept_references SET consent = 'expired', photo_enc = NULL,"
                       " updated_at = ? WHERE consent = 'given' AND expires_at != '' AND"
                       " expires_at <= ?", (utc_now(), _iso(now or dt.datetime.now(dt.UTC))))
    if cur.rowcount:
        append_audit(conn, key.audit_key, actor="kiosk", action="retention.kept_reference_deleted",
                     detail={"count": cur.rowcount})
    return cur.rowcount


def get(conn: sqlite3.Connection, key: StoreKey, resident_id: int, *,
        now: dt.datetime | None = None) -> KeptReference | None:
    """The resident's recorded answer; the crop only while consented and unexpired."""
    row = conn.execute("SELECT consent, certification_uuid, photo_date, decided_at, expires_at,"
                       " photo_enc FROM kept_references WHERE resident_id = ?",
                       (resident_id,)).fetchone()
    if row is None:
        return None
    consent, uid, day, decided, expires, blob = row
    live = (consent == "given" and blob is not None
            and (not expires or expires > _iso(now or dt.datetime.now(dt.UTC))))
    return KeptReference(resident_id, consent, uid, day, decided, expires,
                         key.decrypt(blob, context=CONTEXT) if live else None)
