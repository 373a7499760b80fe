"""Reading the ID card held under the camera, on its own thread.

OCR of one card takes 0.5-1 s. It used to run on the vision thread, which also hands frames
to the preview, so the picture froze while the card was read. Here the camera thread only
*offers* frames: the `card-ocr` thread takes the newest one when it is free (at most every
`every_s` seconds of camera time) and posts CardCoaching or CardRead; frames offered while it
reads are simply not taken. One successful read per visit to the identity screen; `reset()`
starts a new visit and drops any result still in flight for the old one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from kiosk.flow import events as ev
from kiosk.flow.states import CARD_REASONS

log = logging.getLogger(__name__)

READ_EVERY_S = 0.8          # OCR is heavy: at most this often (camera time)


class CardReadingWorker:
    def __init__(self, post: Callable[[ev.Event], None], *, every_s: float = READ_EVERY_S,
                 read: Callable[[np.ndarray], Any] | None = None) -> None:
        self._post = post
        self._every_s = every_s
        self._read = read                      # read_card(frame) -> CardReadResult (tests)
        self._cond = threading.Condition()
        self._slot: tuple[int, np.ndarray] | None = None
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
            if self._last_t is not None and 0 <= t - self._last_t < self._every_s:
                return False
            self._last_t = t
            self._slot = (self._generation, frame)
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

    def warm_up(self) -> None:
        """Load the OCR engine on this worker, before anyone holds a card up."""
        with self._cond:
            self._slot = (-1, np.zeros((1, 1, 3), np.uint8))
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
                generation, frame = self._slot  # type: ignore[misc]
                self._slot = None
                self._busy = True
            try:
                event = self._read_one(frame) if generation >= 0 else self._warm()
            except Exception:  # noqa: BLE001 - a bad frame must not stop card reading
                log.exception("card reading failed")
                event = ev.CardCoaching("unreadable")
            with self._cond:
                current = generation == self._generation and not self._done
                if current and isinstance(event, ev.CardRead):
                    self._done = True          # one read per visit
                self._busy = False
                self._cond.notify_all()
            if current and event is not None:
                self._post(event)

    def _reader(self) -> Callable[[np.ndarray], Any]:
        if self._read is None:
            from kiosk.idcard.ocr import get_ocr
            from kiosk.idcard.read import read_card

            ocr = get_ocr()
            self._read = lambda image: read_card(image, ocr=ocr, want="front")
        return self._read

    def _warm(self) -> None:
        t0 = time.perf_counter()
        self._reader()
        log.info("card OCR ready in %.2f s", time.perf_counter() - t0)

    def _read_one(self, frame: np.ndarray) -> ev.Event:
        t0 = time.perf_counter()
        result = self._reader()(frame)
        self.reads += 1
        self.read_s.append(time.perf_counter() - t0)
        del self.read_s[:-20]
        number = result.accepted_number
        if number:
            name = result.fields.get("name", "") if result.ok else ""
            log.info("card read (%.2f s)", self.read_s[-1])
            return ev.CardRead(ev.ResidentIdentity(number, name, "card", result.portrait))
        reason = {"moving": "blurry"}.get(result.reason, result.reason)
        return ev.CardCoaching(reason if reason in CARD_REASONS else "unreadable")
