"""Active liveness: a short, random sequence of challenges plus anti-spoofing signals.

A `LivenessSession` is fed observations (and, when available, the frames) of one attempt and
ends passed or failed with reason codes. It takes the person's baseline from the first
second of a resting face (a second with the mouth open as wide as an answer is measured
again), then runs each step (an action, or "hold still") after a short random pause: the
step is announced (phase "challenge"), the caller says when its prompt was delivered
(`prompt_delivered`), and the action must begin inside a window after that (see steps.py).
A wrong action is coached once (`progress().coaching`), the second one fails the attempt.
Liveness must pass before any face comparison is made; the worker enforces that.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from kiosk.vision import pad as padlib
from kiosk.vision.challenges import CHALLENGES, Baseline, LivenessConfig, choose_challenges
from kiosk.vision.observe import FaceObservation
from kiosk.vision.repeat import RepeatDetector
from kiosk.vision.sequence import STEPS
from kiosk.vision.splice import CutDetector
from kiosk.vision.steps import DONE, WRONG, Step, StepOutcome, make_step
from kiosk.vision.surround import SurroundTracker

log = logging.getLogger(__name__)

__all__ = ["CHALLENGES", "LivenessConfig", "LivenessProgress", "LivenessResult",
           "LivenessSession", "choose_challenges"]

# Reason codes of a failed attempt.
CHALLENGE_TIMEOUT = "challenge_timeout"
NO_FACE = "no_face"
FACE_LOST = "face_lost"
FACE_SWAPPED = "face_swapped"
MORE_THAN_ONE_FACE = "more_than_one_face"
PLANAR_MOTION = "planar_motion"
FROZEN_FRAME = "frozen_frame"
SCREEN_TEXTURE = "screen_texture"
PAD_MODEL_SPOOF = "pad_model_spoof"
PAD_MODEL_UNAVAILABLE = "pad_model_unavailable"
WRONG_ACTION = WRONG
NOT_STILL = "not_still"
HANDHELD_PLANE = "handheld_plane"
SPLICED_STREAM = "spliced_stream"
REPEATED_MOTION = "repeated_motion"
CAMERA_CHANGED = "camera_changed"
STREAM_STALLED = "stream_stalled"
BAD_TIMESTAMPS = "bad_timestamps"
PROMPT_MODES = ("auto", "told")


@dataclass(frozen=True)
class LivenessProgress:
    phase: str                     # baseline | pause | challenge | passed | failed
    challenge: str | None          # the step being asked now (an action or hold_still)
    index: int                     # 0-based position in `challenges`
    challenges: tuple[str, ...]
    elapsed_s: float               # time spent on the current challenge
    timeout_s: float
    awaiting_prompt: bool = False  # announced, its prompt not delivered yet
    coaching: str | None = None    # e.g. "wrong_action_blink": say it, then re-prompt


@dataclass(frozen=True)
class LivenessResult:
    passed: bool
    reasons: tuple[str, ...]       # empty when passed
    challenges: tuple[str, ...]
    completed: tuple[str, ...]
    duration_s: float
    signals: MappingProxyType[str, Any] = field(default_factory=lambda: MappingProxyType({}))


class LivenessSession:
    """One attempt. Not thread-safe: the vision worker owns it."""

    def __init__(self, challenges: Sequence[str], config: LivenessConfig | None = None, *,
                 pad_model: padlib.PadModel | None = None, require_pad_model: bool = False,
                 pauses_s: Sequence[float] | None = None, prompt_mode: str = "auto") -> None:
        unknown = [c for c in challenges if c not in STEPS]
        if unknown or not challenges or prompt_mode not in PROMPT_MODES:
            raise ValueError(f"bad challenges {list(challenges)!r} or mode {prompt_mode!r}")
        self.challenges = tuple(challenges)
        self.cfg = config or LivenessConfig()
        self.pauses_s = tuple(pauses_s) if pauses_s is not None else (0.0,) * len(challenges)
        if len(self.pauses_s) != len(self.challenges):
            raise ValueError("one pause per step")
        self.prompt_mode = prompt_mode
        self._step: Step | None = None
        self._step_due = 0.0              # when the current step is announced (after its pause)
        self._coached = False
        self._coaching: str | None = None
        self._told_at: float | None = None
        self._last_stamp: float | None = None
        self._same_stamps = 0
        self._shape: tuple[int, ...] | None = None
        self._surround = SurroundTracker()
        self._cuts = CutDetector()
        self._repeat = RepeatDetector()
        self.onset_delays: list[float] = []
        self.step_log: list[tuple[str, str, str]] = []   # (step, outcome, detail)
        self._pad = pad_model
        self._require_pad = require_pad_model
        self._t0: float | None = None
        self._t = 0.0
        self._baseline_obs: list[FaceObservation] = []
        self._baseline_start: float | None = None
        self.baseline: Baseline | None = None
        self._ref: FaceObservation | None = None
        self._index = 0
        self._challenge_start = 0.0
        self.completed: list[str] = []
        self._last_face: FaceObservation | None = None
        self._last_face_t = 0.0
        self._crowd = 0
        self._prev_frame: np.ndarray | None = None
        self._prev_thumb: np.ndarray | None = None
        self._frame_pairs = 0
        self._frozen_pairs = 0
        self._residuals: list[float] = []
        self._pad_verdicts: list[str] = []
        self._texture: list[float] = []
        self._faces_seen = 0
        self.result: LivenessResult | None = None

    # --- public -------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return self.result is not None

    def progress(self) -> LivenessProgress:
        if self.result is not None:
            phase = "passed" if self.result.passed else "failed"
        elif self.baseline is None:
            phase = "baseline"
        else:
            phase = "challenge" if self._step is not None else "pause"
        current = self.challenges[self._index] if self._index < len(self.challenges) else None
        elapsed = self._t - self._challenge_start if self.baseline is not None else 0.0
        waiting = self._step is not None and self._step.prompt_t is None
        return LivenessProgress(phase, current, self._index, self.challenges, elapsed,
                                self.cfg.challenge_timeout_s, waiting, self._coaching)

    def prompt_delivered(self, t_s: float | None = None) -> None:
        """The current step's prompt has been shown and spoken to the end, at camera time
        `t_s` (seconds, the clock of the observations' timestamps; None = the last frame)."""
        self._told_at = self._t if t_s is None or self._t0 is None else t_s - self._t0

    def update(self, obs: FaceObservation, frame: np.ndarray | None = None) -> LivenessProgress:
        """Feed one observation (in time order); returns where the attempt stands."""
        if self.result is not None:
            return self.progress()
        t_abs = obs.timestamp_ms / 1000.0
        if self._t0 is None:
            self._t0 = t_abs
        t = t_abs - self._t0
        if not self._check_clock(t, obs, frame):
            return self.progress()
        self._t = t
        if frame is not None:
            self._watch_frames(frame, obs)
        if not self._track(obs, t):
            return self.progress()
        if not obs.has_face:
            self._check_timeout(t)
            return self.progress()
        self._repeat.feed(obs, t)
        if self.baseline is None:
            self._collect_baseline(obs, t)
            return self.progress()
        self._watch_pose(obs)
        self._run_step(obs, t)
        self._check_timeout(t)
        return self.progress()

    def finish(self, reason: str = CHALLENGE_TIMEOUT) -> LivenessResult:
        """End the attempt now (stream ended, camera lost, resident left)."""
        if self.result is None:
            if self._faces_seen == 0:
                reason = NO_FACE
            self._conclude((reason,))
        assert self.result is not None
        return self.result

    # --- internals ----------------------------------------------------------------------
    def _start_challenge(self, t: float) -> None:
        """Begin the pause before the next step; the step is announced when it ends."""
        self._step = None
        self._step_due = t + self.pauses_s[self._index]
        self._challenge_start = t

    def _announce(self, t: float) -> None:
        assert self.baseline is not None
        self._step = make_step(self.challenges[self._index], self.baseline, self.cfg, t)
        self._told_at = None
        if self.prompt_mode == "auto":
            self._step.deliver(t)

    def _run_step(self, obs: FaceObservation, t: float) -> None:
        if self._step is None:
            if t < self._step_due:
                return
            self._announce(t)
        step = self._step
        assert step is not None
        if step.prompt_t is None:
            if self._told_at is not None:
                step.deliver(max(self._told_at, step.started_t))
            elif t - step.started_t >= self.cfg.prompt_fallback_s:
                log.warning("prompt delivery not reported; assumed after %.1fs",
                            self.cfg.prompt_fallback_s)
                step.deliver(t)
        outcome = step.feed(obs, t)
        if outcome is not None:
            self._step_ended(outcome, t)

    def _step_ended(self, outcome: StepOutcome, t: float) -> None:
        name = self.challenges[self._index]
        self.step_log.append((name, outcome.status, outcome.detail))
        if outcome.status == DONE:
            self._coaching = None
            if outcome.onset_delay_s is not None and name != "hold_still":
                self.onset_delays.append(round(outcome.onset_delay_s, 3))
            self.completed.append(name)
            log.info("step %s done at %.2fs", name, t)
            self._index += 1
            if self._index >= len(self.challenges):
                self._conclude(())
            else:
                self._start_challenge(t)
            return
        if outcome.status == WRONG and not self._coached:
            self._coached = True            # coached once: say it, ask the same step again
            self._coaching = f"wrong_action_{name}"
            log.info("wrong action %s during %s: coached", outcome.detail, name)
            assert self.baseline is not None
            self._step = make_step(name, self.baseline, self.cfg, t)
            self._told_at = None
            if self.prompt_mode == "auto":
                self._step.deliver(t)
            return
        log.info("step %s ended %s (%s)", name, outcome.status, outcome.detail)
        self._conclude((outcome.status,))

    def _check_clock(self, t: float, obs: FaceObservation, frame: np.ndarray | None) -> bool:
        """Frames must come from one camera, with time passing and no long stall."""
        shape = frame.shape if frame is not None else (obs.height, obs.width)
        shape = tuple(shape[:2])
        if self._shape is None:
            self._shape = shape
        elif shape != self._shape:
            self._conclude((CAMERA_CHANGED,))
            return False
        last = self._last_stamp
        self._last_stamp = t
        if last is None:
            return True
        if t - last > self.cfg.stall_s:
            self._conclude((STREAM_STALLED,))
            return False
        self._same_stamps = self._same_stamps + 1 if t - last < 0.002 else 0
        if self._same_stamps >= self.cfg.same_stamp_frames:
            self._conclude((BAD_TIMESTAMPS,))
            return False
        return True

    def _collect_baseline(self, obs: FaceObservation, t: float) -> None:
        if self._baseline_start is None:
            self._baseline_start = t
        self._baseline_obs.append(obs)
        if t - self._baseline_start >= self.cfg.baseline_s and len(self._baseline_obs) >= 5:
            b = Baseline.from_observations(self._baseline_obs)
            if b.mouth_open >= self.cfg.mouth_min:
                # a mouth open as wide as an answer (speaking, "啊?") is not a resting face:
                # measured on it, "open your mouth" could never be seen. Measure afresh.
                log.info("baseline mouth open (%.2f): measured again", b.mouth_open)
                self._baseline_obs, self._baseline_start = [], None
                return
            self.baseline = b
            self._ref = min(self._baseline_obs,
                            key=lambda o: abs(o.yaw - b.yaw) + abs(o.pitch - b.pitch))
            self._baseline_obs = []
            self._start_challenge(t)

    def _check_timeout(self, t: float) -> None:
        if self.result is not None:
            return
        start = self._challenge_start if self.baseline is not None else 0.0
        if t - start > self.cfg.challenge_timeout_s + self.pauses_s[min(
                self._index, len(self.pauses_s) - 1)] * (self.baseline is not None):
            self._conclude((CHALLENGE_TIMEOUT if self._faces_seen else NO_FACE,))

    def _track(self, obs: FaceObservation, t: float) -> bool:
        """Same face throughout: no jump, no long gap, no second face. False = attempt over."""
        if not obs.has_face or obs.box is None:
            if self._last_face is not None and t - self._last_face_t > self.cfg.max_face_gap_s:
                self._conclude((FACE_LOST,))
                return False
            return True
        self._faces_seen += 1
        big_other = any(b[2] >= self.cfg.other_face_frac * obs.box[2] for b in obs.other_boxes)
        self._crowd = self._crowd + 1 if big_other else 0
        if self._crowd >= self.cfg.crowd_frames:
            self._conclude((MORE_THAN_ONE_FACE,))
            return False
        last = self._last_face
        if last is not None and last.box is not None:
            lx, ly, lw, lh = last.box
            x, y, w, h = obs.box
            jump = np.hypot((x + w / 2) - (lx + lw / 2), (y + h / 2) - (ly + lh / 2)) / max(lw, 1)
            ratio = max(w, lw) / max(min(w, lw), 1)
            if jump > self.cfg.max_jump_frac or ratio > self.cfg.max_size_ratio:
                self._conclude((FACE_SWAPPED,))
                return False
        self._last_face, self._last_face_t = obs, t
        return True

    def _watch_pose(self, obs: FaceObservation) -> None:
        b, ref = self.baseline, self._ref
        if b is None or ref is None:
            return
        if abs(obs.yaw - b.yaw) > self.cfg.planar_yaw_deg or \
                abs(obs.pitch - b.pitch) > self.cfg.planar_pitch_deg:
            r = padlib.planar_residual(ref, obs)
            if r is not None and len(self._residuals) < 300:
                self._residuals.append(r)

    def _watch_frames(self, frame: np.ndarray, obs: FaceObservation) -> None:
        thumb = padlib.thumbnail(frame)       # once per frame, kept for the next one
        if self._prev_frame is not None:
            self._frame_pairs += 1
            diff = (padlib.thumb_difference(self._prev_thumb, thumb)
                    if self._prev_frame.shape == frame.shape else 255.0)
            if diff < self.cfg.frozen_diff:
                self._frozen_pairs += 1
        self._prev_frame, self._prev_thumb = frame, thumb
        self._surround.feed(frame, obs)
        self._cuts.feed(frame, obs)
        if obs.has_face and obs.box is not None and self._faces_seen % 15 == 0:
            self._texture.append(padlib.screen_texture_score(frame, obs.box))
            if self._pad is not None and self._pad.available:
                try:
                    self._pad_verdicts.append(self._pad.check(frame, obs.box).status)
                except Exception:  # noqa: BLE001 - optional model: note it, go on
                    log.warning("pad model check failed", exc_info=True)

    def _spoof_reasons(self) -> list[str]:
        reasons = []
        if (len(self._residuals) >= self.cfg.planar_min_frames
                and float(np.median(self._residuals)) < self.cfg.planar_max_residual):
            reasons.append(PLANAR_MOTION)
        if self._frame_pairs >= 5 and \
                self._frozen_pairs / self._frame_pairs >= self.cfg.frozen_max_share:
            reasons.append(FROZEN_FRAME)
        if self._surround.rigid_share(self.cfg.surround_max_ratio,
                                      self.cfg.surround_min_frames) is True:
            reasons.append(HANDHELD_PLANE)
        if self._cuts.cuts:
            reasons.append(SPLICED_STREAM)
        if self._repeat.repeated(self.cfg.repeat_max_ratio):
            reasons.append(REPEATED_MOTION)
        if self._pad_verdicts and \
                self._pad_verdicts.count("spoof") * 2 > len(self._pad_verdicts):
            reasons.append(PAD_MODEL_SPOOF)
        pad_ready = self._pad is not None and self._pad.available
        if self._require_pad and not pad_ready:
            reasons.append(PAD_MODEL_UNAVAILABLE)
        return reasons

    def _conclude(self, failures: tuple[str, ...]) -> None:
        reasons = list(failures)
        for r in self._spoof_reasons():
            if r not in reasons:
                reasons.append(r)
        pad_status = (padlib.NOT_AVAILABLE if self._pad is None or not self._pad.available
                      else ("spoof" if PAD_MODEL_SPOOF in reasons else "real"))
        signals = {
            "planar_residual": float(np.median(self._residuals)) if self._residuals else None,
            "planar_frames": len(self._residuals),
            "frozen_share": (self._frozen_pairs / self._frame_pairs) if self._frame_pairs
            else None,
            "screen_texture": float(np.mean(self._texture)) if self._texture else None,
            "pad_model": pad_status,
            "surround_ratio": self._surround.median_ratio(),
            "surround_frames": self._surround.moving_frames,
            "cuts": len(self._cuts.cuts),
            "repeat_ratio": self._repeat.best,
            "onset_delays_s": tuple(self.onset_delays),
            "steps": tuple(self.step_log),
            "baseline": None if self.baseline is None else dataclasses.asdict(self.baseline),
        }
        self.result = LivenessResult(
            passed=not reasons, reasons=tuple(reasons), challenges=self.challenges,
            completed=tuple(self.completed), duration_s=self._t,
            signals=MappingProxyType(signals))
        log.info("liveness %s reasons=%s", "passed" if not reasons else "failed", reasons)
