"""Challenge detectors: each sees rest -> action -> rest against the person's own baseline.

A detector is fed one observation at a time (with the attempt clock in seconds) and says
when its challenge is done. Nothing here looks at absolute eye or mouth sizes: narrow eyes,
drooping lids and glasses change the baseline, not the bar.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from kiosk.config import LivenessSettings as LivenessConfig
from kiosk.vision.observe import FaceObservation

CHALLENGES = ("blink", "open_mouth", "turn_left", "turn_right", "nod")

__all__ = ["CHALLENGES", "Baseline", "Detector", "LivenessConfig", "choose_challenges",
           "make_detector"]


@dataclass(frozen=True)
class Baseline:
    eye_open: float
    mouth_open: float
    yaw: float
    pitch: float

    @classmethod
    def from_observations(cls, obs: list[FaceObservation]) -> Baseline:
        eyes = [o.eye_open for o in obs]
        return cls(eye_open=max(float(np.percentile(eyes, 75)), 1e-3),
                   mouth_open=float(np.median([o.mouth_open for o in obs])),
                   yaw=float(np.median([o.yaw for o in obs])),
                   pitch=float(np.median([o.pitch for o in obs])))


def choose_challenges(count: int, rng: random.Random | None = None) -> tuple[str, ...]:
    """One or two distinct challenges in random order (seed the rng in tests)."""
    rng = rng or random.SystemRandom()
    count = min(max(1, count), 2)
    picks = rng.sample(CHALLENGES, count)
    if set(picks) == {"turn_left", "turn_right"}:
        picks[1] = rng.choice([c for c in CHALLENGES if not c.startswith("turn")])
    return tuple(picks)


class Detector:
    """rest -> action (held `action_min_s`) -> rest, or action held `hold_s` when allowed."""

    allow_hold = True

    def __init__(self, base: Baseline, cfg: LivenessConfig) -> None:
        self.base = base
        self.cfg = cfg
        self._rested = False
        self._action_start: float | None = None
        self.peak = 0.0
        self.onset: float | None = None   # when the action now under way (or just done) began
        self._left_rest_at: float | None = None

    def level(self, o: FaceObservation) -> str:
        """'rest', 'action' or 'between' for this frame."""
        raise NotImplementedError

    def reset(self) -> None:
        self._rested = False
        self._action_start = None

    def feed(self, o: FaceObservation, t: float) -> bool:
        state = self.level(o)
        if state == "rest":
            done = (self._action_start is not None
                    and t - self._action_start >= self.cfg.action_min_s)
            if done:
                self.onset = self._left_rest_at
            self._rested, self._action_start, self._left_rest_at = True, None, None
            return done
        if self._rested and self._left_rest_at is None:
            self._left_rest_at = t
        if state == "action" and self._rested:
            if self._action_start is None:
                self._action_start = t
            if self.allow_hold and t - self._action_start >= self.cfg.hold_s:
                self.onset = self._left_rest_at
                return True
        return False


class MouthDetector(Detector):
    """`watching`: the wrong-action watcher of another step, whose bar is a wide mouth
    (`wrong_mouth_min`), not the answer's: people talk and smile while they listen."""

    def __init__(self, base: Baseline, cfg: LivenessConfig, *, watching: bool = False) -> None:
        super().__init__(base, cfg)
        self.min_bar = cfg.wrong_mouth_min if watching else cfg.mouth_min

    def level(self, o: FaceObservation) -> str:
        bar = max(self.base.mouth_open + self.cfg.mouth_delta, self.min_bar)
        self.peak = max(self.peak, o.mouth_open)
        if o.mouth_open >= bar:
            return "action"
        return "rest" if o.mouth_open <= self.base.mouth_open + self.cfg.mouth_delta * 0.5 \
            else "between"


