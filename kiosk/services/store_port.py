"""The flow's roster look-up, record saving and match references on the real Store.

Runs on the flow's I/O worker: waiting on the store's writer Future here never blocks the GUI.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np

from kiosk.config import Settings
from kiosk.flow.events import AttemptRecord, CertificationRecord, Eligibility, ResidentIdentity
from kiosk.store.lookups import latest_certification, parse_day

log = logging.getLogger(__name__)

# A passed certification in this kiosk's own store, by its channel, as the resident hears it
# (Eligibility.channel): self-service here, at this centre's counter, or on a home visit.


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).isoformat(timespec="microseconds")




class StoreAdapter:
    """EligibilityPort + RecordPort over one open Store (the caller owns and closes it)."""

    def __init__(self, store: Any, settings: Settings, *,
                 on_saved: Callable[[], None] | None = None) -> None:
        self.store = store
        self.settings = settings
        self.on_saved = on_saved          # e.g. wake background sync: upload it now

    # ---- EligibilityPort
    def lookup(self, id_number: str) -> Eligibility:
        resident = self.store.find_resident_by_id_number(id_number)
        if resident is None or not resident.active:
            return Eligibility("not_in_roster")
        last, channel = latest_certification(
            resident, self.store.last_certification(resident.id, passed_only=True))
        birth = parse_day(resident.birth_date)
        month = birth.month if birth else (int(id_number[10:12]) if len(id_number) == 18
                                           else None)
        return Eligibility("in_roster", resident_id=str(resident.id), name=resident.name,
                           last_certified=last, birth_month=month, channel=channel)

    # ---- RecordPort
    def save_certification(self, record: CertificationRecord,
                           evidence: dict[str, Any] | None) -> str:
        from kiosk.store.records import EvidenceItem, NewCertification

        evidence = evidence or {}
        items = tuple(EvidenceItem(kind, data) for kind, data in evidence.items()
                      if kind in ("face_crop", "card_portrait") and data)
        best = next((a for a in reversed(record.attempts) if a.score is not None), None)
        new = NewCertification(
            resident_id=int(record.resident_id), channel=record.channel,  # type: ignore[arg-type]
            result=record.result,  # type: ignore[arg-type]
            started_at=_iso(record.started), finished_at=_iso(record.finished),
            uuid=str(uuid.UUID(hex=record.session_id)),
            scores=_scores(best, self.settings),
            liveness={"challenges": [list(a.challenges) for a in record.attempts],
                      "outcomes": [a.outcome for a in record.attempts]},
            model_versions={"face": _face_models(best, self.settings)},
            reason_codes=tuple(r for r in (record.reason, *record.problems) if r),
            template=evidence.get("template"),
            attempts=tuple(_attempt(a) for a in record.attempts),
            evidence=items)
        uid = self.store.save_certification(new).result(timeout=30)
        log.info("certification saved: %s (%s)", record.result, uid[:8])
        self._saved()
        return uid

    # ---- ReferencePort (flow-io thread: never the camera or vision-worker thread)
    def references(self, resident_id: str) -> list[Any]:
        """The resident's stored photos as match references, each with its age
        (`store_references`): the roster's enrolled photo and a kept last-certification crop."""
        return store_references(self.store)(resident_id, None)

    def record_query(self, id_number: str, source: str, answer: str, channel: str) -> int:
        """A 查一查 answered: the audit row (kiosk.store.lookups), nothing else."""
        return self.store.record_query(id_number, source=source, answer=answer,
                                       channel=channel).result(timeout=30)

    def request_home_visit(self, resident_id: str, id_number: str) -> str:
        visit = self.store.request_home_visit(int(resident_id), note="kiosk").result(timeout=30)
        self._saved()
        return visit.uuid

    def keep_reference(self, resident_id: str, session_id: str, keep: bool) -> str:
        consent = self.store.keep_reference(
            int(resident_id), str(uuid.UUID(hex=session_id)), keep=keep,
            keep_days=self.settings.face.keep_reference_days).result(timeout=30)
        log.info("face reference answer recorded: %s", consent)
        return consent

    def _saved(self) -> None:
        if self.on_saved is not None:
            try:
                self.on_saved()
            except Exception:  # noqa: BLE001 - the record is saved; a listener cannot undo it
                log.exception("record-saved listener failed")


def _scores(best: AttemptRecord | None, settings: Settings) -> dict[str, Any]:
    """What the decision rested on, for staff review and the site calibration report:
    the deciding distance and reference, the outcome, and the settings in force."""
    if best is None:
        return {}
    from kiosk.vision.match import configured_band

    band = configured_band(settings.vision)
    scores = {"distance": best.score, "reference": best.reference,
              "outcome": {"passed": "accept", "review": "review"}.get(best.outcome, "reject"),
              "threshold": band.threshold, "review_band": band.review_band}
    if best.models:       # two models fused: what each said (kiosk.vision.fusion)
        scores["models"] = {m: {"outcome": o, "distance": d} for m, o, d in best.models}
    return scores


def _face_models(best: AttemptRecord | None, settings: Settings) -> str:
    """The face model(s) that decided: "Dlib", or "Dlib+SFace" when two were fused."""
    if best is not None and best.models:
        return "+".join(m for m, _, _ in best.models)
    return settings.vision.model


def _attempt(a: AttemptRecord) -> Any:
    from kiosk.store.records import AttemptRecord as StoreAttempt

    return StoreAttempt(
        number=a.number, started_at=_iso(a.started), finished_at=_iso(a.finished),
        outcome="passed" if a.outcome == "passed" else "failed",
        liveness_passed=a.outcome in ("passed", "no_match", "review", "no_reference"),
        match_distance=a.score, reason_code=a.reason or a.outcome,
        challenges=a.challenges)


def store_references(store: Any, *, today: Callable[[], dt.date] = dt.date.today
                     ) -> Callable[[str, ResidentIdentity | None], list[Any]]:
    """The store's references of a resident, each with its age (kiosk.vision.match.Reference):
    the roster's enrolled photo (as old as its enrolment date, unknown without one) and the
    face crop of a last certification the resident agreed to keep (as old as that
    certification). An image that does not decode is still passed on (as an empty picture),
    so the matcher names it `unreadable` for staff instead of it silently vanishing."""
    import cv2

    from kiosk.vision.decision import photo_age_years
    from kiosk.vision.match import Reference

    def decode(data: bytes) -> np.ndarray:
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        return image if image is not None else np.zeros((0, 0, 3), np.uint8)

    def refs(resident_id: str, identity: ResidentIdentity | None) -> list[Any]:
        if not resident_id:
            return []
        out = []
        day = today()
        _template, photo = store.face_reference(int(resident_id))
        if photo:
            taken = store.face_photo_date(int(resident_id))
            out.append(Reference("enrolled", decode(photo), photo_age_years(taken, day)))
        kept = store.kept_reference(int(resident_id))
        if kept is not None and kept.photo:
            out.append(Reference("last_certification", decode(kept.photo),
                                 photo_age_years(kept.photo_date, day)))
        return out

    return refs

