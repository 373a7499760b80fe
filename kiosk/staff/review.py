"""The review queue: failed and referred certifications waiting for a staff decision.

An item leaves the queue when a staff member approves or rejects it (a `reviews` row, schema
v3 — unique per certification, so a second decision is refused by the database too — plus
an audit row `review.approved` / `review.rejected` whose subject is the certification UUID),
or when the same resident has passed since. Approval writes a NEW `counter_assisted` certification,
passed, attributed to the staff member, pointing back at the reviewed one; the failed record
itself is never changed. Both need a reason code from the catalogue.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from kiosk.staff.assisted import attested_certification
from kiosk.staff.labels import REVIEW_APPROVE_ZH, REVIEW_REJECT_ZH
from kiosk.staff.login import StaffSession
from kiosk.store import certifications as certs
from kiosk.store import roster
from kiosk.store.audit import append_audit
from kiosk.store.database import Store
from kiosk.store.records import utc_now

REVIEW_ACTIONS = ("review.approved", "review.rejected")
FACE_OUTCOME_ZH = {"accept": "自动通过", "review": "待人工核对（相似度在复核带内）",
                   "reject": "不相似"}
REFERENCE_ZH = {"card_portrait": "身份证照片", "chip_portrait": "芯片照片",
                "enrolled": "名册照片", "last_certification": "上次认证照片"}
REASON_ZH = {"face_review": "人脸相似度在复核带内，请核对", "no_reference": "没有可比对的照片",
             "no_reference_face": "照片里找不到可用的人脸"}
# one reference photo's problem (reason code `<reference>=<problem>`, from the matcher)
PROBLEM_ZH = {"unreadable": "图片损坏，无法读取", "no_face": "找不到人脸",
              "two_faces": "有两张人脸，无法确定是谁", "too_small": "人脸太小（照片太模糊）"}


def reason_zh(code: str) -> str:
    """A reason code in words for staff, e.g. `card_portrait=two_faces` ->
    "身份证照片：有两张人脸，无法确定是谁"."""
    if "=" in code:
        kind, problem = code.split("=", 1)
        return f"{REFERENCE_ZH.get(kind, kind)}：{PROBLEM_ZH.get(problem, problem)}"
    return REASON_ZH.get(code, code)


class ReviewError(ValueError):
    """No reason given, unknown item, or already reviewed; nothing was written."""


@dataclass(frozen=True)
class ReviewAttempt:
    number: int
    outcome: str
    liveness_passed: bool | None
    match_distance: float | None
    reason_code: str
    challenges: tuple[str, ...]


@dataclass(frozen=True)
class ReviewItem:
    uuid: str
    resident_id: int
    resident_name: str
    masked_id_number: str
    channel: str
    result: str
    finished_at: str
    scores: dict[str, Any]
    liveness: dict[str, Any]
    reason_codes: tuple[str, ...]
    attempts: tuple[ReviewAttempt, ...]


@dataclass(frozen=True)
class ReviewEvidence:
    """Images for the side-by-side view: live crops, and every reference there is."""

    live: tuple[bytes, ...]
    card_portrait: bytes | None
    enrolled_photo: bytes | None
    last_passed: bytes | None


_QUEUE_SQL = """
SELECT c.uuid, c.resident_id, c.channel, c.result, c.finished_at, c.scores, c.liveness,
       c.reason_codes, c.id
FROM certifications c
WHERE c.result IN ('failed', 'referred') AND c.synthetic = 0
  AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.certification_uuid = c.uuid)
  AND NOT EXISTS (SELECT 1 FROM certifications p WHERE p.resident_id = c.resident_id
                  AND p.result = 'passed' AND p.finished_at > c.finished_at)
