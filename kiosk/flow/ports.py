"""What the flow needs from the rest of the kiosk, as narrow interfaces.

The flow never imports the camera or vision packages, and from the ID-card and store
packages only their pure rules (`kiosk.idcard.number`: GB 11643 checks and masking;
`kiosk.store.privacy`: name masking) — never a reader, a model or a database. The real parts
are fitted to these ports in `kiosk/face/` (camera + vision) and
`kiosk/services/store_port.py` (store: roster, records, match references), put together by
`kiosk/services/root.py`. Blocking calls (look-up, save, reading the match references) are
run on the runtime's I/O worker; streaming parts (camera + vision) push events through the
sink they are bound to.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from kiosk.flow.events import CertificationRecord, Eligibility, Event, ResidentIdentity, Slip

EventSink = Callable[[Event], None]


class EligibilityPort(Protocol):
    def lookup(self, id_number: str) -> Eligibility:
        """The roster's answer; blocking (runs on a worker)."""


class RecordPort(Protocol):
    def save_certification(self, record: CertificationRecord,
                           evidence: dict[str, Any] | None) -> str:
        """Certification + attempts + evidence + audit + outbox in one transaction; its id."""

    def request_home_visit(self, resident_id: str, id_number: str) -> str:
        """A home-visit request the staff console will see; its id."""

    def keep_reference(self, resident_id: str, session_id: str, keep: bool) -> str:
        """The resident's separate answer about keeping the saved certification's face crop
        as their next reference; the consent state recorded (given | declined)."""

    def record_query(self, id_number: str, source: str, answer: str, channel: str) -> int:
        """A 查一查 answered: one audit row (masked number only), nothing certified; its seq."""


class VisionPort(Protocol):
    """Camera + vision + card reading: events go to the bound sink, from any thread."""

    def bind(self, sink: EventSink) -> None: ...

    def set_mode(self, mode: str) -> None:
        """off | face (quality coaching, FaceReady) | card (CardCoaching, CardRead)."""

    def start_liveness(self, challenges: tuple[str, ...]) -> None:
        """ChallengeStarted/ChallengePassed per challenge, then LivenessDone."""

    def start_matching(self, resident_id: str, identity: ResidentIdentity,
                       references: Sequence[tuple[str, Any]] = ()) -> None:
        """MatchDone against the card portrait and `references` (what the ReferencePort
        gave, read off the camera and worker threads by the runtime)."""

    def clear(self) -> None:
        """Forget everything personal (references, crops, frames)."""


class ReferencePort(Protocol):
    def references(self, resident_id: str) -> list[tuple[str, Any]]:
        """The resident's stored face photos as (kind, BGR image); blocking (runs on the
        runtime's I/O worker, never on the camera or vision-worker thread)."""


class SlipPort(Protocol):
    def print_slip(self, slip: Slip) -> Path:
        """Write the slip (a PDF in the UI); returns where."""


class StaffPort(Protocol):
    def call_staff(self, reason: str) -> None:
        """Tell the counter someone needs help (reason codes only)."""

    def note(self, reason: str) -> None:
        """Tell the counter something that needs nobody to come (reason codes only)."""


class ChipPort(Protocol):
    """A chip reader watched off the flow's thread (kiosk.services.chip_port): `ChipCard`
    events go to the bound sink from the watcher's thread."""

    def bind(self, sink: EventSink) -> None: ...

    def clear(self) -> None:
        """The visit ended: the card lying on the reader counts as new for the next one."""

    def close(self) -> None:
        """Stop watching and close the reader (the composition root, at exit)."""
