"""In-memory ports for tests: a roster in a dict, records in a list, a vision part that
records what the flow asked and does nothing until the test posts what "happened".

Tests only: the kiosk never runs without its store (kiosk/services/root.py raises instead),
and `kiosk screenshots` uses the real store adapter on a scratch store and a still vision
part of its own (ui/screenshots_cmd.py).
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from kiosk.flow.events import CertificationRecord, Eligibility, ResidentIdentity
from kiosk.flow.ports import EventSink


@dataclass
class RosterEntry:
    id_number: str
    name: str
    last_certified: dt.date | None = None
    birth_month: int | None = None


class MemoryRoster:
    def __init__(self, entries: list[RosterEntry] | None = None) -> None:
        self._by_number = {e.id_number: e for e in entries or []}

    def lookup(self, id_number: str) -> Eligibility:
        entry = self._by_number.get(id_number)
        if entry is None:
            return Eligibility("not_in_roster")
        return Eligibility("in_roster", resident_id=f"r-{id_number[-4:]}", name=entry.name,
                           last_certified=entry.last_certified, birth_month=entry.birth_month)


@dataclass
class MemoryRecords:
    certifications: list[CertificationRecord] = field(default_factory=list)
    evidence: list[dict[str, Any] | None] = field(default_factory=list)
    home_visits: list[str] = field(default_factory=list)
    reference_answers: list[tuple[str, bool]] = field(default_factory=list)
    queries: list[tuple[str, str, str]] = field(default_factory=list)   # source, answer, channel
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def save_certification(self, record: CertificationRecord,
                           evidence: dict[str, Any] | None) -> str:
        with self._lock:
            self.certifications.append(record)
            self.evidence.append(evidence)
        return uuid.uuid4().hex

    def request_home_visit(self, resident_id: str, id_number: str) -> str:
        with self._lock:
            self.home_visits.append(resident_id)
        return uuid.uuid4().hex

    def keep_reference(self, resident_id: str, session_id: str, keep: bool) -> str:
        with self._lock:
            self.reference_answers.append((resident_id, keep))
        return "given" if keep else "declined"

    def record_query(self, id_number: str, source: str, answer: str, channel: str) -> int:
        with self._lock:
            self.queries.append((source, answer, channel))
            return len(self.queries)


class ScriptedVision:
    """Records what the flow asked for; the test posts the results itself."""

    def __init__(self) -> None:
        self.sink: EventSink | None = None
        self.mode = "off"
        self.calls: list[tuple[str, Any]] = []
        self.cleared = 0

    def bind(self, sink: EventSink) -> None:
        self.sink = sink

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        self.calls.append(("mode", mode))

    def start_liveness(self, challenges: tuple[str, ...]) -> None:
        self.calls.append(("liveness", challenges))

    def start_matching(self, resident_id: str, identity: ResidentIdentity,
                       references: Any = ()) -> None:
        self.calls.append(("matching", resident_id))

    def clear(self) -> None:
        self.cleared += 1
