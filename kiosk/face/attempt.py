"""The flow's VisionPort on the real camera, vision worker and card reader.

Three threads, none of them the GUI thread:
- `camera` (this adapter's own): takes frames from the feed of the current mode, hands each to
  the preview (`frame_sink`), and offers it to the vision worker (face) or the card reader
  (card). It also runs the adapter's commands (mode, attempt, clear). It never touches the
  store: the match references arrive with `start_matching`, read by the flow runtime on its
  `flow-io` thread, and go straight to the worker's command queue.
- `vision-worker` (kiosk.vision.worker.VisionWorker): owns MediaPipe, the liveness session,
  the PAD model and the DeepFace matcher, and publishes frozen results; `ResultTranslator`
  turns them into flow events. The worker refuses to match unless liveness passed.
- `card-ocr` (card_reading.CardReadingWorker): OCR, so the preview never freezes.

The VisionPort methods only queue work; they are safe (and quick) on the GUI thread.

Replayed files (`lockstep=True`, used by `kiosk journey` and the tests) give every frame to
the worker and wait for its result, so the outcome does not depend on machine speed; a live
camera offers only the newest frame and the worker drops what it had no time for.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from kiosk.config import Settings
from kiosk.face.translate import ResultTranslator, card_event
from kiosk.flow import events as ev
from kiosk.flow.ports import EventSink
from kiosk.flow.states import CARD_REASONS
from kiosk.idcard.card_reading import CardGate, CardReadingWorker

log = logging.getLogger(__name__)

FrameFeed = Callable[[], "tuple[np.ndarray, float] | None"]   # (BGR frame, seconds) or None
Listener = Callable[[Any], None]

LOCKSTEP_WAIT_S = 10.0      # a replayed frame waits this long for the worker (a match ~1 s)
MIN_STEP_S = 0.002          # timestamps handed to the worker grow at least this much


class WorkerLink:
    """A VisionWorker and the one listener its results go to.

    The kiosk makes one per CameraVision. Tests (and benches) make one per session and let
    each journey attach to it, so MediaPipe and DeepFace load once.
    """

    def __init__(self, settings: Settings | None = None, *, options: Any = None) -> None:
        from kiosk.vision.worker import VisionOptions, VisionWorker

        if options is None:
            options = VisionOptions.from_settings(settings) if settings else VisionOptions()
        self.listener: Listener | None = None
        self.status = ""                         # ready | vision_unavailable once loaded
        self.match_model_ready = False
        self.loaded = threading.Event()
        self.worker = VisionWorker(self._relay, options=options)
        self._started = False
        self._lock = threading.Lock()
        self._last_ts = -1.0
        self._ts_offset = 0.0

    def start(self) -> WorkerLink:
        with self._lock:
            if not self._started:
                self._started = True
                self.worker.start()
        return self

    def wait_loaded(self, timeout: float = 120.0) -> bool:
        return self.loaded.wait(timeout) and self.status == "ready"

    def stop(self) -> None:
        if self._started:
            self.worker.stop()

    def stamp(self, t: float) -> float:
        """Strictly growing timestamps for MediaPipe's VIDEO mode, across feeds and journeys
        (a replayed clip starts again at 0), keeping the spacing of the feed's own clock."""
        with self._lock:
            ts = t + self._ts_offset
            if ts < self._last_ts + MIN_STEP_S:
                self._ts_offset = self._last_ts + 1 / 30 - t
                ts = t + self._ts_offset
            self._last_ts = ts
            return ts

    def camera_time(self, t: float) -> float:
        """A time.monotonic() reading on the clock `stamp` gives the worker (live cameras)."""
        return t + self._ts_offset

    def _relay(self, item: Any) -> None:
        from kiosk.vision.worker import WorkerStatus

        if isinstance(item, WorkerStatus) and item.event in ("ready", "vision_unavailable"):
            self.status = item.event
            self.match_model_ready = item.match_model_ready
            self.loaded.set()
        listener = self.listener
        if listener is not None:
            listener(item)


