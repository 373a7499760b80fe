"""The vision worker's results as flow events: coaching, FaceReady, challenges, decisions.

`ResultTranslator` is pure (no threads, no models, no frames): it is fed the frozen values the
`kiosk.vision.worker.VisionWorker` publishes (FrameResult, AttemptEnded, MatchResult) and
returns the events the flow understands. The adapter (kiosk.face.attempt.CameraVision) calls it
under its lock, from the worker's thread, and posts what comes back.

Rules kept from the journey's first version:
- a coaching reason must hold for `stable_frames` frames before it is shown and spoken (no
  flicker between two reasons), and it is sent only when it changes;
- FaceReady after `ready_frames` good frames in a row (then the flow starts liveness);
- results of an attempt the flow no longer waits for (it left the screen, the camera was
  lost, the visit was cleared) are dropped, never turned into a failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.config import Settings, VisionQualitySection
from kiosk.flow import events as ev
from kiosk.idcard.card_reading import CardCoaching, CardNumberRead

# Defaults of [vision.quality] ready_frames / stable_frames (kiosk/config.py holds them).
READY_FRAMES = VisionQualitySection().ready_frames
STABLE_FRAMES = VisionQualitySection().stable_frames
SPOOF_REASONS = frozenset({"planar_motion", "frozen_frame", "screen_texture",
                           "spliced_stream", "repeated_motion",
                           "pad_model_spoof", "face_swapped", "handheld_plane",
                           "camera_changed", "injected_stream"})


@dataclass(frozen=True)
class LivenessVerdict:
    """What the flow is told when an attempt ends."""

    passed: bool
    reason: str
    spoof: bool


def liveness_verdict(result: Any) -> LivenessVerdict:
    """A LivenessResult as (passed, the reason to record, spoof?): a spoof signal is named
    first, so the saved attempt says *why* it was refused (e.g. frozen_frame, not the
    challenge timeout that came with it)."""
    reasons = tuple(result.reasons)
    spoofs = [r for r in reasons if r in SPOOF_REASONS]
    if result.passed:
        return LivenessVerdict(True, "", False)
    reason = spoofs[0] if spoofs else (reasons[0] if reasons else "failed")
    return LivenessVerdict(False, reason, bool(spoofs))


class ResultTranslator:
    """State of one face visit as seen from the worker's results; not thread-safe."""

    def __init__(self, *, ready_frames: int = READY_FRAMES,
                 stable_frames: int = STABLE_FRAMES) -> None:
        self.ready_frames = ready_frames
        self.stable_frames = stable_frames
        self.attempt_active = False
        self.reset()

    @classmethod
    def from_settings(cls, settings: Settings) -> ResultTranslator:
        q = settings.vision.quality
        return cls(ready_frames=q.ready_frames, stable_frames=q.stable_frames)

    def reset(self) -> None:
        """A new face screen (or none): forget coaching and any attempt in flight."""
        self.attempt_active = False
        self._good = 0
        self._reason = ""
        self._pending: tuple[str, int] = ("", 0)
        self._started_index = -1
        self._passed_count = 0
        self._coached = ""

    def start_attempt(self) -> None:
        self.attempt_active = True
        self._started_index = -1
        self._passed_count = 0

    # ---------------------------------------------------------------- per frame
    def frame(self, result: Any) -> list[ev.Event]:
        """A FrameResult: coaching + FaceReady before the attempt, challenges during it."""
        if result.liveness is not None:
            return self._progress(result.liveness) if self.attempt_active else []
        if self.attempt_active:
            return []               # asked for, not begun yet on the worker: wait
        quality = result.quality
        reason = "" if quality.ok else quality.reason
        out = self._coach(reason)
        self._good = self._good + 1 if quality.ok else 0
        if self._good == self.ready_frames:
            out.append(ev.FaceReady())
        return out

    def _coach(self, reason: str) -> list[ev.Event]:
        last, count = self._pending
        count = count + 1 if reason == last else 1
        self._pending = (reason, count)
        if count == self.stable_frames and reason != self._reason:
            self._reason = reason
            return [ev.FaceQuality(reason)]
        return []

    def _progress(self, p: Any) -> list[ev.Event]:
        out: list[ev.Event] = []
        done = len(p.challenges) if p.phase == "passed" else p.index
        out += self._announce_passed(p.challenges[:done])
        if p.phase == "challenge" and p.challenge and p.index != self._started_index:
            self._started_index = p.index
            out.append(ev.ChallengeStarted(p.challenge))
        coaching = getattr(p, "coaching", None) or ""
        if coaching and coaching != self._coached:      # a wrong action, coached once
            out.append(ev.ChallengeStarted(coaching))
        self._coached = coaching
        return out

    def _announce_passed(self, completed: tuple[str, ...]) -> list[ev.Event]:
        out: list[ev.Event] = [ev.ChallengePassed(c) for c in completed[self._passed_count:]]
        self._passed_count = max(self._passed_count, len(completed))
        return out

    # ---------------------------------------------------------------- decisions
    def attempt_ended(self, result: Any) -> list[ev.Event]:
        """An AttemptEnded's LivenessResult -> LivenessDone (only for the awaited attempt)."""
        if not self.attempt_active:
            return []
        self.attempt_active = False
        out = self._announce_passed(tuple(result.completed)) if result.passed else []
        verdict = liveness_verdict(result)
        return out + [ev.LivenessDone(verdict.passed, verdict.reason, spoof=verdict.spoof)]

    @staticmethod
    def match(result: Any, evidence: dict[str, Any] | None = None) -> ev.MatchDone:
        """A MatchResult -> MatchDone (with the probe's evidence); a refused or impossible
        match is a plain failure."""
        d = result.decision
        if d is None:
            return ev.MatchDone(False, None, "", result.reason, evidence)
        return ev.MatchDone(bool(d.matched), d.score, d.reference or "", d.reason, evidence,
                            outcome=getattr(d, "outcome", ""),
                            detail=getattr(d, "note", ""))


def card_event(result: CardCoaching | CardNumberRead) -> ev.Event:
    """The card reader's result as the flow's event."""
    if isinstance(result, CardNumberRead):
        return ev.CardRead(ev.ResidentIdentity(result.number, result.name, "card",
                                               result.portrait,
                                               getattr(result, "issued", "")))
    return ev.CardCoaching(result.reason)
