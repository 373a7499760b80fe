"""The vision worker: one thread that owns every model and publishes immutable results.

It is an executor: it runs the attempt it is told to run (by number), keeps that attempt's
frames and probes on its own thread (they never leave it except as the chosen probe of a
match), and tags every result with the attempt's number. Which attempt is awaited, what its
results mean to the flow and which evidence is saved is decided by kiosk.face.attempt.
It still refuses to match an attempt whose liveness did not pass (defence in depth).

The GUI thread never runs a model. It hands frames over (or attaches a FrameGrabber), asks
for an attempt or a match, and receives frozen values through `on_result`, called on the
worker thread (ui/bridge.py re-emits them as Qt signals). Bad input - no camera, a camera that
dies, a black or frozen frame, a corrupt image - becomes a reason code, never an exception
escaping this thread.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kiosk.camera.grabber import CAMERA_LOST, CameraStatus, FrameGrabber
from kiosk.camera.identity import CameraIdentity, StreamGuard
from kiosk.vision.challenges import LivenessConfig, choose_challenges
from kiosk.vision.fusion import FusedMatcher, build_matcher
from kiosk.vision.liveness import LivenessProgress, LivenessResult, LivenessSession
from kiosk.vision.match import FaceMatcher, MatchDecision, Probe, Reference
from kiosk.vision.observe import FaceObservation, FaceObserver
from kiosk.vision.quality import QualityReport, QualityThresholds, assess
from kiosk.vision.sequence import AttemptPlanner

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FrameResult:
    """One processed frame: what the preview coaching and the flow need."""

    frame_index: int
    observation: FaceObservation
    quality: QualityReport
    liveness: LivenessProgress | None
    latency_ms: float
    attempt: int = 0              # the attempt whose progress `liveness` is (0: none)


@dataclass(frozen=True)
class AttemptEnded:
    result: LivenessResult
    attempt: int = 0


@dataclass(frozen=True)
class MatchResult:
    decision: MatchDecision | None
    reason: str                   # match | no_match | liveness_not_passed | model_unavailable...
    probe: Probe | None = field(default=None, repr=False, compare=False)   # best compared
    attempt: int = 0


@dataclass(frozen=True)
class WorkerStatus:
    event: str                    # ready | vision_unavailable | frame_error | camera_lost ...
    detail: str = ""
    pad_model: str = "not_available"
    match_model_ready: bool = False


@dataclass(frozen=True)
class VisionOptions:
    model: str = "Dlib"
    thresholds: dict[str, float] = field(default_factory=dict)
    review_bands: dict[str, float] = field(default_factory=dict)
    fuse_with: str = "auto"        # kiosk.vision.fusion ([vision] fuse_with)
    probes: int = 5
    challenges_per_attempt: int = 2
    liveness: LivenessConfig = field(default_factory=LivenessConfig)
    require_pad_model: bool = False
    warm_match_model: bool = True
    quality: QualityThresholds = field(default_factory=QualityThresholds)
    # False only with [camera] replay_for_tests: asked challenges as given, prompt counted at
    # once, no hold-still step, no stream checks (a replayed file cannot answer prompts)
    paced: bool = False
    challenge_pool: tuple[str, ...] = ()    # the actions the site allows (empty: all)
    camera_identity: CameraIdentity | None = None   # recorded at install: enforce it
    embed_ahead: bool = False      # kiosk.vision.embedder child ([vision] embed_ahead)

    @classmethod
    def from_settings(cls, settings: Any) -> VisionOptions:
        import dataclasses

        v = settings.vision
        replay = bool(getattr(settings.camera, "replay_for_tests", False))
        if replay:
            log.warning("camera replay for tests is ON: liveness timing, stream and loop checks off")
        identity = None if replay else CameraIdentity.load_recorded()
        return cls(model=v.model, thresholds=dict(v.thresholds),
                   review_bands=dict(v.review_bands), fuse_with=v.fuse_with,
                   probes=v.probes,
                   challenges_per_attempt=v.challenges_per_attempt,
                   # a replayed test file loops by design: the repetition cue is off then
                   liveness=dataclasses.replace(v.liveness,
                                                challenge_timeout_s=v.challenge_timeout_s,
                                                **({"repeat_max_ratio": 0.0} if replay
                                                   else {})),
                   require_pad_model=v.require_pad_model, paced=not replay,
                   challenge_pool=v.challenge_actions(),
                   camera_identity=identity, quality=v.quality,
                   embed_ahead=bool(getattr(v, "embed_ahead", False)))


Published = FrameResult | AttemptEnded | MatchResult | WorkerStatus
Candidate = tuple[float, float, Probe]         # (quality, timestamp s, probe)


@dataclass
class AttemptRun:
    """The worker's working data of one attempt (worker thread only)."""

    number: int
    session: LivenessSession
    candidates: list[Candidate] = field(default_factory=list)
    passed: LivenessResult | None = None

    @property
    def live(self) -> bool:
        return not self.session.done


