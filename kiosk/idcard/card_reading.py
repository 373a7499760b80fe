"""Reading the ID card held under the camera, on its own thread.

OCR of one card takes 0.5-1 s. It used to run on the vision thread, which also hands frames
to the preview, so the picture froze while the card was read. Here the camera thread only
*offers* frames: the `card-ocr` thread takes the newest one when it is free (at most every
`every_s` seconds of camera time) and posts CardCoaching or CardRead; frames offered while it
reads are simply not taken. One successful read per visit to the identity screen; `reset()`
starts a new visit and drops any result still in flight for the old one.

With a `CardGate` (the kiosk always has one) every frame the thread is free for is first
checked by the per-frame card detector (about 10 ms): coaching ("放近一点", "拿稳") comes at
camera speed, and the heavy OCR runs only once the card has been held still, sharp and
glare-free for a few frames — and still at most every `every_s` seconds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

import numpy as np

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CardCoaching:
    """What to tell the resident about the card held up (a reason code)."""

    reason: str


@dataclass(frozen=True)
class CardNumberRead:
    """A number read from the card (GB 11643 checked), with the name and portrait."""

    number: str
    name: str = ""
    portrait: Any = field(default=None, repr=False, compare=False)
    issued: str = ""              # valid_from (ISO) when read: the portrait's age


CardResult = CardCoaching | CardNumberRead

READ_EVERY_S = 0.8          # OCR is heavy: at most this often (camera time)
QUIET_NO_CARD_S = 4.0       # let the screen's own words be heard before "no card yet"
FALLBACK_EVERY_S = 2.0      # OCR also tries a card the detector is unsure of, less often:
                            # read_card is the final judge and never guesses a number


class CardGate:
    """Per-frame detection and steadiness in front of OCR (kiosk/idcard/detect.py)."""

    def __init__(self, *, frames: int = 3) -> None:
        from kiosk.idcard.detect import CardDetector, CardSteadiness

        self.detector = CardDetector()
        self.steadiness = CardSteadiness(frames=frames)

    def check(self, frame: np.ndarray) -> str:
        """"ready" when the card has been steady long enough; else the coaching reason
        ("ok" while good frames are still being counted)."""
        state = self.steadiness.update(self.detector.detect(frame, want="front"))
        if state.steady:
            self.steadiness.reset()
            return "ready"
        return state.reason

    def reset(self) -> None:
        self.steadiness.reset()


class CardReadingWorker:
    """Posts CardCoaching / CardNumberRead; reasons outside `known_reasons` (the ones the
    screen has words for) are posted as "unreadable"."""

    def __init__(self, post: Callable[[CardResult], None], *, every_s: float = READ_EVERY_S,
                 read: Callable[[np.ndarray], Any] | None = None,
                 gate: CardGate | None = None,
                 known_reasons: Collection[str] | None = None,
                 reject_copies: bool = True) -> None:
        self._post = post
        self._reject_copies = reject_copies
        self._known = known_reasons
        self._every_s = every_s
        self._read = read                      # read_card(frame) -> CardReadResult (tests)
        self._gate = gate
        self._last_coach: str | None = None    # coaching is posted when it changes
        self._last_ocr_t: float | None = None
        self._visit_t0: float | None = None
        self._cond = threading.Condition()
        self._slot: tuple[int, np.ndarray, float] | None = None
        self._busy = False
        self._done = False
        self._generation = 0
        self._last_t: float | None = None
        self._stop = False
        self.reads = 0
        self.read_s: list[float] = []
        self._thread = threading.Thread(target=self._run, name="card-ocr", daemon=True)
        self._thread.start()

    # ---- camera thread / any thread
    def offer(self, frame: np.ndarray, t: float) -> bool:
        """Hand a frame over if the reader is free and due; False when it was not taken."""
        with self._cond:
            if self._done or self._busy or self._slot is not None:
                return False
            throttled = self._gate is None     # with a gate only OCR is throttled (in _read)
            if throttled and self._last_t is not None and 0 <= t - self._last_t < self._every_s:
                return False
            self._last_t = t
            self._slot = (self._generation, frame, t)
            self._cond.notify_all()
            return True

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Until the frame taken has been read (replayed files: every read happens)."""
        end = time.monotonic() + timeout
        with self._cond:
            while self._busy or self._slot is not None:
                left = end - time.monotonic()
                if left <= 0 or self._stop:
                    return False
                self._cond.wait(left)
        return True

    def reset(self) -> None:
        """A new visit to the card screen (or leaving it): nothing in flight counts."""
        with self._cond:
            self._generation += 1
            self._slot = None
            self._done = False
            self._last_t = None
            self._last_ocr_t = None
            self._visit_t0 = None
            self._last_coach = None
            if self._gate is not None:
                self._gate.reset()

    def warm_up(self) -> None:
        """Load the OCR engine on this worker, before anyone holds a card up."""
        with self._cond:
            self._slot = (-1, np.zeros((1, 1, 3), np.uint8), 0.0)
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._stop = True
            self._slot = None
            self._cond.notify_all()
        self._thread.join(timeout=5)

    # ---- card-ocr thread
    def _run(self) -> None:
        while True:
            with self._cond:
                while self._slot is None and not self._stop:
                    self._cond.wait()
                if self._stop:
                    return
                generation, frame, t = self._slot  # type: ignore[misc]
                self._slot = None
                self._busy = True
            try:
                event = self._process(frame, t) if generation >= 0 else self._warm()
            except Exception:  # noqa: BLE001 - a bad frame must not stop card reading
                log.exception("card reading failed")
                event = CardCoaching("unreadable")
            with self._cond:
                current = generation == self._generation and not self._done
                if current and isinstance(event, CardNumberRead):
                    self._done = True          # one read per visit
                self._busy = False
                self._cond.notify_all()
            if current and isinstance(event, CardCoaching):
                if event.reason == self._last_coach:
                    event = None                   # same words again: nothing new to say
                else:
                    self._last_coach = event.reason
            if current and event is not None:
                self._post(event)

    def _reader(self) -> Callable[[np.ndarray], Any]:
        if self._read is None:
            from kiosk.idcard.ocr import get_ocr
            from kiosk.idcard.read import read_card

            ocr = get_ocr()
            reject = self._reject_copies
            self._read = lambda image: read_card(image, ocr=ocr, want="front", address=False,
                                                 reject_copies=reject)
        return self._read

    def _warm(self) -> None:
        t0 = time.perf_counter()
        self._reader()
        log.info("card OCR ready in %.2f s", time.perf_counter() - t0)

    def _process(self, frame: np.ndarray, t: float) -> CardResult | None:
        """Gate first (fast), OCR only for a steady card and not more often than every_s."""
        if self._gate is not None:
            if self._visit_t0 is None:
                self._visit_t0 = t
            reason = self._gate.check(frame)
            if reason == "ok":
                return None                    # good frames still being counted
            steady = reason == "ready"
            wait = self._every_s if steady else FALLBACK_EVERY_S
            if self._last_ocr_t is not None and 0 <= t - self._last_ocr_t < wait:
                if steady:
                    return None                # read a moment ago
                quiet = reason == "no_card" and t - self._visit_t0 < QUIET_NO_CARD_S
                return None if quiet else self._coaching(reason)
            self._last_ocr_t = t
        return self._read_one(frame)

    def _read_one(self, frame: np.ndarray) -> CardResult:
        t0 = time.perf_counter()
        result = self._reader()(frame)
        self.reads += 1
        self.read_s.append(time.perf_counter() - t0)
        del self.read_s[:-20]
        number = result.accepted_number
        if number:
            name = result.fields.get("name", "") if result.ok else ""
            log.info("card read (%.2f s)", self.read_s[-1])
            issued = str(result.fields.get("valid_from", "") or "")
            return CardNumberRead(number, name, result.portrait, issued)
        return self._coaching(result.reason)

    def _coaching(self, reason: str) -> CardCoaching:
        reason = {"moving": "blurry"}.get(reason, reason)
        known = self._known is None or reason in self._known
        return CardCoaching(reason if known else "unreadable")
