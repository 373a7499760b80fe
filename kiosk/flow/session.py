"""One resident's visit as the flow holds it in memory — and nothing of it after it ends."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from kiosk.flow.events import AttemptRecord, DueWindow, Eligibility, ResidentIdentity
from kiosk.idcard.number import mask_id_number
from kiosk.store.privacy import mask_name


@dataclass
class Session:
    """Mutable, owned by the flow (one thread); dropped whole when the visit ends."""

    session_id: str
    started: dt.datetime
    route: str = "face"                       # face | non_face | query (kiosk/flow/query.py)
    identity: ResidentIdentity | None = None
    eligibility: Eligibility | None = None
    attempts: list[AttemptRecord] = field(default_factory=list)
    attempt_started: dt.datetime | None = None
    challenges: tuple[str, ...] = ()
    challenges_done: list[str] = field(default_factory=list)
    return_state: str = ""                    # where to go back to when the camera returns
    window: DueWindow | None = None
    certified_on: dt.date | None = None
    record_id: str = ""
    saved: bool = False
    evidence: dict | None = None              # of the latest comparison; saved once
    crop_saved: bool = False                  # a face crop went with the saved record
    card_warning: str = ""                    # chip_expired: said with the confirmation

    @property
    def masked_id(self) -> str:
        return mask_id_number(self.identity.id_number) if self.identity else ""

    @property
    def masked_name(self) -> str:
        name = self.identity.name if self.identity and self.identity.name else ""
        if not name and self.eligibility:
            name = self.eligibility.name
        return mask_name(name)

    @property
    def resident_id(self) -> str:
        return self.eligibility.resident_id if self.eligibility else ""