def _rank(c: Candidate) -> tuple[float, float]:
    """Best quality first; between equals the earlier frame: a total order, so the probes
    and the evidence chosen do not depend on the order frames arrived in."""
    return (-c[0], c[1])


def pick_probes(candidates: Sequence[Candidate], k: int) -> list[Probe]:
    """K best-quality frames, at least one from each half of the attempt (a swap between
    halves then shows up as disagreeing probes)."""
    k = max(1, k)
    if not candidates:
        return []
    times = [c[1] for c in candidates]
    mid = (min(times) + max(times)) / 2
    ranked = sorted(candidates, key=_rank)
    early = [c for c in ranked if c[1] <= mid][:1]
    late = [c for c in ranked if c[1] > mid][:1]
    chosen = early + late
    for c in ranked:
        if len(chosen) >= k:
            break
        if c not in chosen:
            chosen.append(c)
    return [c[2] for c in sorted(chosen[:k], key=_rank)]


def keep_candidates(candidates: list[Candidate], limit: int) -> list[Candidate]:
    """The best `limit`, never losing the earliest good frame (swap detection)."""
    if len(candidates) <= limit:
        return candidates
    first = min(candidates, key=lambda c: (c[1], -c[0]))
    keep = sorted(candidates, key=_rank)[:limit - 1]
    if first not in keep:
        keep.append(first)
    return keep


