"""Certification decisions and home visits, each written with its audit row and outbox row.

Schema v3: a staff attestation is the `attestation` column (not `scores`); a home visit's
address/phone/contact/reason/outcome are columns (`VisitDetails`), its remark is `note`.

`save_certification` writes the certification, its attempts, its evidence (encrypted), one
audit row and one outbox row in ONE transaction: after a crash either all of them are there
or none. Face data goes into the outbox payload only as `kiosk.store.face_payload` allows.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import uuid as uuidlib
from typing import Any

from kiosk.store import outbox
from kiosk.store.audit import append_audit
from kiosk.store.crypto import StoreKey
from kiosk.store.face_payload import face_fields
from kiosk.store.records import (
    CHANNELS,
    RESULTS,
    VISIT_OUTCOMES,
    VISIT_STATUSES,
    Certification,
    HomeVisit,
    NewCertification,
    VisitDetails,
    utc_now,
)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _resident_identity(conn: sqlite3.Connection, key: StoreKey, resident_id: int
                       ) -> dict[str, Any]:
    row = conn.execute("SELECT ref, id_number_enc FROM residents WHERE id = ?",
                       (resident_id,)).fetchone()
    if row is None:
        raise LookupError(f"no resident with id {resident_id}")
    if row[0]:
        return {"resident_ref": row[0]}
    # A resident added at the counter has no central ref yet: the receiver needs the number.
    return {"resident_ref": None, "id_number": key.decrypt_id_number(row[1])}


def _staff_name(conn: sqlite3.Connection, staff_id: int | None) -> str | None:
    if staff_id is None:
        return None
    row = conn.execute("SELECT username FROM staff WHERE id = ?", (staff_id,)).fetchone()
    return row[0] if row else None


def save_certification(conn: sqlite3.Connection, key: StoreKey, new: NewCertification, *,
                       ship_face_images: bool = False, ship_face_templates: bool = False
                       ) -> str:
    """Write one decision and everything that goes with it; returns its UUID (writer only)."""
    if new.channel not in CHANNELS:
        raise ValueError(f"unknown channel {new.channel!r}")
    if new.result not in RESULTS:
        raise ValueError(f"unknown result {new.result!r}")
    uid = new.uuid or str(uuidlib.uuid4())
    now = utc_now()
    identity = _resident_identity(conn, key, new.resident_id)
    template_enc = key.encrypt(new.template, context=b"template") if new.template else None
    cur = conn.execute(
        "INSERT INTO certifications (uuid, resident_id, channel, result, started_at, finished_at,"
        " scores, liveness, model_versions, staff_id, reason_codes, template_enc, created_at,"
        " synthetic, attestation) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (uid, new.resident_id, new.channel, new.result, new.started_at, new.finished_at,
         _dumps(new.scores), _dumps(new.liveness), _dumps(new.model_versions), new.staff_id,
         _dumps(list(new.reason_codes)), template_enc, now, int(new.synthetic),
         _dumps(new.attestation)))
    cert_id = int(cur.lastrowid)
    conn.executemany(
        "INSERT INTO attempts (certification_id, number, started_at, finished_at, outcome,"
        " liveness_passed, match_distance, reason_code, challenges) VALUES (?,?,?,?,?,?,?,?,?)",
        [(cert_id, a.number, a.started_at, a.finished_at, a.outcome,
          None if a.liveness_passed is None else int(a.liveness_passed), a.match_distance,
          a.reason_code, _dumps(list(a.challenges))) for a in new.attempts])
    conn.executemany(
        "INSERT INTO evidence (certification_id, kind, blob_enc, sha256, created_at)"
        " VALUES (?,?,?,?,?)",
        [(cert_id, e.kind, key.encrypt(e.data, context=b"evidence"),
          hashlib.sha256(e.data).hexdigest(), now) for e in new.evidence])
    if new.result == "passed":
        conn.execute("UPDATE residents SET last_certified_at = max(last_certified_at, ?)"
                     " WHERE id = ?", (new.finished_at, new.resident_id))
    payload: dict[str, Any] = {
        "uuid": uid, **identity, "channel": new.channel, "result": new.result,
        "started_at": new.started_at, "finished_at": new.finished_at, "scores": new.scores,
        "liveness": new.liveness, "model_versions": new.model_versions,
        "staff": _staff_name(conn, new.staff_id), "reason_codes": list(new.reason_codes),
        "attempts": len(new.attempts), "synthetic": new.synthetic,
        **face_fields(new, ship_templates=ship_face_templates, ship_images=ship_face_images),
    }
    if new.attestation:
        payload["attestation"] = new.attestation
    append_audit(conn, key.audit_key, actor=_staff_name(conn, new.staff_id) or "kiosk",
                 action="certification.decided", subject=uid,
                 detail={"channel": new.channel, "result": new.result,
                         "reasons": list(new.reason_codes)})
    outbox.enqueue(conn, key, uuid=uid, kind="certification", payload=payload,
                   synthetic=new.synthetic)
    return uid


_CERT_COLS = ("id, uuid, resident_id, channel, result, started_at, finished_at, scores,"
              " liveness, model_versions, staff_id, reason_codes, synthetic, attestation")


def _certification(row: tuple) -> Certification:
    return Certification(row[0], row[1], row[2], row[3], row[4], row[5], row[6],
                         json.loads(row[7]), json.loads(row[8]), json.loads(row[9]), row[10],
                         tuple(json.loads(row[11])), bool(row[12]), json.loads(row[13]))


def last_certification(conn: sqlite3.Connection, resident_id: int, *,
                       passed_only: bool = True) -> Certification | None:
    sql = f"SELECT {_CERT_COLS} FROM certifications WHERE resident_id = ?"
    if passed_only:
        sql += " AND result = 'passed'"
    row = conn.execute(sql + " ORDER BY finished_at DESC, id DESC LIMIT 1",
                       (resident_id,)).fetchone()
    return _certification(row) if row else None


def get_certification(conn: sqlite3.Connection, uid: str) -> Certification | None:
    row = conn.execute(f"SELECT {_CERT_COLS} FROM certifications WHERE uuid = ?",
                       (uid,)).fetchone()
    return _certification(row) if row else None


def evidence_for(conn: sqlite3.Connection, key: StoreKey, uid: str) -> list[tuple[str, bytes]]:
    rows = conn.execute(
        "SELECT e.kind, e.blob_enc FROM evidence e JOIN certifications c"
        " ON c.id = e.certification_id WHERE c.uuid = ? AND e.blob_enc IS NOT NULL"
        " ORDER BY e.id", (uid,)).fetchall()
    return [(k, key.decrypt(b, context=b"evidence")) for k, b in rows]


_VISIT_COLS = ("id, uuid, resident_id, status, requested_at, scheduled_for, done_at, staff_id,"
               " note, updated_at, address, phone, contact_person, reason, outcome,"
               " certification_uuid, cancel_reason")


def _visit(row: tuple) -> HomeVisit:
    details = VisitDetails(address=row[10], phone=row[11], contact_person=row[12],
                           reason=row[13] or "other", remark=row[8], outcome=row[14],
                           certification=row[15], cancel_reason=row[16])
    return HomeVisit(*row[:10], details=details)


def _visit_event(conn: sqlite3.Connection, key: StoreKey, visit: HomeVisit, actor: str) -> None:
    """One outbox row per step: the receiver keeps every step, unique by event UUID."""
    event = str(uuidlib.uuid4())
    d = visit.details
    payload = {"uuid": event, "home_visit": visit.uuid, "status": visit.status,
               **_resident_identity(conn, key, visit.resident_id),
               "requested_at": visit.requested_at, "scheduled_for": visit.scheduled_for,
               "done_at": visit.done_at, "staff": _staff_name(conn, visit.staff_id),
               "address": d.address, "phone": d.phone, "contact_person": d.contact_person,
               "reason": d.reason, "remark": d.remark, "outcome": d.outcome,
               "certification": d.certification, "cancel_reason": d.cancel_reason}
    append_audit(conn, key.audit_key, actor=actor, action=f"home_visit.{visit.status}",
                 subject=visit.uuid, detail={"reason": d.reason, "outcome": d.outcome}
                 if d.outcome else {"reason": d.reason})
    outbox.enqueue(conn, key, uuid=event, kind="home_visit", payload=payload)


def _check_details(details: VisitDetails) -> None:
    if details.outcome and details.outcome not in VISIT_OUTCOMES:
        raise ValueError(f"unknown home-visit outcome {details.outcome!r}")


def request_home_visit(conn: sqlite3.Connection, key: StoreKey, resident_id: int, *,
                       staff_id: int | None = None, note: str = "",
                       details: VisitDetails | None = None) -> HomeVisit:
    """A new `requested` visit; `details.remark` (or `note`) is kept in the note column."""
    d = details or VisitDetails(remark=note)
    _check_details(d)
    now = utc_now()
    cur = conn.execute(
        "INSERT INTO home_visits (uuid, resident_id, status, requested_at, staff_id, note,"
        " updated_at, address, phone, contact_person, reason, outcome, certification_uuid,"
        " cancel_reason) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (str(uuidlib.uuid4()), resident_id, "requested", now, staff_id, d.remark or note, now,
         d.address, d.phone, d.contact_person, d.reason, d.outcome, d.certification,
         d.cancel_reason))
    visit = _visit(conn.execute(f"SELECT {_VISIT_COLS} FROM home_visits WHERE id = ?",
                                (cur.lastrowid,)).fetchone())
    _visit_event(conn, key, visit, _staff_name(conn, staff_id) or "kiosk")
    return visit


def get_home_visit(conn: sqlite3.Connection, visit_uuid: str) -> HomeVisit | None:
    row = conn.execute(f"SELECT {_VISIT_COLS} FROM home_visits WHERE uuid = ?",
                       (visit_uuid,)).fetchone()
    return _visit(row) if row else None


def update_home_visit(conn: sqlite3.Connection, key: StoreKey, visit_uuid: str, *,
                      status: str, staff_id: int | None, scheduled_for: str | None = None,
                      note: str | None = None, details: VisitDetails | None = None
                      ) -> HomeVisit:
    """Move a visit on; `details` (when given) replaces its details, `note` its remark."""
    if status not in VISIT_STATUSES:
        raise ValueError(f"unknown home-visit status {status!r}")
    old = get_home_visit(conn, visit_uuid)
    if old is None:
        raise LookupError("no such home visit")
    if old.status in ("done", "cancelled"):
        raise ValueError(f"home visit is already {old.status}")
    d = details or old.details
    _check_details(d)
    remark = note if note is not None else (details.remark if details else old.note)
    now = utc_now()
    conn.execute(
        "UPDATE home_visits SET status = ?, scheduled_for = ?, done_at = ?, staff_id = ?,"
        " note = ?, updated_at = ?, address = ?, phone = ?, contact_person = ?, reason = ?,"
        " outcome = ?, certification_uuid = ?, cancel_reason = ? WHERE id = ?",
        (status, old.scheduled_for if scheduled_for is None else scheduled_for,
         now if status == "done" else old.done_at, staff_id, remark, now, d.address, d.phone,
         d.contact_person, d.reason, d.outcome, d.certification, d.cancel_reason, old.id))
    visit = get_home_visit(conn, visit_uuid)
    assert visit is not None
    _visit_event(conn, key, visit, _staff_name(conn, staff_id) or "kiosk")
    return visit


def list_home_visits(conn: sqlite3.Connection, *, status: str | None = None) -> list[HomeVisit]:
    if status:
        rows = conn.execute(f"SELECT {_VISIT_COLS} FROM home_visits WHERE status = ?"
                            " ORDER BY requested_at", (status,))
    else:
        rows = conn.execute(f"SELECT {_VISIT_COLS} FROM home_visits ORDER BY requested_at")
    return [_visit(r) for r in rows]
