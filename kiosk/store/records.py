"""Values that cross threads: frozen dataclasses for what the store takes and gives back."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

Channel = Literal["kiosk_self", "counter_assisted", "home_visit", "non_face"]
CHANNELS: tuple[str, ...] = ("kiosk_self", "counter_assisted", "home_visit", "non_face")
Result = Literal["passed", "failed", "abandoned", "referred"]
RESULTS: tuple[str, ...] = ("passed", "failed", "abandoned", "referred")
VisitStatus = Literal["requested", "scheduled", "done", "cancelled"]
VISIT_STATUSES: tuple[str, ...] = ("requested", "scheduled", "done", "cancelled")
EvidenceKind = Literal["face_crop", "card_portrait"]
ROLES: tuple[str, ...] = ("operator", "supervisor", "admin")
# How the roster says the last certification was made (`RosterEntry.last_channel`), as the
# county carries it down: at a self-service kiosk, at a counter, on a home visit, or by the
# county's data matching (社保/医保/民政 records showing the resident alive). "" = not said.
ROSTER_CHANNELS: tuple[str, ...] = ("kiosk", "counter", "home_visit", "data_match")


def utc_now() -> str:
    """ISO-8601 UTC with microseconds: sortable text, the one timestamp format in the store."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class RosterEntry:
    """One resident as the roster brings it (from the receiver, a bundle or a staff import)."""

    ref: str                          # the receiver's stable id for this resident
    id_number: str
    name: str
    sex: str = ""
    birth_date: str = ""
    address: str = ""
    phone: str = ""
    region: str = ""
    due_from: str = ""
    due_until: str = ""
    last_certified_at: str = ""
    version: int = 0
    active: bool = True
    photo_date: str = ""              # ISO date the enrolled photo was taken; "" = unknown
    last_channel: str = ""            # how `last_certified_at` was made: ROSTER_CHANNELS or ""


@dataclass(frozen=True)
class Resident:
    """A roster row as read back; the ID number is decrypted, show it only masked."""

    id: int
    ref: str | None
    id_number: str
    name: str
    sex: str
    birth_date: str
    address: str
    phone: str
    region: str
    due_from: str
    due_until: str
    last_certified_at: str
    roster_version: int
    active: bool
    has_face_template: bool
    last_certified_channel: str = ""  # the roster's channel of `last_certified_at` (or "")

    @property
    def masked_id_number(self) -> str:
        from kiosk.store.privacy import mask_id_number
        return mask_id_number(self.id_number)


@dataclass(frozen=True)
class AttemptRecord:
    number: int
    started_at: str
    finished_at: str
    outcome: str                      # passed | failed | abandoned
    liveness_passed: bool | None = None
    match_distance: float | None = None
    reason_code: str = ""
    challenges: tuple[str, ...] = ()


@dataclass(frozen=True)
class EvidenceItem:
    kind: EvidenceKind
    data: bytes                       # image bytes (JPEG/PNG); encrypted at rest


@dataclass(frozen=True)
class NewCertification:
    """Everything one certification decision writes, in one transaction."""

    resident_id: int
    channel: Channel
    result: Result
    started_at: str
    finished_at: str
    uuid: str = ""                    # empty: made by the store
    scores: dict[str, Any] = field(default_factory=dict)
    liveness: dict[str, Any] = field(default_factory=dict)
    model_versions: dict[str, str] = field(default_factory=dict)
    staff_id: int | None = None
    reason_codes: tuple[str, ...] = ()
    template: bytes | None = None     # face template (embedding bytes); kept on the kiosk
    attempts: tuple[AttemptRecord, ...] = ()
    evidence: tuple[EvidenceItem, ...] = ()
    synthetic: bool = False
    attestation: dict[str, Any] = field(default_factory=dict)   # staff-decided routes only
    face_data_consent: bool = False   # the resident's separate consent to ship face data


@dataclass(frozen=True)
class Certification:
    id: int
    uuid: str
    resident_id: int
    channel: str
    result: str
    started_at: str
    finished_at: str
    scores: dict[str, Any]
    liveness: dict[str, Any]
    model_versions: dict[str, str]
    staff_id: int | None
    reason_codes: tuple[str, ...]
    synthetic: bool
    attestation: dict[str, Any] = field(default_factory=dict)


VISIT_OUTCOMES: tuple[str, ...] = ("certified_at_home", "not_at_home", "deceased_reported")


@dataclass(frozen=True)
class VisitDetails:
    """A home visit's details (schema v3 columns; `remark` is the `note` column)."""

    address: str = ""
    phone: str = ""
    contact_person: str = ""
    reason: str = "other"            # a key of kiosk.staff.labels.VISIT_REASON_ZH
    remark: str = ""
    outcome: str = ""                # set when done: one of VISIT_OUTCOMES
    certification: str = ""          # the UUID written for certified_at_home
    cancel_reason: str = ""


@dataclass(frozen=True)
class HomeVisit:
    id: int
    uuid: str
    resident_id: int
    status: str
    requested_at: str
    scheduled_for: str
    done_at: str
    staff_id: int | None
    note: str
    updated_at: str
    details: VisitDetails = VisitDetails()


@dataclass(frozen=True)
class OutboxItem:
    seq: int
    uuid: str
    kind: str
    payload: dict[str, Any]
    created_at: str


@dataclass(frozen=True)
class SyncStatus:
    """What the staff console shows: offline is a normal state, not an error."""

    pending: int
    pending_synthetic: int
    acknowledged: int
    last_success_at: str
    last_attempt_at: str
    last_error: str
    last_error_at: str
    consecutive_failures: int
    roster_version: int
    quarantined: int = 0              # rows set aside (kiosk/store/quarantine.py), not pending

    @property
    def online_ok(self) -> bool:
        return bool(self.last_success_at) and self.consecutive_failures == 0