class VisionWorker:
    """Owns FaceObserver, the liveness session, the pad model and the face matcher."""

    def __init__(self, on_result: Callable[[Published], None], *,
                 options: VisionOptions | None = None,
                 observer_factory: Callable[[], FaceObserver] | None = None) -> None:
        self._on_result = on_result
        self.options = options or VisionOptions()
        self._observer_factory = observer_factory or FaceObserver
        self._commands: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._slot_lock = threading.Lock()
        self._slot: tuple[np.ndarray, float] | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._grabber: FrameGrabber | None = None
        self._thread: threading.Thread | None = None
        # owned by the worker thread only:
        self._observer: FaceObserver | None = None
        self._matcher: FaceMatcher | FusedMatcher | None = None
        self._embedder: Any = None        # kiosk.vision.embedder.Embedder, when started
        self._pad: Any = None
        self._current: AttemptRun | None = None
        self._frames = 0
        self._planner = AttemptPlanner()
        self._guard = (StreamGuard(self.options.camera_identity)
                       if self.options.paced and self.options.camera_identity else None)
        self.ready = threading.Event()

    # --- called from any thread ---------------------------------------------------------
    def start(self) -> VisionWorker:
        self._thread = threading.Thread(target=self._run, name="vision-worker", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def attach(self, grabber: FrameGrabber) -> None:
        """Pull frames from a grabber (newest only) instead of `submit`."""
        self._grabber = grabber
        self._wake.set()

    def submit(self, frame: np.ndarray, timestamp_s: float | None = None) -> None:
        """Offer a frame; an older one not processed yet is replaced (dropped)."""
        with self._slot_lock:
            self._slot = (frame, time.monotonic() if timestamp_s is None else timestamp_s)
        self._wake.set()

    def start_attempt(self, challenges: Sequence[str] | None = None, *,
                      seed: int | None = None, attempt: int = 0) -> None:
        """Run attempt number `attempt` (its results carry the number)."""
        self._command("attempt", (tuple(challenges) if challenges else None, seed, attempt))

    def prompt_delivered(self, timestamp_s: float | None = None) -> None:
        """The current step's prompt was shown and spoken to the end (camera clock, seconds;
        None = now). Without it the session assumes delivery `prompt_fallback_s` later."""
        self._command("prompt", time.monotonic() if timestamp_s is None else timestamp_s)

    def cancel_attempt(self, reason: str = "cancelled") -> None:
        self._command("cancel", reason)

    def request_match(self, references: Sequence[Reference], *,
                      attempt: int | None = None) -> None:
        """Compare attempt `attempt`'s best frames (None: the latest attempt's) with the
        references, asynchronously; refused unless that attempt passed liveness."""
        self._command("match", (tuple(references), attempt))

    def prepare_references(self, references: Sequence[Reference]) -> None:
        """The resident is known: embed the references ahead (no-op without embed_ahead)."""
        self._command("prepare", tuple(references))

    def clear(self) -> None:
        """Forget frames, probes and results (back to Welcome: nothing personal kept)."""
        self._command("clear", None)

    # --- worker thread ------------------------------------------------------------------
    def _command(self, name: str, arg: Any) -> None:
        self._commands.put((name, arg))
        self._wake.set()

    def _publish(self, item: Published) -> None:
        try:
            self._on_result(item)
        except Exception:  # noqa: BLE001 - a listener's bug must not stop vision
            log.exception("vision listener failed")

    def _load(self) -> bool:
        from kiosk.vision.pad import PadModel

        try:
            self._observer = self._observer_factory()
        except Exception as exc:  # noqa: BLE001
            log.error("face landmarker unavailable: %s", type(exc).__name__)
            self._publish(WorkerStatus("vision_unavailable", type(exc).__name__))
            return False
        self._pad = PadModel.load()
        ready = False
        if self.options.embed_ahead:
            from kiosk.vision.embedder import Embedder

            self._embedder = Embedder(self.options.model)
            self._embedder.launch()          # loads on the other core while we warm up
        try:
            self._matcher = build_matcher(self.options.model, fuse_with=self.options.fuse_with,
                                          thresholds=self.options.thresholds,
                                          review_bands=self.options.review_bands)
            if self.options.warm_match_model:
                self._matcher.warm_up()
                ready = True
        except Exception as exc:  # noqa: BLE001
            log.error("face matcher unavailable: %s", type(exc).__name__)
            self._matcher = None
        if self._embedder is not None and not self._embedder.wait_ready():
            self._embedder = None            # everything embedded here, as before
        self.ready.set()
        self._publish(WorkerStatus("ready", pad_model=self._pad.status, match_model_ready=ready))
        return True

    def _run(self) -> None:
        try:
            if not self._load():
                self.ready.set()
                return
            while not self._stop.is_set():
                self._drain_commands()
                item = self._next_frame()
                if item is None:
                    continue
                self._process(*item)
        finally:
            for owner in (self._observer, self._matcher, self._embedder):
                if owner is not None:
                    owner.close()

    def _next_frame(self) -> tuple[np.ndarray, float] | None:
        if self._grabber is not None:
            frame = self._grabber.latest(timeout=0.05)
            return None if frame is None else (frame.image, frame.timestamp_s)
        self._wake.wait(0.05)
        self._wake.clear()
        with self._slot_lock:
            item, self._slot = self._slot, None
        return item

    def _drain_commands(self) -> None:
        while True:
            try:
                name, arg = self._commands.get_nowait()
            except queue.Empty:
                return
            try:
                getattr(self, f"_do_{name}")(arg)
            except Exception:  # noqa: BLE001
                log.exception("vision command %s failed", name)
                self._publish(WorkerStatus("command_error", name))

    def _do_attempt(self, arg: tuple[tuple[str, ...] | None, int | None, int]) -> None:
        challenges, seed, number = arg
        common = dict(pad_model=self._pad, require_pad_model=self.options.require_pad_model)
        if self.options.paced:
            if seed is not None:
                self._planner.rng = random.Random(seed)
            plan = self._planner.plan(challenges, count=self.options.challenges_per_attempt,
                                      allowed=self.options.challenge_pool)
            session = LivenessSession(plan.steps, self.options.liveness,
                                      pauses_s=plan.pauses_s, prompt_mode="told", **common)
        else:
            if challenges is None:
                rng = random.Random(seed) if seed is not None else None
                challenges = choose_challenges(self.options.challenges_per_attempt, rng)
            # a replayed file cannot answer a prompt: its action may begin at any time of
            # the challenge (test and demo kiosks only: camera.replay_for_tests)
            relaxed = dataclasses.replace(
                self.options.liveness,
                onset_window_s=max(self.options.liveness.onset_window_s,
                                   self.options.liveness.challenge_timeout_s))
            session = LivenessSession(challenges, relaxed, **common)
        self._current = AttemptRun(number, session)
        if self._embedder is not None:
            self._embedder.forget_probes()

    def _do_cancel(self, reason: str) -> None:
        self._end_attempt(reason)

    def _do_camera(self, status: CameraStatus) -> None:
        self._publish(WorkerStatus(status.event, status.detail))
        if status.event == CAMERA_LOST:
            self._end_attempt(CAMERA_LOST)

    def _do_prompt(self, timestamp_s: float) -> None:
        if self._current is not None and self._current.live:
            self._current.session.prompt_delivered(timestamp_s)

    def _do_clear(self, _: Any) -> None:
        self._current = None
        self._planner.new_visit()
        if self._embedder is not None:
            self._embedder.forget_all()

    def _do_prepare(self, references: tuple[Reference, ...]) -> None:
        if self._embedder is not None:
            self._embedder.prepare_references([r.image for r in references])

    def _do_match(self, arg: tuple[tuple[Reference, ...], int | None]) -> None:
        references, number = arg
        run = self._current
        if run is None or run.passed is None or number not in (None, run.number):
            self._publish(MatchResult(None, "liveness_not_passed", attempt=number or 0))
            return
        if self._matcher is None:
            self._publish(MatchResult(None, "model_unavailable", attempt=run.number))
            return
        probes = pick_probes(run.candidates, self.options.probes)
        try:
            decision = self._matcher.decide(references, probes, embedder=self._embedder)
        except Exception as exc:  # noqa: BLE001
            log.error("matching failed: %s", type(exc).__name__)
            self._publish(MatchResult(None, "model_unavailable", attempt=run.number))
            return
        best = probes[0] if probes else None          # pick_probes ranks them: the best first
        self._publish(MatchResult(decision, decision.reason, probe=best, attempt=run.number))

    def _end_attempt(self, reason: str) -> None:
        run = self._current
        if run is not None and run.live:
            result = run.session.finish(reason)
            self._planner.attempt_ended(result.passed)
            self._publish(AttemptEnded(result, run.number))

    def _process(self, frame: np.ndarray, ts: float) -> None:
        t0 = time.perf_counter()
        try:
            if frame is None or frame.ndim != 3 or frame.shape[0] < 16 or frame.shape[1] < 16:
                raise ValueError("bad frame")
            assert self._observer is not None
            obs = self._observer.observe(frame, int(ts * 1000))
            quality = assess(frame, obs, self.options.quality)
        except Exception as exc:  # noqa: BLE001 - odd frames become a status, not a crash
            log.warning("frame not processed: %s", type(exc).__name__)
            self._publish(WorkerStatus("frame_error", type(exc).__name__))
            return
        self._frames += 1
        progress = None
        if self._guard is not None:
            if self._guard.feed(ts, frame) is not None:
                log.warning("camera stream refused: %s", self._guard.verdict)
                self._publish(WorkerStatus(str(self._guard.verdict), self._guard.detail))
            if self._guard.verdict is not None:
                self._end_attempt(self._guard.verdict)
        run = self._current
        number = 0
        if run is not None and run.live:
            number = run.number
            session = run.session
            progress = session.update(obs, frame)
            if quality.ok:
                self._keep_candidate(run, quality.score, ts, Probe(frame, obs, quality.score))
            if session.done:
                assert session.result is not None
                run.passed = session.result if session.result.passed else None
                self._planner.attempt_ended(session.result.passed)
                self._publish(FrameResult(self._frames, obs, quality, progress,
                                          (time.perf_counter() - t0) * 1000, number))
                self._publish(AttemptEnded(session.result, number))
                return
        self._publish(FrameResult(self._frames, obs, quality, progress,
                                  (time.perf_counter() - t0) * 1000, number))

    def _keep_candidate(self, run: AttemptRun, score: float, ts: float, probe: Probe) -> None:
        run.candidates.append((score, ts, probe))
        run.candidates = keep_candidates(run.candidates, max(4, self.options.probes * 4))
        if self._embedder is not None and self._matcher is not None:
            m = self._matcher
            self._embedder.offer_probes(pick_probes(run.candidates, self.options.probes),
                                        lambda p: m.align(p.frame, p.observation))
