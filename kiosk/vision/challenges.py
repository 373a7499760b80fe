"""Challenge detectors: each sees rest -> action -> rest against the person's own baseline.

A detector is fed one observation at a time (with the attempt clock in seconds) and says
when its challenge is done. Nothing here looks at absolute eye or mouth sizes: narrow eyes,
drooping lids and glasses change the baseline, not the bar.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from kiosk.vision.observe import FaceObservation

CHALLENGES = ("blink", "open_mouth", "turn_left", "turn_right", "nod")


@dataclass(frozen=True)
class LivenessConfig:
    baseline_s: float = 1.0            # the person's resting face, from the first second
    challenge_timeout_s: float = 12.0
    blink_closed_ratio: float = 0.25   # eye openness / baseline at the bottom of a blink
    blink_open_ratio: float = 0.70     # back above this = eyes open again (rest)
    blink_max_s: float = 1.2           # a longer closure is a look down or a rest, not a blink
    blink_min_blendshape: float = 0.45
    mouth_delta: float = 0.12          # lip gap / face height above the resting mouth
    mouth_min: float = 0.18
    turn_deg: float = 18.0             # yaw away from the resting pose
    nod_deg: float = 12.0              # pitch down from the resting pose
    rest_deg: float = 8.0
    action_min_s: float = 0.10         # an action must be held this long to count
    hold_s: float = 0.5                # ...or this long without returning (mouth, turns)
    max_face_gap_s: float = 1.0        # face missing longer than this ends the attempt
    max_jump_frac: float = 0.6         # box centre jump (x face width) = another face
    planar_max_residual: float = 0.055 # median homography residual of turned frames
    planar_min_frames: int = 5
    frozen_diff: float = 0.02          # mean abs thumbnail difference below = same frame
    frozen_max_share: float = 0.9


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
            self._rested, self._action_start = True, None
            return done
        if state == "action" and self._rested:
            if self._action_start is None:
                self._action_start = t
            if self.allow_hold and t - self._action_start >= self.cfg.hold_s:
                return True
        return False


class MouthDetector(Detector):
    def level(self, o: FaceObservation) -> str:
        bar = max(self.base.mouth_open + self.cfg.mouth_delta, self.cfg.mouth_min)
        self.peak = max(self.peak, o.mouth_open)
        if o.mouth_open >= bar:
            return "action"
        return "rest" if o.mouth_open <= self.base.mouth_open + self.cfg.mouth_delta * 0.5 \
            else "between"


class TurnDetector(Detector):
    def __init__(self, base: Baseline, cfg: LivenessConfig, *, sign: float) -> None:
        super().__init__(base, cfg)
        self.sign = sign            # +1: resident's left (yaw > 0), -1: resident's right

    def level(self, o: FaceObservation) -> str:
        d = (o.yaw - self.base.yaw) * self.sign
        self.peak = max(self.peak, d)
        if d >= self.cfg.turn_deg:
            return "action"
        return "rest" if abs(o.yaw - self.base.yaw) <= self.cfg.rest_deg else "between"


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
            self._rested, self._left_rest = True, None
            self._min_ratio, self._max_shape = 1.0, 0.0
            if done:
                self.peak = 1.0
            return done
        if self._rested:
            if self._left_rest is None:
                self._left_rest = t
            self._min_ratio = min(self._min_ratio, r)
            self._max_shape = max(self._max_shape, shape)
            self.peak = max(self.peak, 1.0 - r)
        return False


def make_detector(challenge: str, base: Baseline, cfg: LivenessConfig) -> Detector:
    if challenge == "blink":
        return BlinkDetector(base, cfg)
    if challenge == "open_mouth":
        return MouthDetector(base, cfg)
    if challenge == "turn_left":
        return TurnDetector(base, cfg, sign=+1.0)
    if challenge == "turn_right":
        return TurnDetector(base, cfg, sign=-1.0)
    if challenge == "nod":
        return NodDetector(base, cfg)
    raise ValueError(f"unknown challenge {challenge!r}")
