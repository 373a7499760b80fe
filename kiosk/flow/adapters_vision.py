"""The flow's VisionPort on the real camera, vision and ID-card parts (issues 3 and 4).

One worker thread owns the FaceObserver, the LivenessSession, the FaceMatcher and the card
reader (none of them are thread-safe) and turns what they see into flow events: FaceQuality
and FaceReady, ChallengeStarted/Passed and LivenessDone, MatchDone, CardCoaching and
CardRead, CameraLost/Back. Liveness must pass before matching: matching is only ever started
by the flow after LivenessDone(passed), and this worker refuses probes from a failed session.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from kiosk.config import Settings
from kiosk.flow import events as ev
from kiosk.flow.ports import EventSink
from kiosk.flow.states import CARD_REASONS

log = logging.getLogger(__name__)

READY_FRAMES = 8            # consecutive good frames before liveness may start
STABLE_FRAMES = 3           # a coaching reason must hold this long before it is spoken
CARD_READ_EVERY_S = 0.8     # OCR is heavy: at most this often
SPOOF_REASONS = {"planar_motion", "frozen_frame", "screen_texture", "pad_model_spoof",
                 "face_swapped"}

FrameFeed = Callable[[], "tuple[np.ndarray, float] | None"]   # (BGR frame, seconds) or None
References = Callable[[str, ev.ResidentIdentity], list[tuple[str, np.ndarray]]]


class CameraVision:
    """VisionPort. `feeds[mode]()` gives the next frame for that mode (face | card)."""

    def __init__(self, settings: Settings, feeds: dict[str, FrameFeed], *,
                 references: References | None = None,
                 frame_sink: Callable[[np.ndarray], None] | None = None,
                 on_idle: Callable[[], None] | None = None) -> None:
        self.settings = settings
        self.feeds = feeds
        self.references = references or (lambda rid, ident: [])
        self.frame_sink = frame_sink
        self.on_idle = on_idle or (lambda: time.sleep(0.01))
        self.sink: EventSink = lambda e: None
        self._lock = threading.Lock()
        self._mode = "off"
        self._jobs: list[tuple[str, Any]] = []
        self._stop = threading.Event()
        self._observer = None
        self._matcher = None
        self._ocr = None
        self._reset_face()
        self._evidence: dict[str, Any] | None = None
        self.frames_processed = 0
        self.warm = threading.Event()           # set once the models are loaded
        self._thread = threading.Thread(target=self._run, name="vision", daemon=True)
        self._thread.start()

    # ---- VisionPort (any thread)
    def bind(self, sink: EventSink) -> None:
        self.sink = sink

    def set_mode(self, mode: str) -> None:
        with self._lock:
            self._jobs.append(("mode", mode))

    def start_liveness(self, challenges: tuple[str, ...], timeout_s: float) -> None:
        with self._lock:
            self._jobs.append(("liveness", (challenges, timeout_s)))

    def start_matching(self, resident_id: str, identity: ev.ResidentIdentity) -> None:
        with self._lock:
            self._jobs.append(("match", (resident_id, identity)))

    def take_evidence(self) -> dict[str, Any] | None:
        with self._lock:
            evidence, self._evidence = self._evidence, None
        return evidence

    def clear(self) -> None:
        with self._lock:
            self._jobs.append(("clear", None))
            self._evidence = None

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def warm_up(self) -> None:
        """Load the models now (in the background at start-up), not when a resident waits."""
        with self._lock:
            self._jobs.append(("warm", None))

    # ---- worker thread
    def _reset_face(self) -> None:
        self._liveness = None
        self._probes: list[Any] = []
        self._good = 0
        self._reason = ""
        self._pending_reason = ("", 0)
        self._announced: tuple[int, int] = (-1, 0)
        self._last_card_read = 0.0
        self._t0: float | None = None

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                jobs, self._jobs = self._jobs, []
            for name, arg in jobs:
                try:
                    self._job(name, arg)
                except Exception:  # noqa: BLE001 - never take the kiosk down
                    log.exception("vision job %s failed", name)
            mode = self._mode
            feed = self.feeds.get("card" if mode == "card" else "face")
            got = feed() if feed and mode != "off" else None
            if got is None:
                self.on_idle()
                continue
            frame, t = got
            if self.frame_sink is not None:
                self.frame_sink(frame)
            try:
                if mode == "card":
                    self._card_frame(frame, t)
                elif mode == "face":
                    self._face_frame(frame, t)
            except Exception:  # noqa: BLE001
                log.exception("vision frame failed")
            self.frames_processed += 1
        if self._observer is not None:
            self._observer.close()
        if self._matcher is not None:
            self._matcher.close()

    def _job(self, name: str, arg: Any) -> None:
        if name == "mode":
            if arg != self._mode:
                self._reset_face()
            self._mode = arg
        elif name == "liveness":
            from kiosk.vision.challenges import LivenessConfig
            from kiosk.vision.liveness import LivenessSession

            challenges, timeout_s = arg
            self._liveness = LivenessSession(challenges,
                                             LivenessConfig(challenge_timeout_s=timeout_s))
            self._probes = []
            self._announced = (-1, 0)
        elif name == "match":
            self._match(*arg)
        elif name == "clear":
            self._reset_face()
        elif name == "warm":
            t0 = time.perf_counter()
            self._ensure_observer()
            self._ensure_matcher()
            self.warm_s = time.perf_counter() - t0
            self.warm.set()

    def _ensure_observer(self):
        if self._observer is None:
            from kiosk.vision.observe import FaceObserver

            self._observer = FaceObserver(video=True)
        return self._observer

    def _ensure_matcher(self):
        if self._matcher is None:
            from kiosk.vision.match import FaceMatcher

            v = self.settings.vision
            self._matcher = FaceMatcher(v.model, thresholds=v.thresholds)
            self._matcher.warm_up()
        return self._matcher

    def _face_frame(self, frame: np.ndarray, t: float) -> None:
        from kiosk.vision.quality import assess

        if self._t0 is None:
            self._t0 = t
        obs = self._ensure_observer().observe(frame, int((t - self._t0) * 1000))
        report = assess(frame, obs)
        if self._liveness is not None:
            self._liveness_frame(frame, obs, report)
            return
        reason = "" if report.ok else report.reason
        self._coach(reason)
        self._good = self._good + 1 if report.ok else 0
        if self._good == READY_FRAMES:
            self.sink(ev.FaceReady())

    def _coach(self, reason: str) -> None:
        last, count = self._pending_reason
        count = count + 1 if reason == last else 1
        self._pending_reason = (reason, count)
        if count == STABLE_FRAMES and reason != self._reason:
            self._reason = reason
            self.sink(ev.FaceQuality(reason))

    def _liveness_frame(self, frame: np.ndarray, obs: Any, report: Any) -> None:
        session = self._liveness
        progress = session.update(obs, frame)
        if report.ok:
            self._keep_probe(frame, obs, report.score)
        index, done = progress.index, len(session.completed)
        if done > self._announced[1]:
            self.sink(ev.ChallengePassed(session.completed[-1]))
        if progress.phase == "challenge" and progress.challenge and index != self._announced[0]:
            self.sink(ev.ChallengeStarted(progress.challenge))
        self._announced = (index if progress.phase == "challenge" else self._announced[0], done)
        if session.done:
            result = session.result
            reason = "" if result.passed else (result.reasons[0] if result.reasons else "failed")
            spoof = bool(set(result.reasons) & SPOOF_REASONS)
            self._liveness = None
            if not result.passed:
                self._probes = []          # a failed session's frames are never matched
            log.info("liveness %s %s", "passed" if result.passed else "failed", reason)
            self.sink(ev.LivenessDone(result.passed, reason, spoof=spoof))

    def _keep_probe(self, frame: np.ndarray, obs: Any, score: float) -> None:
        from kiosk.vision.match import Probe

        k = self.settings.vision.probes
        self._probes.append(Probe(frame.copy(), obs, score))
        self._probes.sort(key=lambda p: -p.quality)
        del self._probes[k:]

    def _match(self, resident_id: str, identity: ev.ResidentIdentity) -> None:
        from kiosk.vision.match import Reference

        refs = [Reference(kind, image) for kind, image in self.references(resident_id, identity)]
        if identity.portrait is not None:
            refs.insert(0, Reference("card_portrait", identity.portrait))
        if not self._probes or not refs:
            reason = "no_probe" if not self._probes else "no_reference"
            self.sink(ev.MatchDone(False, None, "", reason))
            return
        decision = self._ensure_matcher().decide(refs, self._probes)
        self._evidence = {"face_crop": _jpeg(self._probes[0].frame)}
        log.info("match %s (%s)", decision.reason, decision.reference or "-")
        self.sink(ev.MatchDone(decision.matched, decision.score, decision.reference or "",
                               decision.reason))
        self._probes = []

    def _card_frame(self, frame: np.ndarray, t: float) -> None:
        if t - self._last_card_read < CARD_READ_EVERY_S and self._last_card_read:
            return
        self._last_card_read = t
        from kiosk.idcard.read import read_card

        if self._ocr is None:
            from kiosk.idcard.ocr import get_ocr

            self._ocr = get_ocr()
        result = read_card(frame, ocr=self._ocr, want="front")
        number = result.accepted_number
        if number:
            name = result.fields.get("name", "")
            self.sink(ev.CardRead(ev.ResidentIdentity(number, name, "card", result.portrait)))
            self._mode = "off"             # one read per visit to the identity screen
            return
        reason = {"moving": "blurry"}.get(result.reason, result.reason)
        self.sink(ev.CardCoaching(reason if reason in CARD_REASONS else "unreadable"))


def _jpeg(frame: np.ndarray) -> bytes:
    import cv2

    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return buf.tobytes() if ok else b""
