"""Home visits (上门认证): requested → scheduled → done | cancelled, with an outcome.

Built on the store's `request_home_visit` / `update_home_visit` (each writes the visit, an
audit row and an outbox row carrying every detail, so every step syncs). The visit's
details — address, phone, contact person, reason, outcome, the certification written, the
cancel reason — are columns since schema v3 (`VisitDetails`; the remark is the `note`
column; v2's JSON notes were moved by the migration). Outcomes of a done visit:

- `certified_at_home`: the staff member attests at the resident's home; a `home_visit`
  certification (passed, attributed to them) is written in the same transaction;
- `not_at_home`: nobody there; the visit is closed, a new one can be requested;
- `deceased_reported`: reported by family or neighbours; audited, never certified.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass, replace

from kiosk.staff.assisted import attested_certification
from kiosk.staff.labels import VISIT_OUTCOME_ZH, VISIT_REASON_ZH
from kiosk.staff.login import StaffSession
from kiosk.store import certifications as certs
from kiosk.store import roster
from kiosk.store.audit import append_audit
from kiosk.store.database import Store
from kiosk.store.records import HomeVisit, VisitDetails

NEXT_STATUS: dict[str, tuple[str, ...]] = {
    "requested": ("scheduled", "cancelled"),
    "scheduled": ("scheduled", "done", "cancelled"),
    "done": (),
    "cancelled": (),
}


class VisitError(ValueError):
    """A step the lifecycle does not allow, or missing details; nothing was written."""


@dataclass(frozen=True)
class VisitRow:
    """A visit with what the console and the printed day list show."""

    visit: HomeVisit
    resident_name: str
    masked_id_number: str

    @property
    def uuid(self) -> str:
        return self.visit.uuid

    @property
    def details(self) -> VisitDetails:
        return self.visit.details


def _get(conn: sqlite3.Connection, uuid: str) -> HomeVisit:
    visit = certs.get_home_visit(conn, uuid)
    if visit is None:
        raise VisitError("no such home visit")
    return visit


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
    if details.outcome or details.certification or details.cancel_reason:
        raise VisitError("a new visit has no outcome yet")
    staff_id = session.staff_id if session else None
    return store.request_home_visit(resident_id, staff_id=staff_id, details=details).result()


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
        details = replace(visit.details, cancel_reason=reason.strip())
        return certs.update_home_visit(conn, store.key, uuid, status="cancelled",
                                       staff_id=session.staff_id, details=details)
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
        details = visit.details
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
        merged = replace(details, outcome=outcome, certification=cert_uid,
                         remark=(details.remark + " " + remark.strip()).strip())
        return certs.update_home_visit(conn, store.key, uuid, status="done",
                                       staff_id=session.staff_id, details=merged)
    return store.write(tx).result()


def _rows(conn: sqlite3.Connection, store: Store, visits: list[HomeVisit]) -> list[VisitRow]:
    out = []
    for visit in visits:
        resident = roster.get_resident(conn, store.key, visit.resident_id)
        out.append(VisitRow(visit, resident.name if resident else "",
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