class CameraVision:
    """VisionPort. `feeds[mode]()` gives the next frame for that mode (face | card)."""

    def __init__(self, settings: Settings, feeds: dict[str, FrameFeed], *,
                 frame_sink: Callable[[np.ndarray], None] | None = None,
                 link: WorkerLink | None = None, lockstep: bool = False,
                 card_reader: CardReadingWorker | None = None) -> None:
        self.settings = settings
        self.feeds = feeds
        self.frame_sink = frame_sink
        self.lockstep = lockstep
        self.sink: EventSink = lambda e: None
        self._own_link = link is None
        self._link = link
        self._lock = threading.Lock()           # jobs, translator
        self._jobs: list[tuple[str, Any]] = []
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._consumed = threading.Event()
        self._mode = "off"
        self._translator = ResultTranslator.from_settings(settings)
        self._ended_handled = False
        self.card = card_reader or CardReadingWorker(
            lambda result: self._post(card_event(result)),
            gate=CardGate(frames=settings.idcard.steady_frames), known_reasons=CARD_REASONS,
            reject_copies=settings.idcard.reject_copies)
        self.frames_processed = 0               # frames the worker (or reader) was given
        self.face_frames = 0                    # of which face frames (clip time = this / fps)
        self.matches_published = 0              # MatchResults seen (tests: never for a spoof)
        self.published: list[str] = []          # kinds of worker results seen (bounded)
        self.warm = threading.Event()           # set once the models are loaded (or failed)
        self.warm_s = 0.0
        self._thread = threading.Thread(target=self._run, name="camera", daemon=True)
        self._thread.start()

    # ---- VisionPort (any thread, never blocks)
    def bind(self, sink: EventSink) -> None:
        self.sink = sink

    def set_mode(self, mode: str) -> None:
        self._queue("mode", mode)

    def start_liveness(self, challenges: tuple[str, ...]) -> None:
        self._queue("liveness", challenges)

    def start_matching(self, resident_id: str, identity: ev.ResidentIdentity,
                       references: Sequence[tuple[str, np.ndarray]] = ()) -> None:
        """Compare the passed attempt with the card portrait and `references` (the stored
        photos the runtime read on `flow-io`): straight to the worker's queue."""
        refs = match_references(identity, references)
        link = self._link
        if not refs:
            self._post(ev.MatchDone(False, None, "", "no_reference"))
        elif link is None:
            self._post(ev.MatchDone(False, None, "", "model_unavailable"))
        else:
            link.worker.request_match(refs)

    def prepare_references(self, resident_id: str, identity: ev.ResidentIdentity,
                           references: Sequence[tuple[str, np.ndarray]] = ()) -> None:
        """The resident is known: the worker may embed the references ahead."""
        refs = match_references(identity, references)
        link = self._link
        if refs and link is not None:
            link.worker.prepare_references(refs)

    def prompt_delivered(self, at: float) -> None:
        """The step's prompt was shown and spoken to the end (time.monotonic() `at`)."""
        self._queue("prompt", at)

    def clear(self) -> None:
        with self._lock:
            self._translator.reset()
        self.card.reset()
        self._queue("clear", None)

    def warm_up(self) -> None:
        """Load the models now (in the background at start-up), not when a resident waits."""
        self._queue("warm", None)

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        self._consumed.set()
        self._thread.join(timeout=5)
        self.card.close()
        for feed in self.feeds.values():
            close_feed = getattr(feed, "close", None)
            if close_feed is not None:
                close_feed()
        if self._link is not None:
            if self._link.listener == self._on_result:
                self._link.listener = None
            if self._own_link:
                self._link.stop()

    # ---- helpers for tests and the journey
    @property
    def link(self) -> WorkerLink | None:
        return self._link

    def _queue(self, name: str, arg: Any) -> None:
        with self._lock:
            self._jobs.append((name, arg))
        self._wake.set()

    def _post(self, event: ev.Event) -> None:
        self.sink(event)

    # ---- camera thread
    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                jobs, self._jobs = self._jobs, []
            for name, arg in jobs:
                try:
                    getattr(self, f"_job_{name}")(arg)
                except Exception:  # noqa: BLE001 - never take the kiosk down
                    log.exception("vision job %s failed", name)
            mode = self._mode
            feed = self.feeds.get(mode) if mode in ("face", "card") else None
            got = feed() if feed is not None else None
            if got is None:
                if feed is not None and getattr(feed, "ended", False):
                    self._feed_ended(mode)
                self._wake.wait(0.01)
                self._wake.clear()
                continue
            frame, t = got
            if self.frame_sink is not None:
                self.frame_sink(frame)
            try:
                if mode == "card":
                    self._card_frame(frame, t)
                else:
                    self._face_frame(frame, t)
            except Exception:  # noqa: BLE001
                log.exception("vision frame failed")

    def _ensure_link(self) -> WorkerLink:
        if self._link is None:
            self._link = WorkerLink(self.settings)
        self._link.listener = self._on_result
        if self._link.loaded.is_set():
            self._loaded()
        self._link.start()
        return self._link

    def _job_warm(self, _: Any) -> None:
        self._ensure_link()
        self.card.warm_up()

    def _job_mode(self, mode: str) -> None:
        if mode != self._mode:
            with self._lock:
                self._translator.reset()
            if self._link is not None and self._mode == "face":
                self._link.worker.cancel_attempt("left_screen")
            self.card.reset()
            self._ended_handled = False
        self._mode = mode
        if mode == "face":
            link = self._ensure_link()
            if link.status == "vision_unavailable":
                self._post(ev.CameraLost())          # no face route without the models

    def _job_liveness(self, challenges: tuple[str, ...]) -> None:
        with self._lock:
            self._translator.start_attempt()    # results from now on belong to this attempt
        self._ensure_link().worker.start_attempt(challenges)

    def _job_prompt(self, at: float) -> None:
        if self._link is not None:
            self._link.worker.prompt_delivered(self._link.camera_time(at))

    def _job_clear(self, _: Any) -> None:
        if self._link is not None:
            self._link.worker.cancel_attempt("cleared")
            self._link.worker.clear()

    def _face_frame(self, frame: np.ndarray, t: float) -> None:
        link = self._ensure_link()
        if link.status == "vision_unavailable":
            return
        ts = link.stamp(t)
        self._consumed.clear()
        link.worker.submit(frame, ts)
        self.frames_processed += 1
        self.face_frames += 1
        if self.lockstep:
            self._consumed.wait(LOCKSTEP_WAIT_S)

    def _card_frame(self, frame: np.ndarray, t: float) -> None:
        if self.card.offer(frame, t):
            self.frames_processed += 1
            if self.lockstep:
                self.card.wait_idle()

    def _feed_ended(self, mode: str) -> None:
        """A replayed file ran out: an attempt still going ends as a stream that stopped
        (the same rule as `kiosk eval liveness`)."""
        if self._ended_handled:
            return
        self._ended_handled = True
        if mode == "face" and self._link is not None and self._translator.attempt_active:
            self._link.worker.cancel_attempt("challenge_timeout")

    # ---- vision-worker thread
    def _loaded(self) -> None:
        if not self.warm.is_set():
            self.warm.set()

    def _on_result(self, item: Any) -> None:
        from kiosk.vision.worker import AttemptEnded, FrameResult, MatchResult, WorkerStatus

        self.published.append(type(item).__name__)
        del self.published[:-200]
        events: list[ev.Event] = []
        # the crop is made here, outside the lock, from the probe the worker compared
        evidence = probe_evidence(item.probe) if isinstance(item, MatchResult) else None
        with self._lock:
            if isinstance(item, FrameResult):
                events = self._translator.frame(item)
            elif isinstance(item, AttemptEnded):
                events = self._translator.attempt_ended(item.result)
            elif isinstance(item, MatchResult):
                self.matches_published += 1
                events = [self._translator.match(item, evidence)]
        if isinstance(item, WorkerStatus):
            self._status(item)
        else:
            self._consumed.set()
        for e in events:
            self._post(e)
        if isinstance(item, FrameResult):
            self._consumed.set()

    def _status(self, status: Any) -> None:
        if status.event in ("ready", "vision_unavailable"):
            if status.event == "vision_unavailable":
                log.error("face vision unavailable: %s", status.detail)
                if self._mode == "face":
                    self._post(ev.CameraLost())
            self._loaded()
        elif status.event == "frame_error":
            self._consumed.set()


