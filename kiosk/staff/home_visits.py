"""Home visits (上门认证): requested → scheduled → done | cancelled, with an outcome.

Built on the store's `request_home_visit` / `update_home_visit` (each writes the visit, an
audit row and an outbox row, so every step syncs). The visit's details — address, phone,
contact person, reason, outcome — are kept as JSON in the `note` column (the schema has no
columns for them). Outcomes of a done visit:

- `certified_at_home`: the staff member attests at the resident's home; a `home_visit`
  certification (passed, attributed to them) is written in the same transaction;
- `not_at_home`: nobody there; the visit is closed, a new one can be requested;
- `deceased_reported`: reported by family or neighbours; audited, never certified.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import asdict, dataclass

from kiosk.staff.assisted import attested_certification
from kiosk.staff.audit import append_audit
from kiosk.staff.labels import VISIT_OUTCOME_ZH, VISIT_REASON_ZH
from kiosk.staff.login import StaffSession
from kiosk.store import certifications as certs
from kiosk.store import roster
from kiosk.store.database import Store
from kiosk.store.records import HomeVisit

NEXT_STATUS: dict[str, tuple[str, ...]] = {
    "requested": ("scheduled", "cancelled"),
    "scheduled": ("scheduled", "done", "cancelled"),
    "done": (),
    "cancelled": (),
}


class VisitError(ValueError):
    """A step the lifecycle does not allow, or missing details; nothing was written."""


@dataclass(frozen=True)
class VisitDetails:
    address: str = ""
    phone: str = ""
    contact_person: str = ""
    reason: str = "other"            # a key of VISIT_REASON_ZH
    remark: str = ""
    outcome: str = ""                # set when done: a key of VISIT_OUTCOME_ZH
    certification: str = ""          # the UUID written for certified_at_home
    cancel_reason: str = ""

    def to_note(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_note(cls, note: str) -> VisitDetails:
        try:
            data = json.loads(note) if note else {}
        except json.JSONDecodeError:
            return cls(remark=note)      # a plain note written by the resident flow
        if not isinstance(data, dict):
            return cls(remark=note)
        known = {k: str(v) for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass(frozen=True)
class VisitRow:
    """A visit with what the console and the printed day list show."""

    visit: HomeVisit
    details: VisitDetails
    resident_name: str
    masked_id_number: str

    @property
    def uuid(self) -> str:
        return self.visit.uuid


def _get(conn: sqlite3.Connection, uuid: str) -> HomeVisit:
    for visit in certs.list_home_visits(conn):
        if visit.uuid == uuid:
            return visit
    raise VisitError("no such home visit")


def _step(conn: sqlite3.Connection, uuid: str, status: str) -> HomeVisit:
    visit = _get(conn, uuid)
    if status not in NEXT_STATUS[visit.status]:
        raise VisitError(f"a {visit.status} visit cannot become {status}")
    return visit


def create_visit(store: Store, session: StaffSession | None, resident_id: int,
                 details: VisitDetails) -> HomeVisit:
    """From the counter (a session) or from the resident flow's request (no session)."""
    if details.reason not in VISIT_REASON_ZH:
        raise VisitError("请选择上门原因。")
    staff_id = session.staff_id if session else None
    return store.request_home_visit(resident_id, staff_id=staff_id,
                                    note=details.to_note()).result()


def schedule_visit(store: Store, session: StaffSession, uuid: str, day: dt.date) -> HomeVisit:
    def tx(conn: sqlite3.Connection) -> HomeVisit:
        _step(conn, uuid, "scheduled")
        return certs.update_home_visit(conn, store.key, uuid, status="scheduled",
                                       staff_id=session.staff_id, scheduled_for=day.isoformat())
    return store.write(tx).result()


def cancel_visit(store: Store, session: StaffSession, uuid: str, *, reason: str) -> HomeVisit:
    if not reason.strip():
        raise VisitError("请填写取消原因。")

    def tx(conn: sqlite3.Connection) -> HomeVisit:
        visit = _step(conn, uuid, "cancelled")
        details = VisitDetails.from_note(visit.note)
        note = VisitDetails(**{**asdict(details), "cancel_reason": reason.strip()}).to_note()
        return certs.update_home_visit(conn, store.key, uuid, status="cancelled",
                                       staff_id=session.staff_id, note=note)
    return store.write(tx).result()


def record_outcome(store: Store, session: StaffSession, uuid: str, outcome: str, *,
                   id_card_checked: bool = False, remark: str = "",
                   now: dt.datetime | None = None) -> HomeVisit:
    """Close a scheduled visit with its outcome (and its certification when certified)."""
    if outcome not in VISIT_OUTCOME_ZH:
        raise VisitError("unknown outcome")
    if outcome == "certified_at_home" and not id_card_checked:
        raise VisitError("上门认证需核对身份证原件。")

    def tx(conn: sqlite3.Connection) -> HomeVisit:
        visit = _step(conn, uuid, "done")
        details = VisitDetails.from_note(visit.note)
        cert_uid = ""
        if outcome == "certified_at_home":
            new = attested_certification(
                resident_id=visit.resident_id, channel="home_visit", staff_id=session.staff_id,
                reason_codes=("staff_attested", "home_visit", details.reason),
                attestation={"by": session.actor, "home_visit": uuid, "reason": details.reason,
                             "id_card_checked": True, "person_present": True,
                             "note": remark.strip()}, now=now)
            cert_uid = certs.save_certification(conn, store.key, new, ship_face_images=False)
        elif outcome == "deceased_reported":
            append_audit(conn, store.key.audit_key, actor=session.actor,
                         action="resident.deceased_reported", subject=uuid,
                         detail={"resident_id": visit.resident_id})
        merged = {**asdict(details), "outcome": outcome, "certification": cert_uid}
        if remark.strip():
            merged["remark"] = (details.remark + " " + remark.strip()).strip()
        return certs.update_home_visit(conn, store.key, uuid, status="done",
                                       staff_id=session.staff_id,
                                       note=VisitDetails(**merged).to_note())
    return store.write(tx).result()


def _rows(conn: sqlite3.Connection, store: Store, visits: list[HomeVisit]) -> list[VisitRow]:
    out = []
    for visit in visits:
        resident = roster.get_resident(conn, store.key, visit.resident_id)
        out.append(VisitRow(visit, VisitDetails.from_note(visit.note),
                            resident.name if resident else "",
                            resident.masked_id_number if resident else ""))
    return out


def list_visits(store: Store, *, status: str | None = None) -> list[VisitRow]:
    return store.read(lambda c: _rows(c, store, certs.list_home_visits(c, status=status)))


def open_visits(store: Store) -> list[VisitRow]:
    """Requested and scheduled: what is still to be done."""
    return [r for r in list_visits(store) if r.visit.status in ("requested", "scheduled")]


def visits_for_day(store: Store, day: dt.date) -> list[VisitRow]:
    """The printed list for one day's round: scheduled for that day."""
    return [r for r in list_visits(store, status="scheduled")
            if r.visit.scheduled_for == day.isoformat()]


def pending_count(store: Store) -> int:
    return store.read(lambda c: c.execute(
        "SELECT count(*) FROM home_visits WHERE status IN ('requested','scheduled')"
    ).fetchone()[0])
