"""What goes into the certification flow (events) and what comes out (effects).

All values are frozen: they cross from camera/vision/store workers to the flow and from the
flow to the screens and the speaker. Personal fields (name, number, portrait) live only in
`ResidentIdentity` and the views built from it, and are dropped when the flow clears.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from kiosk.flow.states import State

# ---------------------------------------------------------------- values


@dataclass(frozen=True)
class ResidentIdentity:
    """Who the person says they are: from the card (OCR or chip) or typed on the keypad."""

    id_number: str
    name: str = ""
    source: str = "keypad"                 # card | chip | keypad
    portrait: Any = field(default=None, repr=False, compare=False)  # BGR array or None
    portrait_date: str = ""                # ISO date the card was issued (its photo's age)


@dataclass(frozen=True)
class DueWindow:
    """When the next certification is due: the resident may come from `opens` to `closes`."""

    opens: dt.date
    closes: dt.date

    def text(self) -> str:
        return f"{self.opens:%Y年%m月%d日} 至 {self.closes:%Y年%m月%d日}"


@dataclass(frozen=True)
class Eligibility:
    """The roster's answer for one ID number."""

    outcome: str                           # eligible | not_in_roster | already_certified
    resident_id: str = ""                  # roster key (opaque to the flow)
    name: str = ""
    last_certified: dt.date | None = None
    birth_month: int | None = None
    # how `last_certified` was made: this_kiosk (a certification in this kiosk's own store,
    # made here or at its counter: then counter / home_visit), or the roster's channel as
    # the county carried it down (kiosk, counter, home_visit, data_match); "" = not known
    channel: str = ""


@dataclass(frozen=True)
class AttemptRecord:
    """One try at face certification (liveness + match), kept for the saved record."""

    number: int
    started: dt.datetime
    finished: dt.datetime
    outcome: str                           # passed | liveness_failed | spoof | no_match | ...
    challenges: tuple[str, ...] = ()
    score: float | None = None
    reference: str = ""
    reason: str = ""
    # each face model's own (model, outcome, distance) when two were fused
    models: tuple[tuple[str, str, float | None], ...] = ()


@dataclass(frozen=True)
class CertificationRecord:
    """A decision to save: certification + attempts (+ evidence the adapter holds)."""

    session_id: str
    resident_id: str
    id_number: str
    channel: str                           # kiosk_self | non_face | home_visit
    result: str                            # passed | failed | abandoned | referred
    started: dt.datetime
    finished: dt.datetime
    attempts: tuple[AttemptRecord, ...] = ()
    reason: str = ""
    next_window: DueWindow | None = None
    # what was wrong with each reference photo, e.g. ("card_portrait=two_faces",): for staff
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class Slip:
    """What the printed slip says (masked only)."""

    masked_name: str
    masked_id: str
    certified_on: dt.date
    next_window: DueWindow
    centre: str
    record_id: str


@dataclass(frozen=True)
class ScreenView:
    """Everything a screen needs to draw one state; prompt ids index the catalogue."""

    state: State
    step: int                              # 0 = no progress line
    prompt: str                            # the spoken + shown main prompt id
    params: tuple[tuple[str, str], ...] = ()
    masked_name: str = ""
    masked_id: str = ""
    coaching: str = ""                     # quality reason / challenge prompt id
    attempts: int = 0
    max_attempts: int = 0
    detail: str = ""                       # reason code (failed) or route (assistance)

    def param(self, key: str, default: str = "") -> str:
        return dict(self.params).get(key, default)


# ---------------------------------------------------------------- events in


@dataclass(frozen=True)
class Touch:
    """A button on the screen: action names are stable strings the screens send."""

    action: str


@dataclass(frozen=True)
class KeypadSubmitted:
    text: str


@dataclass(frozen=True)
class Tick:
    """Time passes (the UI sends one a second; tests send them with a fake clock)."""


@dataclass(frozen=True)
class Reset:
    """Back to welcome now, as after an idle timeout (e.g. after the UI recovered an error)."""
    why: str = "recovered"


@dataclass(frozen=True)
class CardRead:
    identity: ResidentIdentity | None
    reason: str = ""                       # why nothing usable was read


@dataclass(frozen=True)
class CardCoaching:
    reason: str                            # no_card | too_far | tilted | blurry | glare | ...


@dataclass(frozen=True)
class EligibilityChecked:
    eligibility: Eligibility
    # whose number was looked up ("" = not said): an answer for an earlier visit's card
    # (swapped while the look-up ran) is not applied to the person now at the kiosk
    id_number: str = field(default="", repr=False)


@dataclass(frozen=True)
class FaceQuality:
    reason: str                            # "" = good; else a vision quality reason code


@dataclass(frozen=True)
class FaceReady:
    """Quality gates passed for long enough: liveness can start."""


