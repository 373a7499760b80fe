"""One step of an attempt: an asked action, or "hold still", judged from its prompt onwards.

Why these rules: a recording of the resident holds its actions at fixed moments, a live
person acts when asked. So an action counts only when it *begins* inside `onset_window_s`
after the prompt was delivered (shown and spoken to the end), an action already under way
when the prompt arrives must first come back to rest, and another challenge's *full* action
(rest -> action -> rest, the same detectors) during the step is a wrong action. Blinks are
never a wrong action: people blink every few seconds while listening. "Hold still" asks for
a quiet face for `still_s`: a recording in constant motion cannot give it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kiosk.vision.challenges import CHALLENGES, Baseline, LivenessConfig, make_detector
from kiosk.vision.observe import FaceObservation

DONE = "done"
WRONG = "wrong_action"
TIMEOUT = "challenge_timeout"
NOT_STILL = "not_still"
NATURAL = ("blink",)          # never counted as a wrong action


@dataclass(frozen=True)
class StepOutcome:
    status: str                     # done | wrong_action | challenge_timeout | not_still
    detail: str = ""                # the wrong action seen, or the measure that moved
    onset_delay_s: float | None = None


class Step:
    """Shared by both kinds: the prompt time and the wrong-action watchers."""

    def __init__(self, name: str, base: Baseline, cfg: LivenessConfig, started_t: float) -> None:
        self.name = name
        self.base = base
        self.cfg = cfg
        self.started_t = started_t
        self.prompt_t: float | None = None
        self.watchers = {c: make_detector(c, base, cfg, watching=True) for c in CHALLENGES
                         if c != name and c not in NATURAL}

    def deliver(self, t: float) -> None:
        if self.prompt_t is None:
            self.prompt_t = t

    def _wrong(self, o: FaceObservation, t: float) -> str | None:
        for c, w in self.watchers.items():
            if w.feed(o, t):
                return c
        return None

    def feed(self, o: FaceObservation, t: float) -> StepOutcome | None:
        raise NotImplementedError


class ActionStep(Step):
    def __init__(self, name: str, base: Baseline, cfg: LivenessConfig, started_t: float) -> None:
        super().__init__(name, base, cfg, started_t)
        self.detector = make_detector(name, base, cfg)
        self.late_actions = 0

    def deliver(self, t: float) -> None:
        if self.prompt_t is None:
            super().deliver(t)
            # anything seen before the prompt is forgotten: the action must start afresh
            self.detector = make_detector(self.name, self.base, self.cfg)

    def feed(self, o: FaceObservation, t: float) -> StepOutcome | None:
        wrong = self._wrong(o, t)
        if wrong is not None:
            return StepOutcome(WRONG, wrong)
        if self.prompt_t is None:
            return None
        if self.detector.feed(o, t):
            onset = self.detector.onset if self.detector.onset is not None else t
            delay = onset - self.prompt_t
            if delay <= self.cfg.onset_window_s:
                return StepOutcome(DONE, onset_delay_s=delay)
            self.late_actions += 1
        if t - self.prompt_t > self.cfg.onset_window_s + self.cfg.finish_s:
            return StepOutcome(TIMEOUT, "late" if self.late_actions else "none")
        return None


class StillStep(Step):
    """The face keeps its pose and place from `still_grace_s` after the prompt for `still_s`."""

    def __init__(self, name: str, base: Baseline, cfg: LivenessConfig, started_t: float) -> None:
        super().__init__(name, base, cfg, started_t)
        self._poses: list[tuple[float, float, float, float, float]] = []

    def feed(self, o: FaceObservation, t: float) -> StepOutcome | None:
        wrong = self._wrong(o, t)
        if self.prompt_t is None:
            return None
        begin = self.prompt_t + self.cfg.still_grace_s
        if wrong is not None and t >= begin:
            return StepOutcome(NOT_STILL, wrong)
        if t < begin:
            return None
        if o.box is not None:
            x, y, w, h = o.box
            self._poses.append((o.yaw, o.pitch, x + w / 2, y + h / 2, max(w, 1.0)))
        if len(self._poses) >= 2:
            p = np.array(self._poses)
            turn = float(max(np.ptp(p[:, 0]), np.ptp(p[:, 1])))
            shift = float(np.hypot(np.ptp(p[:, 2]), np.ptp(p[:, 3])) / np.median(p[:, 4]))
            if turn > self.cfg.still_max_deg:
                return StepOutcome(NOT_STILL, f"turned {turn:.1f} deg")
            if shift > self.cfg.still_max_shift:
                return StepOutcome(NOT_STILL, f"moved {shift:.2f} face widths")
        if t - begin >= self.cfg.still_s:
            return StepOutcome(DONE, onset_delay_s=0.0)
        return None


def make_step(name: str, base: Baseline, cfg: LivenessConfig, started_t: float) -> Step:
    if name == "hold_still":
        return StillStep(name, base, cfg, started_t)
    return ActionStep(name, base, cfg, started_t)