ORDER BY c.finished_at
LIMIT ?
"""


def _attempts(conn: sqlite3.Connection, cert_id: int) -> tuple[ReviewAttempt, ...]:
    rows = conn.execute("SELECT number, outcome, liveness_passed, match_distance, reason_code,"
                        " challenges FROM attempts WHERE certification_id = ? ORDER BY number",
                        (cert_id,)).fetchall()
    return tuple(ReviewAttempt(r[0], r[1], None if r[2] is None else bool(r[2]), r[3], r[4],
                               tuple(json.loads(r[5]))) for r in rows)


def _queue(conn: sqlite3.Connection, store: Store, limit: int) -> list[ReviewItem]:
    items = []
    for row in conn.execute(_QUEUE_SQL, (limit,)).fetchall():
        resident = roster.get_resident(conn, store.key, row[1])
        items.append(ReviewItem(
            uuid=row[0], resident_id=row[1], resident_name=resident.name if resident else "",
            masked_id_number=resident.masked_id_number if resident else "",
            channel=row[2], result=row[3], finished_at=row[4], scores=json.loads(row[5]),
            liveness=json.loads(row[6]), reason_codes=tuple(json.loads(row[7])),
            attempts=_attempts(conn, row[8])))
    return items


def review_queue(store: Store, *, limit: int = 200) -> list[ReviewItem]:
    """Oldest first."""
    return store.read(lambda c: _queue(c, store, limit))


def face_decision_zh(item: ReviewItem) -> str:
    """The staff console's line on the face decision: outcome, deciding photo, distance
    against the settings in force, and liveness. (Staff only: residents never see a score.)"""
    s = item.scores
    if s.get("distance") is None:
        return "人脸比对：" + "、".join(reason_zh(r) for r in item.reason_codes) \
            if item.reason_codes else "人脸比对：无"
    parts = [f"人脸比对：{FACE_OUTCOME_ZH.get(str(s.get('outcome')), str(s.get('outcome', '')))}",
             f"决定照片：{REFERENCE_ZH.get(str(s.get('reference')), str(s.get('reference')))}",
             f"距离 {float(s['distance']):.3f}"]
    if s.get("threshold") is not None:
        upper = float(s["threshold"]) + float(s.get("review_band") or 0.0)
        parts[-1] += f"（自动通过 ≤ {float(s['threshold']):.3f}，复核带上限 {upper:.3f}）"
    models = s.get("models")
    if isinstance(models, dict) and models:      # two models fused: what each one said
        said = {str(v.get("outcome")) for v in models.values() if isinstance(v, dict)}
        if len(said) > 1 and s.get("outcome") == "review":
            parts[0] = "人脸比对：待人工核对（两个模型意见不一）"
        parts.append("各模型：" + "，".join(
            f"{name} {FACE_OUTCOME_ZH.get(str(v.get('outcome')), str(v.get('outcome')))}"
            for name, v in models.items() if isinstance(v, dict)))
    live = [a.liveness_passed for a in item.attempts]
    if live:
        parts.append("活体：" + ("通过" if live[-1] else "未通过"))
    return " · ".join(parts)


def review_evidence(store: Store, item: ReviewItem) -> ReviewEvidence:
    evidence = store.evidence_for(item.uuid)
    live = tuple(data for kind, data in evidence if kind == "face_crop")
    card = next((data for kind, data in evidence if kind == "card_portrait"), None)
    _template, photo = store.face_reference(item.resident_id)
    last = store.last_certification(item.resident_id, passed_only=True)
    last_crop = None
    kept = store.kept_reference(item.resident_id)
    if kept is not None and kept.photo:          # the consented crop the matcher compared
        last_crop = kept.photo
    elif last is not None:
        last_crop = next((d for k, d in store.evidence_for(last.uuid) if k == "face_crop"), None)
    return ReviewEvidence(live, card, photo, last_crop)


def _pending_row(conn: sqlite3.Connection, uuid: str) -> tuple:
    row = conn.execute("SELECT resident_id, result FROM certifications WHERE uuid = ?",
                       (uuid,)).fetchone()
    if row is None:
        raise ReviewError("no such certification")
    if row[1] not in ("failed", "referred"):
        raise ReviewError("only failed or referred certifications are reviewed")
    done = conn.execute("SELECT decision FROM reviews WHERE certification_uuid = ?",
                        (uuid,)).fetchone()
    if done:
        raise ReviewError(f"already reviewed ({done[0]})")
    return row


def _record(conn: sqlite3.Connection, session: StaffSession, uuid: str, decision: str,
            reason: str, note: str, new_uid: str = "") -> None:
    conn.execute(
        "INSERT INTO reviews (certification_uuid, decision, reason, note, staff, staff_id,"
        " decided_at, new_certification_uuid) VALUES (?,?,?,?,?,?,?,?)",
        (uuid, decision, reason, note.strip()[:200], session.actor, session.staff_id,
         utc_now(), new_uid))


def _check_reason(reason: str, note: str, catalogue: dict[str, str]) -> None:
    if reason not in catalogue:
        raise ReviewError("请选择原因。")
    if reason == "other" and not note.strip():
        raise ReviewError("原因选“其他”时请填写备注。")


def approve(store: Store, session: StaffSession, uuid: str, *, reason: str, note: str = "",
            now: dt.datetime | None = None) -> str:
    """Approve after checking the person: returns the new counter_assisted certification."""
    _check_reason(reason, note, REVIEW_APPROVE_ZH)

    def tx(conn: sqlite3.Connection) -> str:
        resident_id, _result = _pending_row(conn, uuid)
        new = attested_certification(
            resident_id=resident_id, channel="counter_assisted", staff_id=session.staff_id,
            reason_codes=("review_approved", reason),
            attestation={"by": session.actor, "reason": reason, "note": note.strip(),
                         "review_of": uuid, "id_card_checked": True, "person_present": True},
            now=now)
        new_uid = certs.save_certification(conn, store.key, new, ship_face_images=False)
        _record(conn, session, uuid, "approved", reason, note, new_uid)
        append_audit(conn, store.key.audit_key, actor=session.actor, action="review.approved",
                     subject=uuid, detail={"reason": reason, "certification": new_uid,
                                           "note": bool(note.strip())})
        return new_uid
    return store.write(tx).result()


def reject(store: Store, session: StaffSession, uuid: str, *, reason: str,
           note: str = "") -> None:
    """Reject with a reason; the record stays as it is, the decision is in the audit log."""
    _check_reason(reason, note, REVIEW_REJECT_ZH)

    def tx(conn: sqlite3.Connection) -> None:
        _pending_row(conn, uuid)
        _record(conn, session, uuid, "rejected", reason, note)
        append_audit(conn, store.key.audit_key, actor=session.actor, action="review.rejected",
                     subject=uuid, detail={"reason": reason, "note": note.strip()[:200]})
    store.write(tx).result()