class TurnDetector(Detector):
    """A turn counts only when the head stayed past `turn_deg` for `turn_min_s` in one run:
    a head shaking in a video touches 18 degrees for a frame or two, a resident who turns on
    request stays turned that long even when turning straight back."""

    def __init__(self, base: Baseline, cfg: LivenessConfig, *, sign: float) -> None:
        super().__init__(base, cfg)
        self.sign = sign            # +1: resident's left (yaw > 0), -1: resident's right
        self._run_start: float | None = None
        self._longest_run = 0.0     # since the head last left rest

    def reset(self) -> None:
        super().reset()
        self._run_start, self._longest_run = None, 0.0

    def _beyond(self, o: FaceObservation) -> bool:
        return (o.yaw - self.base.yaw) * self.sign >= self.cfg.turn_deg

    def feed(self, o: FaceObservation, t: float) -> bool:
        if self._beyond(o):
            self._run_start = t if self._run_start is None else self._run_start
            self._longest_run = max(self._longest_run, t - self._run_start)
        else:
            self._run_start = None
        done = super().feed(o, t) and self._longest_run >= self.cfg.turn_min_s
        if self._at_rest(o):
            self._longest_run = 0.0     # back at rest: the next turn starts afresh
        return done

    def _at_rest(self, o: FaceObservation) -> bool:
        return not self._beyond(o) and abs(o.yaw - self.base.yaw) <= self.cfg.rest_deg

    def level(self, o: FaceObservation) -> str:
        self.peak = max(self.peak, (o.yaw - self.base.yaw) * self.sign)
        if self._beyond(o):
            return "action"
        return "rest" if self._at_rest(o) else "between"


class NodDetector(Detector):
    allow_hold = False              # a nod comes back up; looking down is not a nod

    def level(self, o: FaceObservation) -> str:
        d = o.pitch - self.base.pitch
        self.peak = max(self.peak, d)
        if d >= self.cfg.nod_deg:
            return "action"
        return "rest" if abs(d) <= self.cfg.rest_deg else "between"


class BlinkDetector(Detector):
    """Both eyes close deeply relative to the baseline and reopen within `blink_max_s`.

    A long closure (a downward gaze, resting eyes) is not a blink; a wink closes one eye only
    and keeps the two-eye mean high; a half blink does not reach `blink_closed_ratio`.
    """

    allow_hold = False

    def __init__(self, base: Baseline, cfg: LivenessConfig) -> None:
        super().__init__(base, cfg)
        self._left_rest: float | None = None
        self._min_ratio = 1.0
        self._max_shape = 0.0

    def level(self, o: FaceObservation) -> str:
        r = o.eye_open / self.base.eye_open
        if r >= self.cfg.blink_open_ratio:
            return "rest"
        return "action" if r <= self.cfg.blink_closed_ratio else "between"

    def reset(self) -> None:
        super().reset()
        self._left_rest = None

    def feed(self, o: FaceObservation, t: float) -> bool:
        r = o.eye_open / self.base.eye_open
        shape = (o.blendshapes.get("eyeBlinkLeft", 0.0) + o.blendshapes.get("eyeBlinkRight", 0.0)) / 2
        if r >= self.cfg.blink_open_ratio:
            done = (self._rested and self._left_rest is not None
                    and t - self._left_rest <= self.cfg.blink_max_s
                    and self._min_ratio <= self.cfg.blink_closed_ratio
                    and self._max_shape >= self.cfg.blink_min_blendshape)
            if done:
                self.peak = 1.0
                self.onset = self._left_rest
            self._rested, self._left_rest = True, None
            self._min_ratio, self._max_shape = 1.0, 0.0
            return done
        if self._rested:
            if self._left_rest is None:
                self._left_rest = t
            self._min_ratio = min(self._min_ratio, r)
            self._max_shape = max(self._max_shape, shape)
            self.peak = max(self.peak, 1.0 - r)
        return False


def make_detector(challenge: str, base: Baseline, cfg: LivenessConfig, *,
                  watching: bool = False) -> Detector:
    """The challenge's detector; `watching`: as a wrong-action watcher during another step."""
    if challenge == "blink":
        return BlinkDetector(base, cfg)
    if challenge == "open_mouth":
        return MouthDetector(base, cfg, watching=watching)
    if challenge == "turn_left":
        return TurnDetector(base, cfg, sign=+1.0)
    if challenge == "turn_right":
        return TurnDetector(base, cfg, sign=-1.0)
    if challenge == "nod":
        return NodDetector(base, cfg)
    raise ValueError(f"unknown challenge {challenge!r}")