@dataclass(frozen=True)
class ChallengeStarted:
    challenge: str                         # blink | open_mouth | turn_left | turn_right | nod


@dataclass(frozen=True)
class ChallengePassed:
    challenge: str


@dataclass(frozen=True)
class LivenessDone:
    passed: bool
    reason: str = ""                       # timeout | spoof_planar | identity_swap | ...
    spoof: bool = False


@dataclass(frozen=True)
class MatchDone:
    """The comparison's answer. `evidence` rides with it: the crop of the probe frame the
    worker matched with (JPEG bytes by kind), so what is saved is what was compared."""

    passed: bool
    score: float | None = None
    reference: str = ""
    reason: str = ""
    evidence: dict[str, Any] | None = field(default=None, repr=False, compare=False)
    outcome: str = ""                      # accept | review | reject ("" = from `passed`)
    detail: str = ""                       # for staff: e.g. card_portrait=two_faces
    models: tuple[tuple[str, str, float | None], ...] = ()   # per model, when fused


@dataclass(frozen=True)
class CameraLost:
    pass


@dataclass(frozen=True)
class CameraBack:
    pass


@dataclass(frozen=True)
class RecordSaved:
    record_id: str


@dataclass(frozen=True)
class SaveFailed:
    reason: str


@dataclass(frozen=True)
class ReferenceAnswerSaved:
    """The resident's keep-the-crop answer was recorded (the consent state stored)."""

    consent: str


@dataclass(frozen=True)
class ChipCard:
    """Something happened on the chip reader (kiosk.services.chip_port posts it).

    kind: card_read | card_swapped | failed | reader_lost; reason: the staff-console code
    (chip_ok, chip_expired, chip_card_swapped, chip_number_invalid, chip_foreign_card,
    chip_read_failed, reader_unplugged). `identity` only when the card identifies the
    resident (its number passed GB 11643); `portrait` in it is the decoded chip photo."""

    kind: str
    reason: str
    identity: ResidentIdentity | None = field(default=None, repr=False)
    notes: tuple[str, ...] = ()            # e.g. photo_not_decoded (staff console)


Event = (Touch | KeypadSubmitted | Tick | Reset | CardRead | CardCoaching | EligibilityChecked
         | FaceQuality | FaceReady | ChallengeStarted | ChallengePassed | LivenessDone
         | MatchDone | CameraLost | CameraBack | RecordSaved | SaveFailed
         | ReferenceAnswerSaved | ChipCard)

# ---------------------------------------------------------------- effects out


@dataclass(frozen=True)
class Show:
    view: ScreenView


@dataclass(frozen=True)
class Say:
    prompt: str
    params: tuple[tuple[str, str], ...] = ()
    interrupt: bool = True
    lead: str = ""                         # a prompt id said just before (a short warning)


@dataclass(frozen=True)
class CameraMode:
    mode: str                              # off | face | card


@dataclass(frozen=True)
class StartLiveness:
    """Begin an attempt with these challenges (the worker's settings hold its time limit)."""

    challenges: tuple[str, ...]


@dataclass(frozen=True)
class StartMatching:
    resident_id: str
    identity: ResidentIdentity = field(repr=False)


@dataclass(frozen=True)
class LookupEligibility:
    id_number: str = field(repr=False)


@dataclass(frozen=True)
class SaveCertification:
    record: CertificationRecord = field(repr=False)
    evidence: dict[str, Any] | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class KeepReference:
    """Record the resident's separate answer: keep this visit's face crop (of the saved
    certification `session_id`) as their next reference, or not."""

    resident_id: str
    session_id: str
    keep: bool


@dataclass(frozen=True)
class AuditQuery:
    """A 查一查 look-up was answered (kiosk/flow/query.py): one audit row, nothing else —
    a query never certifies. `answer`: done | due | not_in_roster."""

    id_number: str = field(repr=False)
    source: str                            # chip | card | keypad
    answer: str
    channel: str = ""


@dataclass(frozen=True)
class RequestHomeVisit:
    resident_id: str
    id_number: str = field(repr=False)


@dataclass(frozen=True)
class PrintSlip:
    slip: Slip = field(repr=False)


@dataclass(frozen=True)
class CallStaff:
    reason: str                            # a code for the staff console, never personal


@dataclass(frozen=True)
class StaffNote:
    """A reason for the staff console that needs nobody to come (logged, never personal)."""

    reason: str


@dataclass(frozen=True)
class ClearPersonal:
    """Drop every personal value held outside the flow (screens, adapters, caches)."""


@dataclass(frozen=True)
class IdleWarning:
    active: bool


Effect = (Show | Say | CameraMode | StartLiveness | StartMatching | LookupEligibility
          | SaveCertification | KeepReference | RequestHomeVisit | PrintSlip | CallStaff
          | ClearPersonal | IdleWarning | StaffNote | AuditQuery)
