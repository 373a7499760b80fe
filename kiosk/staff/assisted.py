"""Staff-attested certifications: the non-face route the law requires, and proxy help.

The staff member checks the ID card and the person in front of them and attests; the record
is a `counter_assisted` (staff helped at the counter) or `non_face` (no face comparison at
all) certification, passed, attributed to the staff member, with a reason code. When a
relative helps (亲情服务), who helped, their relation and their consent are recorded too.

Where the attestation lives: the certification's `attestation` column (schema v3; v2 kept it
in `scores["attestation"]` and the migration moved it) — checks made, reason, note, and for
a proxy the helper's name, masked ID number, relation and consent. It is synced as the
payload's `attestation`. The audit row carries only codes and the masked number.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from typing import Any

from kiosk.idcard.number import mask_id_number, validate_id_number
from kiosk.staff.labels import ASSISTED_REASON_ZH, PROXY_RELATION_ZH
from kiosk.staff.login import StaffSession
from kiosk.store import certifications as certs
from kiosk.store.audit import append_audit
from kiosk.store.database import Store
from kiosk.store.records import NewCertification

ATTESTED_CHANNELS = ("counter_assisted", "non_face")


class AttestationError(ValueError):
    """A required check, reason or consent is missing; nothing was written."""


@dataclass(frozen=True)
class ProxyHelper:
    """A relative (or carer) who helps the resident at the counter."""

    name: str
    relation: str                   # a key of PROXY_RELATION_ZH
    consent: bool                   # the helper agreed to be recorded
    id_number: str = ""
    phone: str = ""

    def record(self) -> dict[str, Any]:
        return {"name": self.name, "relation": self.relation, "consent": self.consent,
                "id_number_masked": mask_id_number(self.id_number), "phone": self.phone}


@dataclass(frozen=True)
class Attestation:
    """What the staff member confirms before a certification without a face match."""

    resident_id: int
    channel: str                    # counter_assisted | non_face
    reason: str                     # a key of ASSISTED_REASON_ZH
    id_card_checked: bool
    person_present: bool
    note: str = ""
    proxy: ProxyHelper | None = None


def check_attestation(att: Attestation) -> None:
    """Refuse anything incomplete, with a message the console shows as is."""
    if att.channel not in ATTESTED_CHANNELS:
        raise AttestationError(f"channel must be one of {ATTESTED_CHANNELS}")
    if att.reason not in ASSISTED_REASON_ZH:
        raise AttestationError("请选择原因。")
    if att.reason == "other" and not att.note.strip():
        raise AttestationError("原因选“其他”时请填写备注。")
    if not att.id_card_checked:
        raise AttestationError("请先核对身份证原件。")
    if not att.person_present:
        raise AttestationError("请确认本人在场。")
    if att.proxy is not None:
        p = att.proxy
        if not p.name.strip():
            raise AttestationError("请填写协助人姓名。")
        if p.relation not in PROXY_RELATION_ZH:
            raise AttestationError("请选择协助人与本人的关系。")
        if not p.consent:
            raise AttestationError("协助人未同意登记，不能办理亲情协助。")
        if p.id_number and not validate_id_number(p.id_number).ok:
            raise AttestationError("协助人身份证号码不正确。")


def attested_certification(*, resident_id: int, channel: str, staff_id: int,
                           reason_codes: tuple[str, ...], attestation: dict[str, Any],
                           now: dt.datetime | None = None) -> NewCertification:
    """A passed certification decided by a person, not by the face match."""
    at = (now or dt.datetime.now(dt.UTC)).isoformat(timespec="microseconds")
    return NewCertification(resident_id=resident_id, channel=channel,  # type: ignore[arg-type]
                            result="passed", started_at=at, finished_at=at,
                            staff_id=staff_id, reason_codes=reason_codes,
                            attestation=attestation)


def _certify_tx(conn: sqlite3.Connection, store: Store, session: StaffSession,
                att: Attestation, now: dt.datetime | None) -> str:
    if conn.execute("SELECT 1 FROM residents WHERE id = ?", (att.resident_id,)).fetchone() is None:
        raise AttestationError("名册里没有这位居民。")
    attestation: dict[str, Any] = {"by": session.actor, "reason": att.reason,
                                   "id_card_checked": True, "person_present": True,
                                   "note": att.note.strip()}
    codes = ["staff_attested", att.reason]
    if att.proxy is not None:
        attestation["proxy"] = att.proxy.record()
        codes.append(f"proxy_{att.proxy.relation}")
    new = attested_certification(resident_id=att.resident_id, channel=att.channel,
                                 staff_id=session.staff_id, reason_codes=tuple(codes),
                                 attestation=attestation, now=now)
    uid = certs.save_certification(conn, store.key, new, ship_face_images=False)
    detail: dict[str, Any] = {"channel": att.channel, "reason": att.reason}
    if att.proxy is not None:
        detail.update(proxy_relation=att.proxy.relation, proxy_consent=att.proxy.consent,
                      proxy_id=mask_id_number(att.proxy.id_number))
    append_audit(conn, store.key.audit_key, actor=session.actor,
                 action="proxy.certified" if att.proxy else "certification.attested",
                 subject=uid, detail=detail)
    return uid


def certify_attested(store: Store, session: StaffSession, att: Attestation, *,
                     now: dt.datetime | None = None) -> str:
    """Check, then write certification + audit + outbox in one transaction; returns its UUID."""
    check_attestation(att)
    return store.write(lambda c: _certify_tx(c, store, session, att, now)).result()
