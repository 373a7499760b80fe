"""The vision worker's results as flow events, outside an attempt: coaching, FaceReady.

`ResultTranslator` is pure (no threads, no models, no frames): it is fed the frozen
FrameResults the `kiosk.vision.worker.VisionWorker` publishes while no attempt is in flight
and returns the events the flow understands. An attempt's own results (challenges, liveness,
the match) are turned into events by the attempt itself (kiosk.face.attempt.FaceAttempt).
CameraVision calls both under its lock, from the worker's thread, and posts what comes back.

Rules kept from the journey's first version:
- a coaching reason must hold for `stable_frames` frames before it is shown and spoken (no
  flicker between two reasons), and it is sent only when it changes;
- FaceReady after `ready_frames` good frames in a row (then the flow starts liveness).
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
    """Coaching on one face screen, from the worker's frame results; not thread-safe."""

    def __init__(self, *, ready_frames: int = READY_FRAMES,
                 stable_frames: int = STABLE_FRAMES) -> None:
        self.ready_frames = ready_frames
        self.stable_frames = stable_frames
        self.reset()

    @classmethod
    def from_settings(cls, settings: Settings) -> ResultTranslator:
        q = settings.vision.quality
        return cls(ready_frames=q.ready_frames, stable_frames=q.stable_frames)

    def reset(self) -> None:
        """A new face screen (or none): forget coaching."""
        self._good = 0
        self._reason = ""
        self._pending: tuple[str, int] = ("", 0)

    def frame(self, result: Any) -> list[ev.Event]:
        """A FrameResult outside an attempt: coaching + FaceReady."""
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

    @staticmethod
    def match(result: Any, evidence: dict[str, Any] | None = None) -> ev.MatchDone:
        """A MatchResult -> MatchDone (with the probe's evidence); a refused or impossible
        match is a plain failure."""
        d = result.decision
        if d is None:
            return ev.MatchDone(False, None, "", result.reason, evidence)
        return ev.MatchDone(bool(d.matched), d.score, d.reference or "", d.reason, evidence,
                            outcome=getattr(d, "outcome", ""),
                            detail=getattr(d, "note", ""),
                            models=tuple(getattr(d, "models", ())))


def card_event(result: CardCoaching | CardNumberRead) -> ev.Event:
    """The card reader's result as the flow's event."""
    if isinstance(result, CardNumberRead):
        return ev.CardRead(ev.ResidentIdentity(result.number, result.name, "card",
                                               result.portrait,
                                               getattr(result, "issued", "")))
    return ev.CardCoaching(result.reason)
