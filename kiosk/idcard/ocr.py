"""RapidOCR (PP-OCRv4 ONNX, shipped in the `rapidocr-onnxruntime` wheel), loaded once, kept warm.

Loading costs about 0.6 s, so the kiosk loads it in the background at start (`warm_up`) and
reuses one instance; calls are serialised by a lock. rapidocr is imported here only, lazily,
so importing the idcard package is cheap.

Threads: one ONNX intra-op thread per session by default (`ONNX_THREADS`). On the 2-core
machine with the camera, the UI and other work beside it, onnxruntime's default pool (one
spinning thread per core) took about twice the wall *and* CPU time of one thread, for the
full engine and for the recogniser alike (docs/idcard.md "Figures"; `bench/idcard.py
--threads` prints both in one run).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

log = logging.getLogger(__name__)


ONNX_THREADS = 1


@dataclass(frozen=True)
class OcrLine:
    text: str
    score: float
    box: tuple[float, float, float, float]          # x0, y0, x1, y1 in the image read
    # The engine's four corners (TL, TR, BR, BL) when known: gives the slant of the text.
    quad: tuple[tuple[float, float], ...] | None = None

    @property
    def cx(self) -> float:
        return (self.box[0] + self.box[2]) / 2

    @property
    def cy(self) -> float:
        return (self.box[1] + self.box[3]) / 2

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]

    def rotated_180(self, width: int, height: int) -> OcrLine:
        x0, y0, x1, y1 = self.box
        return OcrLine(self.text, self.score, (width - x1, height - y1, width - x0, height - y0))


class CardOcr:
    """One warm RapidOCR engine; `lines(image)` returns text lines with boxes and scores."""

    def __init__(self, *, det_side: int = 640, threads: int | None = None) -> None:
        from kiosk.logs import quiet_third_party

        quiet_third_party()
        from rapidocr_onnxruntime import RapidOCR

        options: dict[str, Any] = {"det_limit_side_len": det_side, "det_limit_type": "min"}
        threads = ONNX_THREADS if threads is None else threads
        if threads:                    # 0: onnxruntime's own default (a thread per core)
            options["intra_op_num_threads"] = threads
        self._engine = RapidOCR(**options)
        logging.getLogger("RapidOCR").setLevel(logging.WARNING)
        self._lock = threading.Lock()

    def lines(self, image: np.ndarray) -> list[OcrLine]:
        with self._lock:
            result, _ = self._engine(image)
        out = []
        for box, text, score in result or ():
            pts = np.asarray(box, np.float32).reshape(-1, 2)
            x0, y0 = pts.min(axis=0)
            x1, y1 = pts.max(axis=0)
            out.append(OcrLine(str(text), float(score),
                               (float(x0), float(y0), float(x1), float(y1)),
                               tuple((float(x), float(y)) for x, y in pts[:4])))
        return out


    def recognise(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        """Text of each single-line crop with the recogniser alone (no text detection):
        the fast path for a straightened front whose lines were found by ink profile.

        One crop per call: a batch is padded to its widest crop (the number row is three
        times as wide as the name), which cost half as much again as the crops alone."""
        out = []
        with self._lock:
            for crop in crops:
                result, _ = self._engine.text_rec([crop])
                out.append((str(result[0][0]), float(result[0][1])))
        return out


_shared: CardOcr | None = None
_shared_lock = threading.Lock()


def get_ocr() -> CardOcr:
    """The process-wide engine, created on first use."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = CardOcr()
        return _shared


def warm_up() -> threading.Thread:
    """Load the engine on a background thread (call at kiosk start)."""
    thread = threading.Thread(target=get_ocr, name="ocr-warmup", daemon=True)
    thread.start()
    return thread
