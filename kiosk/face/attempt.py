"""The face attempt, and the flow's VisionPort on the real camera, vision worker and card reader.

`FaceAttempt` is the one owner of an attempt's state: its number, the challenges announced,
whether its liveness passed, whether its comparison was answered, and the evidence that goes
with the answer. The worker runs the attempt it is told to (by number) and tags its results;
`CameraVision` keeps the one attempt in flight and hands it the results that carry its number,
so a late result of an attempt that was cancelled, cleared or replaced is dropped whatever
order it arrives in. The flow only counts attempts for the record (`Session.attempts`) and
decides whether another is allowed (`ui.max_attempts`).

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
from kiosk.face.link import WorkerLink
from kiosk.face.translate import ResultTranslator, card_event, liveness_verdict
from kiosk.flow import events as ev
from kiosk.flow.ports import EventSink
from kiosk.flow.states import CARD_REASONS
from kiosk.idcard.card_reading import CardGate, CardReadingWorker

log = logging.getLogger(__name__)

FrameFeed = Callable[[], "tuple[np.ndarray, float] | None"]   # (BGR frame, seconds) or None

LOCKSTEP_WAIT_S = 10.0      # a replayed frame waits this long for the worker (a match ~1 s)


class FaceAttempt:
    """One liveness attempt and its comparison, as the flow sees it; pure, not thread-safe
    (CameraVision calls it under its lock)."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.live = True                # awaiting the liveness verdict
        self.passed = False             # liveness passed: a comparison may follow
        self.answered = False           # its MatchDone was posted (once)
        self.stop_asked = False         # a replayed feed ran out: cancel asked once
        self._started_index = -1
        self._passed_count = 0
        self._coached = ""

    def owns(self, item: Any) -> bool:
        return getattr(item, "attempt", None) == self.number

    def progress(self, p: Any) -> list[ev.Event]:
        """A frame's LivenessProgress -> ChallengeStarted/ChallengePassed (each once)."""
        if not self.live:
            return []
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

    def ended(self, result: Any) -> list[ev.Event]:
        """Its LivenessResult -> LivenessDone (once)."""
        if not self.live:
            return []
        self.live = False
        self.passed = bool(result.passed)
        out = self._announce_passed(tuple(result.completed)) if result.passed else []
        verdict = liveness_verdict(result)
        return out + [ev.LivenessDone(verdict.passed, verdict.reason, spoof=verdict.spoof)]

    def answer(self, result: Any) -> ev.MatchDone | None:
        """Its MatchResult -> MatchDone with the crop of the probe the worker compared
        (once; None for a second answer)."""
        if self.live or self.answered:
            return None
        self.answered = True
        return ResultTranslator.match(result, probe_evidence(result.probe))


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
        self._attempt: FaceAttempt | None = None     # the one in flight (under _lock)
        self._attempts = 0
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
        with self._lock:
            number = self._attempt.number if self._attempt is not None else 0
        if not refs:
            self._post(ev.MatchDone(False, None, "", "no_reference"))
        elif link is None or number == 0:
            self._post(ev.MatchDone(False, None, "", "liveness_not_passed"))
        else:
            link.worker.request_match(refs, attempt=number)

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
            self._attempt = None
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
                self._attempt = None            # whatever it still sends is dropped
            if self._link is not None and self._mode == "face":
                self._link.worker.cancel_attempt("left_screen")
            self.card.reset()
        self._mode = mode
        if mode == "face":
            link = self._ensure_link()
            if link.status == "vision_unavailable":
                self._post(ev.CameraLost())          # no face route without the models

    def _job_liveness(self, challenges: tuple[str, ...]) -> None:
        with self._lock:
            self._attempts += 1                 # results carrying this number belong to it
            self._attempt = FaceAttempt(self._attempts)
            number = self._attempts
        self._ensure_link().worker.start_attempt(challenges, attempt=number)

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
        with self._lock:
            attempt = self._attempt
            if attempt is None or not attempt.live or attempt.stop_asked:
                return
            attempt.stop_asked = True
        if mode == "face" and self._link is not None:
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
        with self._lock:
            attempt = self._attempt
            mine = attempt is not None and attempt.owns(item)
            if isinstance(item, FrameResult):
                if attempt is None or not attempt.live:
                    events = self._translator.frame(item)     # coaching, FaceReady
                elif mine and item.liveness is not None:
                    events = attempt.progress(item.liveness)
            elif isinstance(item, AttemptEnded) and mine:
                events = attempt.ended(item.result)
            elif isinstance(item, MatchResult):
                self.matches_published += 1
                done = attempt.answer(item) if mine else None
                events = [done] if done is not None else []
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

    refs = [r if isinstance(r, Reference) else Reference(*r)   # (kind, image[, age])
            for r in stored]
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