def match_references(identity: ev.ResidentIdentity,
                     stored: Sequence[tuple[str, np.ndarray]]) -> list[Any]:
    """The card's photo (as old as the card) first, then the stored photos, as References."""
    import datetime as dt

    from kiosk.vision.decision import photo_age_years
    from kiosk.vision.match import Reference

    refs = [Reference(kind, image) for kind, image in stored]
    if identity.portrait is not None:
        age = photo_age_years(identity.portrait_date, dt.date.today())
        refs.insert(0, Reference("card_portrait", identity.portrait, age))
    return refs


def probe_evidence(probe: Any) -> dict[str, Any] | None:
    """The evidence saved with a decision: the crop of the probe the worker compared."""
    if probe is None:
        return None
    return {"face_crop": face_crop_jpeg(probe.frame, probe.observation.box)}


def face_crop_jpeg(frame: np.ndarray, box: Any, *, margin: float = 0.35) -> bytes:
    """The face with some margin (not the whole room) as JPEG, for the evidence store."""
    import cv2

    crop = frame
    if box is not None:
        x, y, w, h = (float(v) for v in box)
        mx, my = w * margin, h * margin
        x0, y0 = max(0, int(x - mx)), max(0, int(y - my))
        x1, y1 = min(frame.shape[1], int(x + w + mx)), min(frame.shape[0], int(y + h + my))
        if x1 - x0 >= 16 and y1 - y0 >= 16:
            crop = frame[y0:y1, x0:x1]
    ok, buf = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return buf.tobytes() if ok else b""
